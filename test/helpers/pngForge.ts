/**
 * A small, independent PNG writer for tests: every colour type and bit depth, the five filter
 * types, Adam7 interlacing, and the parts of a PNG (chunks, CRCs, the zlib stream) exposed so
 * that the hostile-input generator can break exactly one of them.
 */
import { crc32, deflateSync } from 'node:zlib'

export type ColorType = 0 | 2 | 3 | 4 | 6

export interface PngSpec {
  width: number
  height: number
  colorType: ColorType
  bitDepth: 1 | 2 | 4 | 8 | 16
  interlace?: boolean
  /** Sample s (0-based within the pixel) at (x, y), in 0 .. 2^bitDepth - 1. */
  sample: (x: number, y: number, s: number) => number
  /** Filter type per row (of each pass), default 0. */
  filter?: (row: number) => number
  /** RGB triples for colour type 3. */
  palette?: number[][]
}

const SAMPLES: Record<ColorType, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2]
]

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/** One chunk with its length and a correct CRC (or `crc` to force one). */
export function chunk(name: string, data: Uint8Array, crc?: number): Buffer {
  const out = Buffer.alloc(12 + data.length)
  out.writeUInt32BE(data.length, 0)
  out.write(name, 4, 'latin1')
  Buffer.from(data).copy(out, 8)
  out.writeUInt32BE(crc ?? crc32(out.subarray(4, 8 + data.length)) >>> 0, 8 + data.length)
  return out
}

export function ihdr(
  width: number,
  height: number,
  bitDepth: number,
  colorType: number,
  interlace = 0
): Buffer {
  const d = Buffer.alloc(13)
  d.writeUInt32BE(width, 0)
  d.writeUInt32BE(height, 4)
  d[8] = bitDepth
  d[9] = colorType
  d[12] = interlace
  return d
}

/** The filtered scanlines (before deflate) of `spec`. */
export function scanlines(spec: PngSpec): Buffer {
  const samples = SAMPLES[spec.colorType]
  const bits = samples * spec.bitDepth
  const bpp = Math.max(1, bits >> 3)
  const passes = spec.interlace ? ADAM7 : [[0, 0, 1, 1]]
  const parts: Buffer[] = []
  let rowIndex = 0
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.max(0, Math.ceil((spec.width - x0!) / dx!))
    const ph = Math.max(0, Math.ceil((spec.height - y0!) / dy!))
    if (pw === 0 || ph === 0) continue
    const rowBytes = Math.ceil((pw * bits) / 8)
    let prev = Buffer.alloc(rowBytes)
    for (let py = 0; py < ph; py++) {
      const raw = Buffer.alloc(rowBytes)
      for (let px = 0; px < pw; px++) {
        for (let s = 0; s < samples; s++) {
          const v = spec.sample(x0! + px * dx!, y0! + py * dy!, s)
          const index = px * samples + s
          if (spec.bitDepth === 16) raw.writeUInt16BE(v, index * 2)
          else if (spec.bitDepth === 8) raw[index] = v
          else {
            const bit = index * spec.bitDepth
            raw[bit >> 3]! |= v << (8 - spec.bitDepth - (bit & 7))
          }
        }
      }
      const type = spec.filter?.(rowIndex++) ?? 0
      const line = Buffer.alloc(rowBytes + 1)
      line[0] = type
      for (let i = 0; i < rowBytes; i++) {
        const a = i >= bpp ? raw[i - bpp]! : 0
        const b = prev[i]!
        const c = i >= bpp ? prev[i - bpp]! : 0
        const predictor =
          type === 1
            ? a
            : type === 2
              ? b
              : type === 3
                ? (a + b) >> 1
                : type === 4
                  ? paeth(a, b, c)
                  : 0
        line[i + 1] = (raw[i]! - predictor) & 255
      }
      parts.push(line)
      prev = raw
    }
  }
  return Buffer.concat(parts)
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c
  const pa = Math.abs(p - a)
  const pb = Math.abs(p - b)
  const pc = Math.abs(p - c)
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c
}

/** A complete, valid PNG of `spec` (the IDAT split in `idatParts` chunks). */
export function encodePng(spec: PngSpec, idatParts = 1): Buffer {
  const z = deflateSync(scanlines(spec))
  const chunks = [
    chunk(
      'IHDR',
      ihdr(spec.width, spec.height, spec.bitDepth, spec.colorType, spec.interlace ? 1 : 0)
    )
  ]
  if (spec.palette) chunks.push(chunk('PLTE', Buffer.from(spec.palette.flat())))
  const step = Math.ceil(z.length / idatParts)
  for (let at = 0; at < z.length; at += step) chunks.push(chunk('IDAT', z.subarray(at, at + step)))
  chunks.push(chunk('IEND', Buffer.alloc(0)))
  return Buffer.concat([PNG_SIGNATURE, ...chunks])
}

/** The chunks of a PNG: name, offset of its length field, data length. */
export function listChunks(png: Uint8Array): { name: string; at: number; length: number }[] {
  const b = Buffer.from(png.buffer, png.byteOffset, png.byteLength)
  const out: { name: string; at: number; length: number }[] = []
  for (let at = 8; at + 12 <= b.length;) {
    const length = b.readUInt32BE(at)
    out.push({ name: b.toString('latin1', at + 4, at + 8), at, length })
    at += 12 + length
  }
  return out
}
