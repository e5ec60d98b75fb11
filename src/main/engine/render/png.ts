/**
 * The one PNG encoder: 8-bit pixels (grey, RGB or RGBA, row-major HWC) to PNG bytes, and the
 * data URLs the window and the HTML report show (the CSP allows `data:` images, nothing remote).
 * Float images in [0, 1] are rounded to 8 bits as tf.browser.toPixels does.
 */
import { PNG } from 'pngjs'

export type PngChannels = 1 | 3 | 4

/** Float pixels in [0, 1] → 8-bit, rounding, clamped; NaN becomes 0. */
export function toBytes(data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(data.length)
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!
    out[i] = Number.isFinite(v) ? Math.round(Math.min(1, Math.max(0, v)) * 255) : 0
  }
  return out
}

/** Encodes 8-bit HWC pixels (1 grey, 3 RGB or 4 RGBA channels) as PNG bytes. */
export function encodePng(
  pixels: ArrayLike<number>,
  height: number,
  width: number,
  channels: PngChannels
): Buffer {
  if (channels !== 1 && channels !== 3 && channels !== 4)
    throw new Error(`PNG: 1, 3 or 4 channels expected, got ${String(channels)}`)
  if (pixels.length !== height * width * channels) {
    throw new Error(`PNG: ${pixels.length} values for a ${height}x${width}x${channels} image`)
  }
  const png = new PNG({ width, height })
  for (let i = 0; i < height * width; i++) {
    const o = i * 4
    for (let c = 0; c < 3; c++) png.data[o + c] = pixels[channels === 1 ? i : i * channels + c]!
    png.data[o + 3] = channels === 4 ? pixels[i * 4 + 3]! : 255
  }
  return PNG.sync.write(png)
}

/** PNG bytes as a data URL. */
export function pngDataUrl(png: Buffer): string {
  return `data:image/png;base64,${png.toString('base64')}`
}

/** A float image in [0, 1] ([height, width, channels], 1 or 3 channels) as a PNG data URL. */
export function floatPngDataUrl(
  data: ArrayLike<number>,
  shape: readonly [number, number, number]
): string {
  const [h, w, c] = shape
  return pngDataUrl(encodePng(toBytes(data), h, w, c as PngChannels))
}
