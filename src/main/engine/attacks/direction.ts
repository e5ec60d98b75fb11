import { tf } from '../tf'
import type { Tensor4D } from '../tf'
import { strictSign } from '../ops/sign'

/**
 * L∞ steepest ascent: the sign of the gradient (ops/sign's strictSign: ±1 however small the
 * gradient, 0 only where it is exactly 0, the same on every backend).
 */
export function sign(grad: Tensor4D): Tensor4D {
  return strictSign(grad)
}

/**
 * 1 / ‖g_i‖₁ per sample as an [N, 1, 1, 1] tensor, summed in float64 on the host: a
 * reduction's order and precision differ between backends (the cpu backend sums in double,
 * wasm in float), and so would the momentum's last bits and, where it nearly cancels, its
 * sign. One read of the gradient per step is small beside computing it.
 */
function inverseL1PerSample(grad: Tensor4D): Tensor4D {
  const values = grad.dataSync()
  const n = grad.shape[0]
  const per = values.length / Math.max(n, 1)
  const inverse = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    let l1 = 0
    for (let k = i * per; k < (i + 1) * per; k++) l1 += Math.abs(values[k]!)
    inverse[i] = 1 / Math.max(l1, 1e-12)
  }
  return tf.tensor4d(inverse, [n, 1, 1, 1])
}

/**
 * MI-FGSM accumulation (Dong et al. 2018, Eq. 6): g ← μ·g + ∇ / ‖∇‖₁, with the L1 norm taken
 * per sample BEFORE accumulation, so samples with large gradients do not swamp the momentum of
 * the others. The division is a product with the reciprocal computed on the host, so the
 * momentum is the same to the bit on every backend. Returns a stateful direction function and
 * its disposer.
 */
export function momentum(decay: number): { direction(grad: Tensor4D): Tensor4D; dispose(): void } {
  let accumulated: Tensor4D | undefined
  return {
    direction(grad) {
      const normalised = tf.mul(grad, inverseL1PerSample(grad)) as Tensor4D
      const next = accumulated
        ? (tf.add(tf.mul(accumulated, decay), normalised) as Tensor4D)
        : normalised
      accumulated?.dispose()
      accumulated = tf.keep(next)
      return strictSign(next)
    },
    dispose() {
      accumulated?.dispose()
      accumulated = undefined
    }
  }
}
