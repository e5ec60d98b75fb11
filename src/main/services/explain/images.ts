/**
 * Explanations as pictures: one heat map over its image, and a whole comparison as one PNG
 * grid (rows: images; columns: the image, then each model's map per method).
 */
import { encodePng, toBytes } from '../../engine/render/png'
import { gridPng, toRgba, upscaleRgba } from '../../engine/render/grid'
import { renderHeatmap, type ArrayData } from '../../engine/saliency'
import { METHOD_LABEL, slice } from './common'
import type { Explanation } from './stored'

/** Nearest-neighbour upscaling factor that makes a cell at least `min` pixels tall. */
function cellScale(h: number, min = 96): number {
  return Math.max(1, Math.ceil(min / h))
}

/** One heat map over its image as a PNG (nearest-neighbour upscaled for small images). */
export function heatmapPng(
  image: ArrayData,
  map: Float32Array,
  options: { alpha?: number; scale?: number } = {}
): Buffer {
  const [h, w] = image.shape.length === 4 ? image.shape.slice(1) : image.shape
  const rgba = renderHeatmap(image, map, options.alpha ?? 0.5)
  const s = options.scale ?? cellScale(h!)
  return encodePng(upscaleRgba(rgba, w!, h!, s), h! * s, w! * s, 4)
}

/** Column headers of explanationGridPng, in order (after the image column). */
export function gridColumns(e: Explanation): string[] {
  return e.models.flatMap((m) =>
    e.methods.map((method) => `${m.modelName} · ${METHOD_LABEL[method]}`)
  )
}

/**
 * The comparison as one PNG: a row per sample; columns: the image, then each model's map for
 * each method (heat map over the image). A method refused for a model is a flat grey cell.
 * Cells are separated by 2 white pixels and upscaled to ≥ 96 px.
 */
export function explanationGridPng(
  e: Explanation,
  options: { scale?: number; alpha?: number } = {}
): Buffer {
  const [n, h, w, c] = e.images.shape as [number, number, number, number]
  const grey = Uint8Array.from({ length: w * h * 4 }, (_, i) => (i % 4 === 3 ? 255 : 160))
  const cells = e.models.flatMap((m) => e.methods.map((method) => m.maps[method]))
  return gridPng(
    {
      rows: n,
      cols: 1 + cells.length,
      cellWidth: w,
      cellHeight: h,
      scale: options.scale ?? cellScale(h),
      gap: 2
    },
    (row, col) => {
      const image: ArrayData = { data: slice(e.images, row), shape: [h, w, c] }
      if (col === 0) return toRgba(toBytes(image.data), h, w, c)
      const map = cells[col - 1]
      return map && !('error' in map)
        ? renderHeatmap(image, slice(map, row), options.alpha ?? 0.5)
        : grey
    }
  )
}
