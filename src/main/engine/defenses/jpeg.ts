/**
 * JPEG compression defense. Dziugaite, Ghahramani, Roy, "A study of the effect of JPG
 * compression on adversarial images", 2016, https://arxiv.org/abs/1608.00853 (and Das et al.
 * 2017): colour images through the real baseline codec of jpeg-js, grayscale ones as libjpeg
 * codes them (jpegGray.ts).
 *
 * Choices: floats are turned into 8-bit by ROUNDING (round(255·x), as tf.browser.toPixels and
 * PIL do), not truncating, so an undefended 8-bit image survives the conversion unchanged.
 * Grayscale images are coded as one component exactly as libjpeg (and so PIL) codes them
 * (jpegGray.ts): the same decoded pixels as PIL at the same quality. Colour images go through
 * jpeg-js's baseline codec (4:4:4, its own DCT).
 */
import jpeg from 'jpeg-js'
import { checkParam, toFloatBatch, toTensor } from './batch'
import { grayJpegRoundTrip } from './jpegGray'
import type { DefenseDefinition, FloatImageBatch } from './types'
import { DEFENSE_WORDS } from '../../../contract/words'

/** JPEG works on 8×8 blocks: each image gets a tile padded up to a multiple of this. */
const BLOCK = 8
/** Images per mosaic row; a mosaic is one encoder call. */
const TILES_PER_ROW = 16

/**
 * JPEG round trip of one batch at `quality` (1–100), in plain arrays.
 *
 * jpeg-js builds its Huffman and colour tables anew for every encode (~0.3 s here), which
 * would dominate a 1000-image defense table. So the batch is encoded as ONE mosaic in which
 * every image owns a tile aligned to the 8×8 block grid and padded by repeating its last row
 * and column — exactly what the codec does at an image's own edge. No block mixes two images,
 * quantisation is per block, and DC prediction is lossless, so each decoded tile equals the
 * image encoded on its own (a test checks this).
 */
export function jpegRoundTrip(batch: FloatImageBatch, quality: number): FloatImageBatch {
  const [n, h, w, c] = batch.shape
  if (c !== 1 && c !== 3) throw new Error(`JPEG defense needs 1 or 3 channels, got ${c}`)
  const out = new Float32Array(batch.data.length)
  if (n === 0) return { data: out, shape: [...batch.shape] }
  if (c === 1) return grayRoundTrip(batch, quality)
  const tileH = Math.ceil(h / BLOCK) * BLOCK
  const tileW = Math.ceil(w / BLOCK) * BLOCK
  const cols = Math.min(n, TILES_PER_ROW)
  const rows = Math.ceil(n / cols)
  const width = cols * tileW
  const height = rows * tileH
  const rgba = new Uint8Array(width * height * 4).fill(255)
  const per = h * w * c
  for (let i = 0; i < n; i++) {
    const ox = (i % cols) * tileW
    const oy = Math.floor(i / cols) * tileH
    for (let ty = 0; ty < tileH; ty++) {
      const y = Math.min(ty, h - 1)
      for (let tx = 0; tx < tileW; tx++) {
        const x = Math.min(tx, w - 1)
        const src = i * per + (y * w + x) * c
        const dst = ((oy + ty) * width + ox + tx) * 4
        for (let k = 0; k < 3; k++) {
          const v = batch.data[src + k]!
          rgba[dst + k] = Math.round(Math.min(1, Math.max(0, v)) * 255)
        }
      }
    }
  }
  const encoded = jpeg.encode({ data: rgba, width, height }, quality)
  const decoded = jpeg.decode(encoded.data, { useTArray: true, formatAsRGBA: true })
  for (let i = 0; i < n; i++) {
    const ox = (i % cols) * tileW
    const oy = Math.floor(i / cols) * tileH
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const src = ((oy + y) * width + ox + x) * 4
        const dst = i * per + (y * w + x) * c
        for (let k = 0; k < 3; k++) out[dst + k] = decoded.data[src + k]! / 255
      }
    }
  }
  return { data: out, shape: [...batch.shape] }
}

/** One component per image, as libjpeg codes it (jpegGray.ts). */
function grayRoundTrip(batch: FloatImageBatch, quality: number): FloatImageBatch {
  const [n, h, w] = batch.shape
  const out = new Float32Array(batch.data.length)
  const pixels = new Uint8Array(h * w)
  for (let i = 0; i < n; i++) {
    const base = i * h * w
    for (let p = 0; p < h * w; p++)
      pixels[p] = Math.round(Math.min(1, Math.max(0, batch.data[base + p]!)) * 255)
    const decoded = grayJpegRoundTrip(pixels, h, w, quality)
    for (let p = 0; p < h * w; p++) out[base + p] = decoded[p]! / 255
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
    'Floats → 8-bit by rounding; grayscale as one component, as libjpeg/PIL code it (islow DCT, ' +
    "standard luminance table scaled by quality); colour through jpeg-js's baseline codec.",
  estimateGradient: 'identity',
  label: (q) => DEFENSE_WORDS.jpeg.row(q),
  apply(x, quality) {
    checkParam('jpeg', jpegDefense.param, quality)
    return toTensor(jpegRoundTrip(toFloatBatch(x), quality))
  }
}
