import { describe, expect, it } from 'vitest'
import {
  conformImage,
  decodeImage,
  resize,
  sniffImageFormat,
  toChannels
} from '../../../../src/main/engine/data/imageOps'
import type { RawImage } from '../../../../src/main/engine/data/imageOps'
import { jpegBytes, pngBytes } from './importers/fixtures'

const gray = (h: number, w: number, f: (x: number, y: number) => number): RawImage => {
  const data = new Uint8Array(h * w)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = f(x, y)
  return { height: h, width: w, channels: 1, data }
}

describe('decodeImage', () => {
  it('decodes gray PNG to 1 channel and RGBA PNG to 3, dropping alpha, exactly', () => {
    const g = decodeImage(pngBytes(3, 2, 'gray', (x, y) => 10 * x + 100 * y))
    expect(g).toMatchObject({ height: 2, width: 3, channels: 1 })
    expect(Array.from(g.data)).toEqual([0, 10, 20, 100, 110, 120])
    const c = decodeImage(pngBytes(2, 1, 'rgba', (x, _y, ch) => 50 * ch + x))
    expect(c.channels).toBe(3)
    expect(Array.from(c.data)).toEqual([0, 50, 100, 1, 51, 101])
  })

  it('decodes a JPEG within compression tolerance and recognises a gray one', () => {
    const px = (x: number, y: number, c: number) => (c === 0 ? 200 : c === 1 ? 8 * x : 8 * y)
    const img = decodeImage(jpegBytes(16, 16, px))
    expect(img).toMatchObject({ height: 16, width: 16, channels: 3 })
    let worst = 0
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 16; x++) {
        for (let c = 0; c < 3; c++)
          worst = Math.max(
            worst,
            Math.abs((img.data[(y * 16 + x) * 3 + c] as number) - px(x, y, c))
          )
      }
    }
    expect(worst).toBeLessThanOrEqual(12)
    expect(decodeImage(jpegBytes(8, 8, (x) => 30 * x)).channels).toBe(1)
  })

  it('rejects unknown, corrupt and truncated input with a reason', () => {
    expect(() => decodeImage(Uint8Array.from([1, 2, 3, 4]))).toThrow(/not a PNG or JPEG/)
    const png = pngBytes(8, 8, 'rgb', (x) => x)
    expect(() => decodeImage(png.subarray(0, png.length - 30))).toThrow(/corrupt PNG/)
    const jpg = jpegBytes(16, 16, (x, y) => (x * y) % 256)
    expect(() => decodeImage(jpg.subarray(0, jpg.length / 2))).toThrow(/corrupt JPEG/)
    expect(sniffImageFormat(png)).toBe('png')
    expect(sniffImageFormat(jpg)).toBe('jpeg')
  })
})

describe('toChannels', () => {
  it('uses BT.601 luma for RGB -> gray and replicates gray -> RGB', () => {
    const rgb: RawImage = {
      height: 1,
      width: 2,
      channels: 3,
      data: Uint8Array.from([255, 0, 0, 10, 200, 30])
    }
    // 0.299*255 = 76.2; 0.299*10 + 0.587*200 + 0.114*30 = 123.81
    expect(Array.from(toChannels(rgb, 1).data)).toEqual([76, 124])
    expect(
      Array.from(
        toChannels(
          gray(1, 2, (x) => 7 + x),
          3
        ).data
      )
    ).toEqual([7, 7, 7, 8, 8, 8])
  })
})

describe('resize', () => {
  it('area-averages 2x2 blocks when halving', () => {
    const img = gray(4, 4, (x, y) => 10 * x + 40 * y)
    const out = resize(img, 2, 2, 'area')
    // Block means: (0+10+40+50)/4 = 25, 45, 105, 125.
    expect(Array.from(out.data)).toEqual([25, 45, 105, 125])
  })

  it('area-weights partial overlaps (3 -> 2)', () => {
    const out = resize(
      gray(1, 3, (x) => [0, 90, 180][x] as number),
      1,
      2,
      'area'
    )
    // Output 0 covers [0, 1.5): (0*1 + 90*0.5) / 1.5 = 30; output 1: (90*0.5 + 180) / 1.5 = 150.
    expect(Array.from(out.data)).toEqual([30, 150])
  })

  it('bilinear samples at pixel centres (2 -> 4 along a row)', () => {
    const out = resize(
      gray(1, 2, (x) => [0, 100][x] as number),
      1,
      4,
      'bilinear'
    )
    // Centres map to -0.25, 0.25, 0.75, 1.25 -> clamped 0, 0.25, 0.75, 1.
    expect(Array.from(out.data)).toEqual([0, 25, 75, 100])
  })

  it('keeps a uniform colour image uniform, per channel, with both methods', () => {
    const rgb: RawImage = { height: 5, width: 7, channels: 3, data: new Uint8Array(105) }
    for (let p = 0; p < 35; p++) rgb.data.set([12, 130, 250], p * 3)
    for (const method of ['area', 'bilinear'] as const) {
      const out = resize(rgb, 3, 11, method)
      expect(out.data.length).toBe(99)
      for (let p = 0; p < 33; p++)
        expect(Array.from(out.data.subarray(p * 3, p * 3 + 3))).toEqual([12, 130, 250])
    }
  })

  it('conformImage converts channels then size', () => {
    const out = conformImage(
      gray(2, 2, () => 60),
      { height: 1, width: 1, channels: 3 }
    )
    expect(Array.from(out)).toEqual([60, 60, 60])
  })
})
