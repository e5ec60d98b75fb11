/**
 * The one-component JPEG path (defenses/jpegGray.ts). Equality with PIL/libjpeg's decoded
 * pixels at qualities 95–80 is in the conformance suite (fixtures from PIL); here, properties
 * fixed by the standard and by libjpeg's arithmetic.
 */
import { describe, expect, it } from 'vitest'
import { grayJpegRoundTrip, luminanceTable } from '../../../../src/main/engine/defenses/jpegGray'

/** Rows of an `h` × `w` image, for readable expectations. */
function rows(pixels: Uint8Array, w: number): number[][] {
  return Array.from({ length: pixels.length / w }, (_, r) =>
    Array.from(pixels.subarray(r * w, r * w + w))
  )
}

/** An 8×8 diagonal ramp, (8r + 24c) mod 256: every coefficient of the block is non-zero. */
const RAMP = Uint8Array.from({ length: 64 }, (_, i) => (8 * Math.floor(i / 8) + 24 * (i % 8)) % 256)

describe('grayscale JPEG as libjpeg codes it', () => {
  // Expected pixels: PIL 9.4 (libjpeg-turbo 2.1, islow DCT) saving the image with mode 'L' and
  // reading it back, `Image.fromarray(a, 'L').save(buf, 'JPEG', quality=q)`. jpeg-js's
  // three-component route gives 96, 151 and 150 where row 0 col 4, row 4 col 5 and row 7
  // col 4 read 95, 150 and 149 at quality 50, so these values pin libjpeg's integer arithmetic.
  it('decodes a ramp to the very pixels PIL/libjpeg gives at qualities 75 and 50', () => {
    expect(rows(grayJpegRoundTrip(RAMP, 8, 8, 75), 8)).toEqual([
      [0, 26, 50, 72, 98, 120, 144, 170],
      [6, 32, 56, 78, 105, 127, 151, 176],
      [15, 41, 65, 87, 114, 136, 160, 185],
      [23, 49, 73, 95, 122, 144, 168, 193],
      [31, 56, 80, 102, 129, 151, 175, 201],
      [39, 64, 88, 110, 137, 159, 183, 209],
      [48, 73, 97, 119, 146, 168, 192, 218],
      [54, 80, 104, 126, 152, 174, 198, 224]
    ])
    expect(rows(grayJpegRoundTrip(RAMP, 8, 8, 50), 8)).toEqual([
      [2, 22, 50, 75, 95, 120, 148, 168],
      [8, 28, 56, 81, 102, 126, 154, 175],
      [17, 37, 65, 90, 111, 135, 163, 184],
      [25, 45, 74, 98, 119, 143, 171, 192],
      [32, 53, 81, 105, 126, 150, 179, 199],
      [40, 61, 89, 113, 134, 159, 187, 207],
      [49, 70, 98, 122, 143, 168, 196, 216],
      [56, 76, 104, 129, 149, 174, 202, 222]
    ])
  })

  it('replicates the last row and column into partial blocks as libjpeg does (5×11 at quality 90, PIL values)', () => {
    // A vertical edge between columns 3 and 4, the bright side alternating 220/180 by row.
    const edge = Uint8Array.from({ length: 5 * 11 }, (_, i) => {
      const r = Math.floor(i / 11)
      return i % 11 < 4 ? 40 : r % 2 === 0 ? 220 : 180
    })
    expect(rows(grayJpegRoundTrip(edge, 5, 11, 90), 11)).toEqual([
      [42, 36, 38, 45, 215, 222, 224, 218, 220, 220, 220],
      [39, 41, 44, 36, 183, 175, 178, 180, 181, 181, 181],
      [43, 37, 36, 43, 218, 224, 224, 217, 219, 219, 219],
      [36, 42, 44, 35, 186, 176, 179, 184, 181, 181, 181],
      [43, 41, 39, 42, 217, 220, 218, 216, 220, 220, 220]
    ])
  })

  it('scales the Annex K luminance table as jpeg_set_quality does', () => {
    // Quality 50 is the table itself; 100 is all ones; 10 multiplies by 5 and clamps at 255.
    expect(Array.from(luminanceTable(50)).slice(0, 8)).toEqual([16, 11, 10, 16, 24, 40, 51, 61])
    expect(Array.from(luminanceTable(100)).every((q) => q === 1)).toBe(true)
    expect(Array.from(luminanceTable(10)).slice(0, 8)).toEqual([80, 55, 50, 80, 120, 200, 255, 255])
    // Quality 80: scale 40, (16*40 + 50) / 100 = 6 (integer division).
    expect(luminanceTable(80)[0]).toBe(6)
  })

  it('keeps a flat image exactly, and a flat block of an odd-sized image at its edges', () => {
    const flat = new Uint8Array(13 * 21).fill(173)
    expect(Array.from(grayJpegRoundTrip(flat, 13, 21, 80)).every((v) => v === 173)).toBe(true)
  })

  it('keeps the block means (DC) of a checkerboard; lower quality departs further from it', () => {
    const h = 16
    const w = 16
    const board = Uint8Array.from({ length: h * w }, (_, i) =>
      ((i % w) + Math.floor(i / w)) % 2 ? 200 : 56
    )
    const mean = (a: Uint8Array) => a.reduce((s, v) => s + v, 0) / a.length
    const error = (a: Uint8Array) =>
      a.reduce((s, v, i) => s + Math.abs(v - board[i]!), 0) / a.length
    const q95 = grayJpegRoundTrip(board, h, w, 95)
    const q50 = grayJpegRoundTrip(board, h, w, 50)
    expect(Math.abs(mean(q95) - 128)).toBeLessThan(1)
    expect(Math.abs(mean(q50) - 128)).toBeLessThan(1)
    expect(error(q95)).toBeGreaterThan(0)
    expect(error(q50)).toBeGreaterThan(error(q95))
  })

  it('round-trips within one level at quality 100 (the integer transforms lose at most that)', () => {
    let seed = 9
    const pixels = Uint8Array.from(
      { length: 24 * 24 },
      () => ((seed = (seed * 1103515245 + 12345) % 2147483648) >> 16) & 255
    )
    const out = grayJpegRoundTrip(pixels, 24, 24, 100)
    let worst = 0
    pixels.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - out[i]!))))
    expect(worst).toBeLessThanOrEqual(1)
  })
})
