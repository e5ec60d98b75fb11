/**
 * JPEG compression defense. Dziugaite, Ghahramani, Roy, "A study of the effect of JPG
 * compression on adversarial images", 2016, https://arxiv.org/abs/1608.00853 (and Das et al.
 * 2017); encoded and decoded with the real baseline codec of jpeg-js.
 *
 * Choices: floats are turned into 8-bit by ROUNDING (round(255·x), as tf.browser.toPixels and
 * PIL do), not truncating, so an undefended 8-bit image survives the conversion unchanged.
 * Grayscale images are replicated to RGB for the codec and the decoded R, G, B are averaged
 * back (the codec's colour transform leaves gray nearly gray; averaging removes what remains).
 */
import jpeg from 'jpeg-js'
import type { Tensor4D } from '../tf'
import { checkParam, toFloatBatch, toTensor } from './batch'
import type { DefenseDefinition, FloatImageBatch } from './types'

/** JPEG round trip of one batch at `quality` (1–100), in plain arrays. */
export function jpegRoundTrip(batch: FloatImageBatch, quality: number): FloatImageBatch {
  const [n, h, w, c] = batch.shape
  if (c !== 1 && c !== 3) throw new Error(`JPEG defense needs 1 or 3 channels, got ${c}`)
  const out = new Float32Array(batch.data.length)
  const rgba = new Uint8Array(h * w * 4)
  const per = h * w * c
  for (let i = 0; i < n; i++) {
    const base = i * per
    for (let p = 0; p < h * w; p++) {
      for (let k = 0; k < 3; k++) {
        const v = batch.data[base + p * c + (c === 1 ? 0 : k)]!
        rgba[p * 4 + k] = Math.round(Math.min(1, Math.max(0, v)) * 255)
      }
      rgba[p * 4 + 3] = 255
    }
    const encoded = jpeg.encode({ data: rgba, width: w, height: h }, quality)
    const decoded = jpeg.decode(encoded.data, { useTArray: true, formatAsRGBA: true })
    for (let p = 0; p < h * w; p++) {
      const r = decoded.data[p * 4]!
      const g = decoded.data[p * 4 + 1]!
      const b = decoded.data[p * 4 + 2]!
      if (c === 1) out[base + p] = (r + g + b) / (3 * 255)
      else {
        out[base + p * 3] = r / 255
        out[base + p * 3 + 1] = g / 255
        out[base + p * 3 + 2] = b / 255
      }
    }
  }
  return { data: out, shape: [...batch.shape] }
}

export const jpegDefense: DefenseDefinition = {
  id: 'jpeg',
  name: 'JPEG compression',
  paper: 'https://arxiv.org/abs/1608.00853',
  param: {
    name: 'quality',
    label: 'Quality',
    min: 1,
    max: 100,
    integer: true,
    default: 90,
    tableValues: [95, 90, 85, 80]
  },
  notes:
    'jpeg-js baseline codec; floats → 8-bit by rounding; grayscale expanded to RGB and averaged back.',
  estimateGradient: 'identity',
  label: (q) => `JPEG-Quality=${q}`,
  apply(x, quality) {
    checkParam('jpeg', jpegDefense.param, quality)
    return toTensor(jpegRoundTrip(toFloatBatch(x), quality))
  }
}
