/**
 * Gradients of the native training-mode batch norm (ops/batchNorm, kernels/nativeKernels).
 *
 * First order: BatchNormTrain's gradient is the BatchNormTrainGrad kernel (dx, dgamma, dbeta
 * in one call). The kernel's mean and variance outputs feed only the running statistics, so
 * their incoming gradients are ignored.
 *
 * Second order: orthogonal training differentiates the input gradient, so BatchNormTrainGrad
 * needs a gradient too; it is written in ops here. Per channel, with sums S over the N rows,
 * r = 1/sqrt(variance + eps) and xh = (x - mean) r, that kernel computes
 *   dx = (gamma r / N)(N g - Sg - xh Sgxh),   dgamma = Sgxh,   dbeta = Sg      (g = dy).
 * For upstream gradients a (of dx), p (of dgamma), q (of dbeta), k = gamma r / N:
 *   d/dg     = k (N a - Sa - xh Saxh) + p xh + q
 *   d/dgamma = (r/N) (N Sag - Sa Sg - Saxh Sgxh)
 *   d/dx     = (r/N) (N v - Sv - xh Svxh) - (gamma r / N) d/dgamma xh,
 *              v = -k (a Sgxh + g Saxh) + p g      (the gradient reaching xh directly;
 *              the last term is the one reaching r).
 * d/dx already counts x's influence through the batch mean and variance, which reach this
 * kernel as inputs (the forward kernel's outputs): their gradients are zero so it is not
 * counted twice. Checked against the ops route at second order in test/.../batchNorm.test.ts.
 */
import { tf, type Tensor } from '../tf'
import { BatchNormTrain, BatchNormTrainGrad } from '../kernels/nativeKernelNames'

interface EpsilonAttr {
  epsilon: number
}

export const batchNormTrainGradConfig: tf.GradConfig = {
  kernelName: BatchNormTrain,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const dy = (dys as Tensor[])[0]!
    const [x, gamma, mean, variance] = saved as Tensor[]
    // One kernel call gives all three; each closure hands out its own (the engine keeps them).
    const [dx, dgamma, dbeta] = tf.engine().runKernel(
      BatchNormTrainGrad,
      { dy, x: x!, gamma: gamma!, mean: mean!, variance: variance! },
      { epsilon: (attrs as unknown as EpsilonAttr).epsilon }
    ) as Tensor[]
    return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! }
  }
}

export const batchNormTrainGradGradConfig: tf.GradConfig = {
  kernelName: BatchNormTrainGrad,
  inputsToSave: ['dy', 'x', 'gamma', 'mean', 'variance'],
  gradFunc: (dys, saved, attrs) => {
    const [a, p, q] = dys as Tensor[]
    const [g, x, gamma, mean, variance] = saved as Tensor[]
    const epsilon = (attrs as unknown as EpsilonAttr).epsilon
    const axes = [...Array(x!.rank - 1).keys()]
    const n = x!.size / x!.shape[x!.rank - 1]!
    const sum = (t: Tensor): Tensor => tf.sum(t, axes)
    const r = tf.rsqrt(tf.add(variance!, epsilon))
    const k = tf.div(tf.mul(gamma!, r), n)
    const normalised = (): Tensor => tf.mul(tf.sub(x!, mean!), r)
    // The per-channel sums; the full-size xh is rebuilt where needed rather than kept.
    const [sg, sgxh, sa, saxh, sag] = tf.tidy(() => {
      const xh = normalised()
      return [sum(g!), sum(tf.mul(g!, xh)), sum(a!), sum(tf.mul(a!, xh)), sum(tf.mul(a!, g!))]
    })
    const dGamma = tf.mul(tf.div(r, n), tf.sub(tf.sub(tf.mul(sag!, n), tf.mul(sa!, sg!)), tf.mul(saxh!, sgxh!)))
    return {
      dy: () => {
        const xh = normalised()
        return tf.add(tf.add(tf.mul(k, tf.sub(tf.sub(tf.mul(a!, n), sa!), tf.mul(xh, saxh!))), tf.mul(p!, xh)), q!)
      },
      gamma: () => dGamma,
      x: () => {
        const xh = normalised()
        const v = tf.sub(tf.mul(p!, g!), tf.mul(k, tf.add(tf.mul(a!, sgxh!), tf.mul(g!, saxh!))))
        const sv = sum(v)
        const svxh = sum(tf.mul(v, xh))
        const throughXh = tf.mul(tf.div(r, n), tf.sub(tf.sub(tf.mul(v, n), sv), tf.mul(xh, svxh)))
        return tf.sub(throughXh, tf.mul(tf.mul(k, dGamma), xh))
      },
      mean: () => tf.zerosLike(mean!),
      variance: () => tf.zerosLike(variance!)
    }
  }
}
