/**
 * The one-component JPEG path (defenses/jpegGray.ts). Equality with PIL/libjpeg's decoded
 * pixels at qualities 95–80 is in the conformance suite (fixtures from PIL); here, properties
 * fixed by the standard and by libjpeg's arithmetic.
 */
import { describe, expect, it } from 'vitest'
import { grayJpegRoundTrip, luminanceTable } from '../../../../src/main/engine/defenses/jpegGray'

describe('grayscale JPEG as libjpeg codes it', () => {
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
    const board = Uint8Array.from({ length: h * w }, (_, i) => (((i % w) + Math.floor(i / w)) % 2 ? 200 : 56))
    const mean = (a: Uint8Array) => a.reduce((s, v) => s + v, 0) / a.length
    const error = (a: Uint8Array) => a.reduce((s, v, i) => s + Math.abs(v - board[i]!), 0) / a.length
    const q95 = grayJpegRoundTrip(board, h, w, 95)
    const q50 = grayJpegRoundTrip(board, h, w, 50)
    expect(Math.abs(mean(q95) - 128)).toBeLessThan(1)
    expect(Math.abs(mean(q50) - 128)).toBeLessThan(1)
    expect(error(q95)).toBeGreaterThan(0)
    expect(error(q50)).toBeGreaterThan(error(q95))
  })

  it('round-trips within one level at quality 100 (the integer transforms lose at most that)', () => {
    let seed = 9
    const pixels = Uint8Array.from({ length: 24 * 24 }, () => ((seed = (seed * 1103515245 + 12345) % 2147483648) >> 16) & 255)
    const out = grayJpegRoundTrip(pixels, 24, 24, 100)
    let worst = 0
    pixels.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - out[i]!))))
    expect(worst).toBeLessThanOrEqual(1)
  })
})
