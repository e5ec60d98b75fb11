/**
 * Pictures laid out in a grid: nearest-neighbour upscaling (small images stay crisp) and cells
 * placed on a white sheet with gaps, for the gallery PNG and the explanation grid PNG.
 */
import { encodePng, toBytes } from './png'
import { amplifiedPerturbation } from './perturbation'

/** RGBA bytes of a w×h image enlarged `s` times (nearest neighbour). */
export function upscaleRgba(rgba: Uint8Array, w: number, h: number, s: number): Uint8Array {
  if (s === 1) return rgba
  const out = new Uint8Array(w * s * h * s * 4)
  for (let y = 0; y < h * s; y++)
    for (let x = 0; x < w * s; x++) {
      const src = (Math.floor(y / s) * w + Math.floor(x / s)) * 4
      out.set(rgba.subarray(src, src + 4), (y * w * s + x) * 4)
    }
  return out
}

/** 8-bit grey or RGB HWC pixels as RGBA (opaque). */
export function toRgba(
  pixels: ArrayLike<number>,
  h: number,
  w: number,
  channels: number
): Uint8Array {
  const out = new Uint8Array(h * w * 4)
  for (let p = 0; p < h * w; p++) {
    for (let k = 0; k < 3; k++) out[p * 4 + k] = pixels[p * channels + (channels === 1 ? 0 : k)]!
    out[p * 4 + 3] = 255
  }
  return out
}

export interface GridLayout {
  rows: number
  cols: number
  /** One cell's size before scaling. */
  cellWidth: number
  cellHeight: number
  scale: number
  /** White pixels between cells. */
  gap: number
  /** White pixels around the grid. */
  margin?: number
}

/**
 * A white RGBA sheet of rows × cols cells; `cell(row, col)` gives each cell's RGBA pixels at
 * cell size (or undefined to leave it white). Returns the sheet's PNG.
 */
export function gridPng(
  layout: GridLayout,
  cell: (row: number, col: number) => Uint8Array | undefined
): Buffer {
  const { rows, cols, cellWidth: w, cellHeight: h, scale: s, gap } = layout
  const margin = layout.margin ?? 0
  const cw = w * s
  const ch = h * s
  const width = cols * cw + (cols - 1) * gap + 2 * margin
  const height = Math.max(1, rows * ch + (rows - 1) * gap + 2 * margin)
  const out = new Uint8Array(width * height * 4).fill(255)
  for (let row = 0; row < rows; row++)
    for (let col = 0; col < cols; col++) {
      const rgba = cell(row, col)
      if (!rgba) continue
      const big = upscaleRgba(rgba, w, h, s)
      const x0 = margin + col * (cw + gap)
      const y0 = margin + row * (ch + gap)
      for (let y = 0; y < ch; y++)
        out.set(big.subarray(y * cw * 4, (y + 1) * cw * 4), ((y0 + y) * width + x0) * 4)
    }
  return encodePng(out, height, width, 4)
}

/**
 * One PNG of a gallery: a row per item, columns original / adversarial / amplified
 * perturbation, `scale`× enlarged, with a white gap between and around the cells.
 */
export function galleryGridPng(
  items: { original: ArrayLike<number>; adversarial: ArrayLike<number> }[],
  shape: readonly [number, number, number],
  scale = 4,
  gap = 4
): Buffer {
  const [h, w, c] = shape
  return gridPng(
    { rows: items.length, cols: 3, cellWidth: w, cellHeight: h, scale, gap, margin: gap },
    (row, col) => {
      const item = items[row]!
      const floats =
        col === 0
          ? item.original
          : col === 1
            ? item.adversarial
            : amplifiedPerturbation(item.original, item.adversarial)
      return toRgba(toBytes(floats), h, w, c)
    }
  )
}
