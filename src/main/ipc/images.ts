/** Pixels → PNG data URLs for the renderer (the CSP allows `data:` images, nothing remote). */
import { PNG } from 'pngjs'

/** Encodes one 8-bit HWC image (1 or 3 channels) as a PNG data URL. */
export function pngDataUrl(pixels: ArrayLike<number>, height: number, width: number, channels: number): string {
  const png = new PNG({ width, height })
  for (let i = 0; i < height * width; i++) {
    const o = i * 4
    if (channels === 1) {
      const v = pixels[i]!
      png.data[o] = v
      png.data[o + 1] = v
      png.data[o + 2] = v
    } else {
      png.data[o] = pixels[i * channels]!
      png.data[o + 1] = pixels[i * channels + 1]!
      png.data[o + 2] = pixels[i * channels + 2]!
    }
    png.data[o + 3] = 255
  }
  return `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`
}

/** Float pixels in [0, 1] → 8-bit, rounding (as tf.browser.toPixels does). */
export function toBytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length)
  for (let i = 0; i < data.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, data[i]!)) * 255)
  return out
}

/**
 * The perturbation made visible: centred on grey and stretched so the largest |δ| reaches
 * full scale (the "amplified perturbation" of the gallery).
 */
export function amplifiedPerturbation(original: Float32Array, adversarial: Float32Array): Uint8Array {
  let max = 1e-12
  for (let i = 0; i < original.length; i++) max = Math.max(max, Math.abs(adversarial[i]! - original[i]!))
  const out = new Uint8Array(original.length)
  for (let i = 0; i < original.length; i++) {
    out[i] = Math.round(127.5 + (127.5 * (adversarial[i]! - original[i]!)) / max)
  }
  return out
}
