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
import { BatchNormTrain, nativeKernelsActive } from '../kernels/nativeKernels'

export interface BatchNormTrainResult {
  y: Tensor
  /** Per-channel batch mean, [channels]. */
  mean: Tensor
  /** Per-channel biased batch variance, [channels]. */
  variance: Tensor
}

export function batchNormTrain(x: Tensor, gamma: Tensor, beta: Tensor, epsilon: number): BatchNormTrainResult {
  if (!nativeKernelsActive()) return batchNormTrainOps(x, gamma, beta, epsilon)
  const [y, mean, variance] = tf.engine().runKernel(BatchNormTrain, { x, gamma, beta }, { epsilon }) as Tensor[]
  return { y: y!, mean: mean!, variance: variance! }
}

/**
 * The ops route. The centred input serves both the variance and the output (tf.moments
 * would subtract the mean a second time).
 */
export function batchNormTrainOps(x: Tensor, gamma: Tensor, beta: Tensor, epsilon: number): BatchNormTrainResult {
  const channels = x.shape[x.rank - 1]!
  const axes = [...Array(x.rank - 1).keys()]
  const mean = tf.mean(x, axes, true)
  const centred = tf.sub(x, mean)
  const variance = tf.mean(tf.square(centred), axes, true)
  const scale = tf.mul(tf.rsqrt(tf.add(variance, epsilon)), gamma)
  return {
    y: tf.add(tf.mul(centred, scale), beta),
    mean: tf.reshape(mean, [channels]),
    variance: tf.reshape(variance, [channels])
  }
}
