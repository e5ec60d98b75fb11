/**
 * Total variation minimisation defense. Guo, Rana, Cissé, van der Maaten, "Countering
 * Adversarial Images using Input Transformations", ICLR 2018, https://arxiv.org/abs/1711.00117
 * Solver: Chambolle's dual projection algorithm (A. Chambolle, "An Algorithm for Total
 * Variation Minimization and Applications", JMIV 2004), written as scikit-image's
 * `denoise_tv_chambolle` does it: per image and per channel in 2-D, τ = 1/4, at most 200
 * iterations, stop when the energy changes by less than 2·10⁻⁴ of its initial value.
 *
 * Scale: in Table 6.3 the clean-sample errors RISE with the weight (3 → 9), so a larger weight
 * smooths more — Chambolle's formulation, min_u ‖u − f‖²/2 + λ·TV(u) (the Bregman form is the
 * other way round). The weights 3–9 are read on 0–255 pixel values, where they are mild. TV
 * denoising is scale-equivariant (u(c·f, c·λ) = c·u(f, λ)), so we run on [0, 1] values with
 * λ = weight / 255, which gives exactly the 0–255 result divided by 255.
 */
import { checkParam, toFloatBatch, toTensor } from './batch'
import type { DefenseDefinition, FloatImageBatch } from './types'
import { DEFENSE_WORDS } from '../../../contract/words'

export const TV_MAX_ITERATIONS = 200
export const TV_TOLERANCE = 2e-4

/**
 * Chambolle TV denoising of one 2-D channel (h × w, row-major) with weight λ (same units as
 * the values). Returns a new array.
 */
export function chambolle2d(
  image: Float64Array,
  h: number,
  w: number,
  weight: number,
  tolerance = TV_TOLERANCE,
  maxIterations = TV_MAX_ITERATIONS
): Float64Array {
  const size = h * w
  const px = new Float64Array(size)
  const py = new Float64Array(size)
  const gx = new Float64Array(size)
  const gy = new Float64Array(size)
  const out = Float64Array.from(image)
  const tau = 0.25
  let eInit = 0
  let ePrev = 0
  for (let it = 0; it < maxIterations; it++) {
    let energy = 0
    if (it > 0) {
      // out = f − div p, with the backward-difference divergence of the dual field p.
      for (let r = 0; r < h; r++) {
        for (let c = 0; c < w; c++) {
          const i = r * w + c
          let d = -(px[i]! + py[i]!)
          if (r > 0) d += px[i - w]!
          if (c > 0) d += py[i - 1]!
          out[i] = image[i]! + d
          energy += d * d
        }
      }
    }
    let tv = 0
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        const i = r * w + c
        gx[i] = r < h - 1 ? out[i + w]! - out[i]! : 0
        gy[i] = c < w - 1 ? out[i + 1]! - out[i]! : 0
        const norm = Math.sqrt(gx[i]! * gx[i]! + gy[i]! * gy[i]!)
        tv += norm
        const factor = 1 + (tau / weight) * norm
        px[i] = (px[i]! - tau * gx[i]!) / factor
        py[i] = (py[i]! - tau * gy[i]!) / factor
      }
    }
    energy = (energy + weight * tv) / size
    if (it === 0) {
      eInit = energy
      ePrev = energy
    } else if (Math.abs(ePrev - energy) < tolerance * eInit) {
      break
    } else {
      ePrev = energy
    }
  }
  return out
}

/** Applies Chambolle TV per image and channel with weight given on the 0–255 scale. */
export function totalVariationDenoise(batch: FloatImageBatch, weight255: number): FloatImageBatch {
  const [n, h, w, c] = batch.shape
  const out = new Float32Array(batch.data.length)
  const channel = new Float64Array(h * w)
  const lambda = weight255 / 255
  for (let i = 0; i < n; i++) {
    const base = i * h * w * c
    for (let k = 0; k < c; k++) {
      for (let p = 0; p < h * w; p++) channel[p] = batch.data[base + p * c + k]!
      const denoised = chambolle2d(channel, h, w, lambda)
      for (let p = 0; p < h * w; p++) out[base + p * c + k] = Math.min(1, Math.max(0, denoised[p]!))
    }
  }
  return { data: out, shape: [...batch.shape] }
}

export const tvmDefense: DefenseDefinition = {
  id: 'tvm',
  name: 'Total variation minimisation',
  paper: 'https://arxiv.org/abs/1711.00117',
  param: {
    name: 'weight',
    label: 'Weight (0–255 scale)',
    min: 0.001,
    max: 1000,
    integer: false,
    default: 5,
    tableValues: [3, 5, 7, 9]
  },
  notes:
    'Chambolle projection (as skimage denoise_tv_chambolle), per channel, weight on 0–255 values, ' +
    `τ = 1/4, ≤ ${TV_MAX_ITERATIONS} iterations, tolerance ${TV_TOLERANCE}; output clipped to [0, 1].`,
  estimateGradient: 'identity',
  label: (wt) => DEFENSE_WORDS.tvm.row(wt),
  apply(x, weight) {
    checkParam('tvm', tvmDefense.param, weight)
    return toTensor(totalVariationDenoise(toFloatBatch(x), weight))
  }
}
