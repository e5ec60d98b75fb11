/**
 * Bilateral filter defense (edge-preserving smoothing of the input). Tomasi & Manduchi,
 * "Bilateral Filtering for Gray and Color Images", ICCV 1998; used against adversarial
 * examples by Xu et al. (feature squeezing, median/bilateral smoothing) and Liao-style input
 * denoisers.
 *
 * out(p) = Σ_q w(p, q)·x(q) / Σ_q w(p, q) over the square window × window around p, with
 *   w(p, q) = exp(−‖p − q‖² / (2σ_s²)) · exp(−‖x(p) − x(q)‖² / (2σ_c²)),
 * ‖x(p) − x(q)‖ the Euclidean distance over all channels (so colour edges stay aligned).
 * Choices: σ_spatial = window / 3 (the window spans ±1.5σ_s), σ_color = 0.1 on the [0, 1]
 * scale (≈ 25 gray levels), borders mirrored without repeating the edge (OpenCV's
 * BORDER_REFLECT_101) — never zero padding, which would darken dark edges.
 */
import { checkParam, reflect101, toFloatBatch, toTensor } from './batch'
import type { DefenseDefinition, FloatImageBatch } from './types'
import { DEFENSE_WORDS } from '../../../contract/words'

export const BILATERAL_SIGMA_COLOR = 0.1

export function bilateralSigmaSpatial(window: number): number {
  return window / 3
}

/** Bilateral filter of a batch with a square window (odd size). */
export function bilateralFilter(
  batch: FloatImageBatch,
  window: number,
  sigmaColor = BILATERAL_SIGMA_COLOR,
  sigmaSpatial = bilateralSigmaSpatial(window)
): FloatImageBatch {
  const [n, h, w, c] = batch.shape
  const r = Math.floor(window / 2)
  const spatial = new Float64Array((2 * r + 1) ** 2)
  for (let dy = -r; dy <= r; dy++) {
    for (let dx = -r; dx <= r; dx++) {
      spatial[(dy + r) * (2 * r + 1) + dx + r] = Math.exp(
        -(dy * dy + dx * dx) / (2 * sigmaSpatial ** 2)
      )
    }
  }
  const colorCoeff = -1 / (2 * sigmaColor ** 2)
  const src = batch.data
  const out = new Float32Array(src.length)
  const acc = new Float64Array(c)
  for (let i = 0; i < n; i++) {
    const base = i * h * w * c
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const centre = base + (y * w + x) * c
        acc.fill(0)
        let norm = 0
        for (let dy = -r; dy <= r; dy++) {
          const yy = reflect101(y + dy, h)
          for (let dx = -r; dx <= r; dx++) {
            const q = base + (yy * w + reflect101(x + dx, w)) * c
            let dist2 = 0
            for (let k = 0; k < c; k++) {
              const diff = src[q + k]! - src[centre + k]!
              dist2 += diff * diff
            }
            const wgt = spatial[(dy + r) * (2 * r + 1) + dx + r]! * Math.exp(dist2 * colorCoeff)
            norm += wgt
            for (let k = 0; k < c; k++) acc[k] += wgt * src[q + k]!
          }
        }
        for (let k = 0; k < c; k++) out[centre + k] = acc[k]! / norm
      }
    }
  }
  return { data: out, shape: [...batch.shape] }
}

export const bilateralDefense: DefenseDefinition = {
  id: 'bilateral',
  name: 'Bilateral filter',
  paper: 'https://doi.org/10.1109/ICCV.1998.710815',
  param: {
    name: 'window',
    label: 'Window size',
    min: 1,
    max: 31,
    integer: true,
    default: 5,
    tableValues: [3, 5, 7, 9]
  },
  notes: `Square window; σ_spatial = window/3, σ_color = ${BILATERAL_SIGMA_COLOR} on [0, 1]; reflect-101 border.`,
  estimateGradient: 'identity',
  label: (win) => DEFENSE_WORDS.bilateral.row(win),
  apply(x, window) {
    checkParam('bilateral', bilateralDefense.param, window)
    if (window % 2 === 0) {
      throw new Error(`Defense "bilateral": parameter "window" must be odd, got ${window}`)
    }
    return toTensor(bilateralFilter(toFloatBatch(x), window))
  }
}
