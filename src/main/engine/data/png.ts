/**
 * A strict PNG decoder (https://www.w3.org/TR/png-3/). pngjs, used before, accepted PNGs with
 * broken zlib data or a short IDAT as black or garbage pixels, once from uninitialised memory
 * (its output buffer is allocated unsafely and the missing rows never written). Here:
 * - every chunk's CRC is verified, IHDR is checked and the image size limited before any
 *   allocation that depends on it;
 * - the IDAT stream must inflate (node's zlib checks Adler-32) to exactly the bytes the header
 *   implies: an early end or excess data is refused, never padded;
 * - every filter type byte and palette index is checked;
 * - the output is allocated zeroed and every pixel of it is written.
 * Alpha (colour types 4 and 6, tRNS) is dropped, as the importers want opaque pixels.
 */
import { crc32 } from 'node:zlib'
import { formatBytes, inflateBounded } from '../io/bounded'
import { FileAccessError } from '../io/errors'
import type { RawImage } from './rawImage'

/** Why a PNG was refused: `message` in words, `detail` the technical specifics. */
export class PngError extends Error {
  override readonly name = 'PngError'
  constructor(
    message: string,
    readonly detail?: string
  ) {
    super(message)
  }
}

export interface PngLimits {
  /** Refuse images with more pixels than this (checked from IHDR, before decoding). */
  maxPixels: number
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
/** Samples per pixel by colour type. */
const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }
const DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16]
}
/** Adam7 passes: x start, y start, x step, y step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2]
] as const

interface Header {
  width: number
  height: number
  bitDepth: number
  colorType: number
  interlaced: boolean
}

interface Pass {
  x0: number
  y0: number
  dx: number
  dy: number
  width: number
  height: number
  rowBytes: number
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0
}

function chunkName(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!)
}

function parseHeader(data: Uint8Array): Header {
  if (data.length !== 13)
    throw new PngError(
      'corrupt PNG: its header chunk (IHDR) has the wrong length',
      `IHDR length ${data.length}`
    )
  const h: Header = {
    width: u32(data, 0),
    height: u32(data, 4),
    bitDepth: data[8]!,
    colorType: data[9]!,
    interlaced: data[12] === 1
  }
  if (h.width === 0 || h.height === 0 || h.width > 0x7fffffff || h.height > 0x7fffffff) {
    throw new PngError(`corrupt PNG: its header gives an impossible size ${h.width}×${h.height}`)
  }
  if (!(h.colorType in SAMPLES) || !DEPTHS[h.colorType]!.includes(h.bitDepth)) {
    throw new PngError(
      'corrupt PNG: its header gives an invalid colour format',
      `colour type ${h.colorType}, bit depth ${h.bitDepth}`
    )
  }
  if (data[10] !== 0 || data[11] !== 0 || data[12]! > 1) {
    throw new PngError(
      'corrupt PNG: its header names an unknown compression, filter or interlace method',
      `compression ${data[10]}, filter ${data[11]}, interlace ${data[12]}`
    )
  }
  return h
}

function passesOf(h: Header): Pass[] {
  const bits = SAMPLES[h.colorType]! * h.bitDepth
  const layout = h.interlaced ? ADAM7 : ([[0, 0, 1, 1]] as const)
  return layout
    .map(([x0, y0, dx, dy]) => {
      const width = Math.max(0, Math.ceil((h.width - x0) / dx))
      const height = Math.max(0, Math.ceil((h.height - y0) / dy))
      return { x0, y0, dx, dy, width, height, rowBytes: Math.ceil((width * bits) / 8) }
    })
    .filter((p) => p.width > 0 && p.height > 0)
}

/** Reverses the scanline filters of one pass in place (PNG spec section 7.3, 9). */
function unfilter(
  raw: Uint8Array,
  offset: number,
  pass: Pass,
  bpp: number,
  passIndex: number
): void {
  const stride = pass.rowBytes + 1
  for (let y = 0; y < pass.height; y++) {
    const row = offset + y * stride
    const type = raw[row]!
    const cur = row + 1
    const prev = y > 0 ? row - stride + 1 : -1
    const up = (i: number): number => (prev < 0 ? 0 : raw[prev + i]!)
    switch (type) {
      case 0:
        break
      case 1:
        for (let i = bpp; i < pass.rowBytes; i++)
          raw[cur + i] = (raw[cur + i]! + raw[cur + i - bpp]!) & 255
        break
      case 2:
        if (prev >= 0)
          for (let i = 0; i < pass.rowBytes; i++)
            raw[cur + i] = (raw[cur + i]! + raw[prev + i]!) & 255
        break
      case 3:
        for (let i = 0; i < pass.rowBytes; i++) {
          const left = i >= bpp ? raw[cur + i - bpp]! : 0
          raw[cur + i] = (raw[cur + i]! + ((left + up(i)) >> 1)) & 255
        }
        break
      case 4:
        for (let i = 0; i < pass.rowBytes; i++) {
          const a = i >= bpp ? raw[cur + i - bpp]! : 0
          const b = up(i)
          const c = i >= bpp ? up(i - bpp) : 0
          const p = a + b - c
          const pa = Math.abs(p - a)
          const pb = Math.abs(p - b)
          const pc = Math.abs(p - c)
          raw[cur + i] = (raw[cur + i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 255
        }
        break
      default:
        throw new PngError(
          `corrupt PNG: row ${y + 1}${passIndex > 0 || pass.dy > 1 ? ` of interlace pass ${passIndex + 1}` : ''} has an unknown filter type`,
          `filter type ${type}`
        )
    }
  }
}

/**
 * Decodes a PNG into 1 channel (gray and gray+alpha) or 3 (RGB, RGBA and palette). Throws a
 * PngError saying what is wrong, or a FileAccessError-free plain PngError for size limits.
 */
export function decodePngStrict(bytes: Uint8Array, limits: PngLimits): RawImage {
  if (bytes.length < 8 || !SIGNATURE.every((b, i) => bytes[i] === b)) {
    throw new PngError('not a PNG file (its signature is wrong)')
  }
  let header: Header | undefined
  let palette: Uint8Array | undefined
  const idat: Uint8Array[] = []
  let idatEnded = false
  let ended = false
  let at = 8
  while (at < bytes.length && !ended) {
    if (at + 12 > bytes.length)
      throw new PngError('corrupt PNG: the file ends in the middle of a chunk (truncated)')
    const length = u32(bytes, at)
    const name = chunkName(bytes, at + 4)
    if (!/^[A-Za-z]{4}$/.test(name)) {
      throw new PngError('corrupt PNG: a chunk has a garbled name', `bytes ${at + 4}-${at + 7}`)
    }
    if (length > 0x7fffffff || at + 12 + length > bytes.length) {
      throw new PngError(
        `corrupt PNG: chunk ${name} runs past the end of the file (truncated)`,
        `declared length ${length}`
      )
    }
    const data = bytes.subarray(at + 8, at + 8 + length)
    const stored = u32(bytes, at + 8 + length)
    const actual = crc32(bytes.subarray(at + 4, at + 8 + length)) >>> 0
    if (stored !== actual) {
      throw new PngError(
        `corrupt PNG: chunk ${name} fails its checksum (the file is damaged)`,
        `CRC stored 0x${stored.toString(16)}, computed 0x${actual.toString(16)} at byte ${at}`
      )
    }
    if (header === undefined && name !== 'IHDR')
      throw new PngError('corrupt PNG: it does not start with a header chunk (IHDR)')
    switch (name) {
      case 'IHDR':
        if (header) throw new PngError('corrupt PNG: it has two header chunks (IHDR)')
        header = parseHeader(data)
        if (header.width * header.height > limits.maxPixels) {
          throw new PngError(
            `the PNG says it is ${header.width}×${header.height} pixels (${((header.width * header.height) / 1e6).toFixed(0)} megapixels); images over ${(limits.maxPixels / 1e6).toFixed(0)} megapixels are not imported`
          )
        }
        break
      case 'PLTE':
        if (length === 0 || length % 3 !== 0 || length > 768) {
          throw new PngError(
            'corrupt PNG: its palette has an invalid length',
            `PLTE length ${length}`
          )
        }
        if (header!.colorType === 0 || header!.colorType === 4) {
          throw new PngError('corrupt PNG: a grayscale image carries a palette')
        }
        palette = data
        break
      case 'IDAT':
        if (idatEnded)
          throw new PngError('corrupt PNG: its pixel data (IDAT) is split by other chunks')
        idat.push(data)
        break
      case 'IEND':
        ended = true
        break
      default:
        // Upper-case first letter = critical: a decoder must not ignore it (spec 5.4).
        if (name.charCodeAt(0) < 97)
          throw new PngError(`corrupt or unsupported PNG: unknown critical chunk ${name}`)
    }
    if (name !== 'IDAT' && idat.length > 0) idatEnded = true
    at += 12 + length
  }
  if (!header) throw new PngError('corrupt PNG: no header chunk (IHDR)')
  if (!ended) throw new PngError('corrupt PNG: the file ends before its IEND chunk (truncated)')
  if (idat.length === 0) throw new PngError('corrupt PNG: it holds no pixel data (no IDAT chunk)')
  if (header.colorType === 3 && !palette)
    throw new PngError('corrupt PNG: a palette image without a palette (PLTE)')

  const passes = passesOf(header)
  const expected = passes.reduce((n, p) => n + p.height * (p.rowBytes + 1), 0)
  let raw: Uint8Array
  try {
    raw = inflateBounded(Buffer.concat(idat), {
      maxBytes: expected,
      format: 'zlib',
      file: '',
      what: 'its pixel data'
    })
  } catch (err) {
    const e = err as FileAccessError
    const why =
      e.problem === 'too-large'
        ? 'its pixel data holds more bytes than its size allows'
        : /ends early/.test(e.reason)
          ? 'its pixel data ends early (a short or cut IDAT)'
          : 'its compressed pixel data is corrupt'
    throw new PngError(`corrupt PNG: ${why}`, e.detail)
  }
  if (raw.length !== expected) {
    throw new PngError(
      'corrupt PNG: its pixel data ends early (a short or cut IDAT)',
      `${raw.length} of ${formatBytes(expected)} (${expected} bytes) after inflating`
    )
  }
  return toPixels(header, passes, raw, palette)
}

function toPixels(
  h: Header,
  passes: Pass[],
  raw: Uint8Array,
  palette: Uint8Array | undefined
): RawImage {
  const samples = SAMPLES[h.colorType]!
  const channels = h.colorType === 0 || h.colorType === 4 ? 1 : 3
  const bpp = Math.max(1, (samples * h.bitDepth) >> 3)
  const out = new Uint8Array(h.width * h.height * channels)
  const entries = palette ? palette.length / 3 : 0
  const lowMax = (1 << h.bitDepth) - 1
  let offset = 0
  passes.forEach((pass, passIndex) => {
    unfilter(raw, offset, pass, bpp, passIndex)
    for (let y = 0; y < pass.height; y++) {
      const row = offset + y * (pass.rowBytes + 1) + 1
      const sample = (x: number, s: number): number => {
        const index = x * samples + s
        if (h.bitDepth === 8) return raw[row + index]!
        if (h.bitDepth === 16) return raw[row + index * 2]! * 256 + raw[row + index * 2 + 1]!
        const bit = index * h.bitDepth
        return (raw[row + (bit >> 3)]! >> (8 - h.bitDepth - (bit & 7))) & lowMax
      }
      // 16-bit to 8-bit by rounding (65535 / 255 = 257); low depths scaled to 0..255.
      const to8 = (v: number): number =>
        h.bitDepth === 16 ? Math.round(v / 257) : h.bitDepth === 8 ? v : (v * 255) / lowMax
      for (let x = 0; x < pass.width; x++) {
        const p = ((pass.y0 + y * pass.dy) * h.width + pass.x0 + x * pass.dx) * channels
        if (h.colorType === 3) {
          const i = sample(x, 0)
          if (i >= entries) {
            throw new PngError(
              'corrupt PNG: a pixel uses a colour its palette does not have',
              `palette index ${i}, palette has ${entries} entries`
            )
          }
          out[p] = palette![i * 3]!
          out[p + 1] = palette![i * 3 + 1]!
          out[p + 2] = palette![i * 3 + 2]!
        } else {
          for (let c = 0; c < channels; c++) out[p + c] = to8(sample(x, c))
        }
      }
    }
    offset += pass.height * (pass.rowBytes + 1)
  })
  return { height: h.height, width: h.width, channels, data: out }
}
