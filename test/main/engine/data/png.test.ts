import { deflateSync } from 'node:zlib'
import { PNG } from 'pngjs'
import { describe, expect, it } from 'vitest'
import { decodePngStrict } from '../../../../src/main/engine/data/png'
import { decodeImage } from '../../../../src/main/engine/data/imageOps'
import {
  chunk,
  encodePng,
  ihdr,
  listChunks,
  PNG_SIGNATURE,
  scanlines,
  type ColorType,
  type PngSpec
} from '../../../helpers/pngForge'

const LIMITS = { maxPixels: 4096 * 4096 }

/** Deterministic sample values. */
function hash(x: number, y: number, s: number, seed: number): number {
  let h = (x * 73856093) ^ (y * 19349663) ^ (s * 83492791) ^ seed
  h = Math.imul(h ^ (h >>> 13), 0x5bd1e995)
  return (h ^ (h >>> 15)) >>> 0
}

const FORMATS: [ColorType, PngSpec['bitDepth']][] = [
  [0, 1],
  [0, 2],
  [0, 4],
  [0, 8],
  [0, 16],
  [2, 8],
  [2, 16],
  [3, 1],
  [3, 2],
  [3, 4],
  [3, 8],
  [4, 8],
  [4, 16],
  [6, 8],
  [6, 16]
]

describe('strict PNG decoder: every format decodes to the exact pixels', () => {
  for (const [colorType, bitDepth] of FORMATS) {
    for (const interlace of [false, true]) {
      it(`colour type ${colorType}, ${bitDepth}-bit${interlace ? ', Adam7' : ''}, all five filters`, () => {
        const width = 13
        const height = 11
        const max = (1 << bitDepth) - 1
        const entries = colorType === 3 ? Math.min(1 << bitDepth, 7) : 0
        const palette = Array.from({ length: entries }, (_, i) => [
          i * 30,
          255 - i * 20,
          (i * 97) % 256
        ])
        const sample = (x: number, y: number, s: number): number =>
          colorType === 3 ? hash(x, y, s, 5) % entries : hash(x, y, s, bitDepth) & max
        const png = encodePng(
          {
            width,
            height,
            colorType,
            bitDepth,
            interlace,
            sample,
            filter: (r) => r % 5,
            palette: entries ? palette : undefined
          },
          3
        )
        const img = decodePngStrict(png, LIMITS)
        const channels = colorType === 0 || colorType === 4 ? 1 : 3
        expect(img).toMatchObject({ width, height, channels })
        const to8 = (v: number): number =>
          bitDepth === 16 ? Math.round(v / 257) : bitDepth === 8 ? v : (v * 255) / max
        for (let y = 0; y < height; y++) {
          for (let x = 0; x < width; x++) {
            for (let c = 0; c < channels; c++) {
              const expected =
                colorType === 3 ? palette[sample(x, y, 0)]![c]! : to8(sample(x, y, c))
              expect(img.data[(y * width + x) * channels + c]).toBe(expected)
            }
          }
        }
      })
    }
  }

  it('agrees with pngjs on valid 8-bit RGBA and gray files', () => {
    for (const colorType of [0, 6] as const) {
      const png = new PNG({ width: 9, height: 7 })
      for (let i = 0; i < png.data.length; i++) png.data[i] = hash(i, 0, 0, 3) & 255
      const bytes = PNG.sync.write(png, { colorType })
      const theirs = PNG.sync.read(bytes)
      const ours = decodePngStrict(bytes, LIMITS)
      const channels = colorType === 0 ? 1 : 3
      for (let p = 0; p < 63; p++) {
        for (let c = 0; c < channels; c++)
          expect(ours.data[p * channels + c]).toBe(theirs.data[p * 4 + c])
      }
    }
  })
})

/** A valid 8×8 RGB PNG's parts, to break one at a time. */
function parts() {
  const spec: PngSpec = {
    width: 8,
    height: 8,
    colorType: 2,
    bitDepth: 8,
    sample: (x, y, s) => (x * 31 + y * 7 + s * 50) & 255
  }
  return {
    spec,
    raw: scanlines(spec),
    head: chunk('IHDR', ihdr(8, 8, 8, 2)),
    end: chunk('IEND', Buffer.alloc(0))
  }
}

function build(...chunks: Buffer[]): Buffer {
  return Buffer.concat([PNG_SIGNATURE, ...chunks])
}

describe('strict PNG decoder: damaged files are refused, never decoded into filler pixels', () => {
  it('a short IDAT (the pixel data of half the rows), deterministically', () => {
    const { raw, head, end } = parts()
    const png = build(head, chunk('IDAT', deflateSync(raw.subarray(0, raw.length / 2))), end)
    const messages = new Set<string>()
    for (let i = 0; i < 5; i++) {
      try {
        decodePngStrict(png, LIMITS)
      } catch (err) {
        messages.add((err as Error).message)
      }
    }
    expect([...messages]).toEqual(['corrupt PNG: its pixel data ends early (a short or cut IDAT)'])
  })

  it('a cut zlib stream, a broken zlib stream (CRC fixed up), excess pixel data, no IDAT', () => {
    const { raw, head, end } = parts()
    const z = deflateSync(raw)
    expect(() =>
      decodePngStrict(build(head, chunk('IDAT', z.subarray(0, z.length - 9)), end), LIMITS)
    ).toThrow(/ends early/)
    const flipped = Buffer.from(z)
    flipped[Math.floor(z.length / 2)]! ^= 0x5a
    expect(() => decodePngStrict(build(head, chunk('IDAT', flipped), end), LIMITS)).toThrow(
      /compressed pixel data is corrupt|ends early|unknown filter|more bytes/
    )
    const adler = Buffer.from(z)
    adler[adler.length - 1]! ^= 1
    expect(() => decodePngStrict(build(head, chunk('IDAT', adler), end), LIMITS)).toThrow(
      /compressed pixel data is corrupt/
    )
    const more = deflateSync(Buffer.concat([raw, Buffer.alloc(40)]))
    expect(() => decodePngStrict(build(head, chunk('IDAT', more), end), LIMITS)).toThrow(
      /more bytes than its size allows/
    )
    expect(() => decodePngStrict(build(head, end), LIMITS)).toThrow(/no pixel data/)
  })

  it('a CRC mismatch in any chunk, a missing IEND, a garbled chunk length', () => {
    const png = encodePng(parts().spec)
    for (const c of listChunks(png)) {
      const bad = Buffer.from(png)
      bad[c.at + 8 + c.length]! ^= 0xff
      expect(() => decodePngStrict(bad, LIMITS)).toThrow(
        new RegExp(`chunk ${c.name} fails its checksum`)
      )
    }
    const iend = listChunks(png).find((c) => c.name === 'IEND')!
    expect(() => decodePngStrict(png.subarray(0, iend.at), LIMITS)).toThrow(
      /before its IEND chunk \(truncated\)/
    )
    expect(() => decodePngStrict(png.subarray(0, png.length - 30), LIMITS)).toThrow(/truncated/)
    const long = Buffer.from(png)
    long.writeUInt32BE(0x7ffffff0, 33)
    expect(() => decodePngStrict(long, LIMITS)).toThrow(/runs past the end of the file/)
  })

  it('a bad filter type and a palette index past the palette', () => {
    const { spec, head, end } = parts()
    const raw = scanlines(spec)
    raw[3 * 25] = 7 // row 4's filter byte
    expect(() =>
      decodePngStrict(build(head, chunk('IDAT', deflateSync(raw)), end), LIMITS)
    ).toThrow(/row 4 has an unknown filter type/)
    const pal: PngSpec = {
      width: 4,
      height: 4,
      colorType: 3,
      bitDepth: 8,
      sample: (x) => x,
      palette: [
        [1, 2, 3],
        [4, 5, 6]
      ]
    }
    expect(() => decodePngStrict(encodePng(pal), LIMITS)).toThrow(
      /colour its palette does not have/
    )
  })

  it('a header claiming 30000×30000 is refused from the header, before anything is inflated', () => {
    const { end } = parts()
    // 268 bytes, like the file in the issue: a tiny zlib stream under a giant header.
    const png = build(
      chunk('IHDR', ihdr(30000, 30000, 8, 6)),
      chunk('IDAT', deflateSync(Buffer.alloc(200))),
      end
    )
    const before = process.memoryUsage().arrayBuffers
    expect(() => decodeImage(png)).toThrow(
      /30000×30000 pixels \(900 megapixels\); images over 17 megapixels are not imported/
    )
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024)
  })

  it('invalid header fields and an unknown critical chunk', () => {
    const { raw, end } = parts()
    const idat = chunk('IDAT', deflateSync(raw))
    expect(() =>
      decodePngStrict(build(chunk('IHDR', ihdr(8, 8, 3, 2)), idat, end), LIMITS)
    ).toThrow(/invalid colour format/)
    expect(() =>
      decodePngStrict(build(chunk('IHDR', ihdr(0, 8, 8, 2)), idat, end), LIMITS)
    ).toThrow(/impossible size/)
    expect(() =>
      decodePngStrict(
        build(chunk('IHDR', ihdr(8, 8, 8, 2)), chunk('ZZZZ', Buffer.alloc(3)), idat, end),
        LIMITS
      )
    ).toThrow(/unknown critical chunk ZZZZ/)
    // An unknown ancillary chunk (lower-case first letter) is skipped.
    expect(
      decodePngStrict(
        build(chunk('IHDR', ihdr(8, 8, 8, 2)), chunk('zzzz', Buffer.alloc(3)), idat, end),
        LIMITS
      ).width
    ).toBe(8)
  })
})
