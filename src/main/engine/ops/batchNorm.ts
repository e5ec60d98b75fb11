/**
 * Training-mode batch normalisation of a channels-last tensor: statistics over every axis but
 * the last. Two routes with the same maths and gradients to second order:
 *  - native (kernels/own/BatchNormTrain, when active): one kernel forward, one backward, whose own
 *    gradient (gradients/BatchNormTrain_grad) is written in ops for orthogonal training;
 *  - ops: mean/rsqrt/mul written out, so tfjs's autodiff differentiates it twice.
 * The native route is 2 passes over the activations each way instead of ~6 forward and ~12
 * backward, and keeps two full-size tensors on the tape instead of about ten.
 */
import { tf, type Tensor } from '../tf'
import { BatchNormTrain, BatchNormTrainRelu, nativeKernelsActive } from '../kernels/nativeKernels'
import { stopGradient } from './stopGradient'

export interface BatchNormTrainResult {
  y: Tensor
  /** Per-channel batch mean, [channels]. */
  mean: Tensor
  /** Per-channel biased batch variance, [channels]. */
  variance: Tensor
}

/** relu: y through a ReLU, in the same pass on the native route. */
export function batchNormTrain(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  epsilon: number,
  relu = false
): BatchNormTrainResult {
  if (!nativeKernelsActive()) {
    const r = batchNormTrainOps(x, gamma, beta, epsilon)
    return relu ? { ...r, y: tf.relu(r.y) } : r
  }
  const [y, mean, variance] = tf
    .engine()
    .runKernel(
      relu ? BatchNormTrainRelu : BatchNormTrain,
      { x, gamma, beta },
      { epsilon }
    ) as Tensor[]
  return { y: y!, mean: mean!, variance: variance! }
}

/**
 * The ops route. The centred input serves both the variance and the output (tf.moments
 * would subtract the mean a second time). The mean comes out of tf.mean rounded to float32,
 * which misses up to half an ulp of |mean|: where |mean| ≫ std (10⁴ × std is half an ulp of
 * 1e-3, a 5e-4 shift of every normalised value) the mean of the centred values recovers it.
 * That correction is zero in exact arithmetic, so its gradient is stopped.
 */
export function batchNormTrainOps(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  epsilon: number
): BatchNormTrainResult {
  const channels = x.shape[x.rank - 1]!
  const axes = [...Array(x.rank - 1).keys()]
  const meanHi = tf.mean(x, axes, true)
  const centredHi = tf.sub(x, meanHi)
  const meanLo = stopGradient(tf.mean(centredHi, axes, true))
  const centred = tf.sub(centredHi, meanLo)
  const variance = tf.mean(tf.square(centred), axes, true)
  const scale = tf.mul(tf.rsqrt(tf.add(variance, epsilon)), gamma)
  return {
    y: tf.add(tf.mul(centred, scale), beta),
    mean: tf.reshape(tf.add(meanHi, meanLo), [channels]),
    variance: tf.reshape(variance, [channels])
  }
}
