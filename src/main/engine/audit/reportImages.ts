/**
 * Pixels for the audit report and the gallery: float images in [0, 1] to 8-bit, the amplified
 * perturbation, PNG data URLs and a PNG of a whole gallery grid. Pure (pngjs only, no store),
 * so the report generator and the services share one encoding.
 */
import { PNG } from 'pngjs'

/** Float pixels in [0, 1] → 8-bit, rounding (as tf.browser.toPixels does), clamped. */
export function toBytes(data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(data.length)
  for (let i = 0; i < data.length; i++)
    out[i] = Math.round(Math.min(1, Math.max(0, data[i]!)) * 255)
  return out
}

/**
 * The perturbation made visible, as floats in [0, 1]: centred on grey (0.5) and stretched so
 * the largest |δ| reaches full scale. An all-zero perturbation (ε = 0) stays flat grey instead
 * of dividing by zero.
 */
export function amplifiedPerturbation(
  original: ArrayLike<number>,
  adversarial: ArrayLike<number>
): Float32Array {
  let max = 0
  for (let i = 0; i < original.length; i++)
    max = Math.max(max, Math.abs(adversarial[i]! - original[i]!))
  const out = new Float32Array(original.length)
  for (let i = 0; i < original.length; i++) {
    out[i] = max === 0 ? 0.5 : 0.5 + (0.5 * (adversarial[i]! - original[i]!)) / max
  }
  return out
}

/** Encodes one 8-bit HWC image (1 or 3 channels) as PNG bytes. */
export function encodePng(
  pixels: ArrayLike<number>,
  height: number,
  width: number,
  channels: number
): Buffer {
  if (channels !== 1 && channels !== 3)
    throw new Error(`PNG: 1 or 3 channels expected, got ${channels}`)
  if (pixels.length !== height * width * channels) {
    throw new Error(`PNG: ${pixels.length} values for a ${height}x${width}x${channels} image`)
  }
  const png = new PNG({ width, height })
  for (let i = 0; i < height * width; i++) {
    const o = i * 4
    for (let c = 0; c < 3; c++) png.data[o + c] = pixels[channels === 1 ? i : i * 3 + c]!
    png.data[o + 3] = 255
  }
  return PNG.sync.write(png)
}

/** A float image in [0, 1] as a PNG data URL (the report and the window's CSP allow `data:`). */
export function floatPngDataUrl(data: ArrayLike<number>, shape: [number, number, number]): string {
  const [h, w, c] = shape
  return `data:image/png;base64,${encodePng(toBytes(data), h, w, c).toString('base64')}`
}

/**
 * One PNG of a gallery: a row per item, columns original / adversarial / amplified
 * perturbation, `scale`× nearest-neighbour enlarged, with a white gap between cells.
 */
export function galleryGridPng(
  items: { original: ArrayLike<number>; adversarial: ArrayLike<number> }[],
  shape: [number, number, number],
  scale = 4,
  gap = 4
): Buffer {
  const [h, w, c] = shape
  const cellW = w * scale
  const cellH = h * scale
  const width = 3 * cellW + 4 * gap
  const height = Math.max(1, items.length * (cellH + gap) + gap)
  const out = new Uint8Array(height * width * 3).fill(255)
  items.forEach((item, row) => {
    const cells = [
      toBytes(item.original),
      toBytes(item.adversarial),
      toBytes(amplifiedPerturbation(item.original, item.adversarial))
    ]
    cells.forEach((px, col) => {
      const x0 = gap + col * (cellW + gap)
      const y0 = gap + row * (cellH + gap)
      for (let y = 0; y < cellH; y++) {
        for (let x = 0; x < cellW; x++) {
          const src = (Math.floor(y / scale) * w + Math.floor(x / scale)) * c
          const dst = ((y0 + y) * width + x0 + x) * 3
          for (let k = 0; k < 3; k++) out[dst + k] = px[c === 1 ? src : src + k]!
        }
      }
    })
  })
  return encodePng(out, height, width, 3)
}
