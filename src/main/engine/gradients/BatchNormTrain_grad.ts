/**
 * Gradients of the native training-mode batch norm (ops/batchNorm, kernels/own/BatchNormTrain).
 *
 * First order: BatchNormTrain's gradient is the BatchNormTrainGrad kernel (dx, dgamma, dbeta
 * in one call). The kernel's mean and variance outputs feed only the running statistics, so
 * their incoming gradients are ignored.
 *
 * Second order: orthogonal training differentiates the input gradient, so BatchNormTrainGrad
 * needs a gradient too: the native BatchNormTrainGradGrad kernel evaluates the following.
 * Per channel, with sums S over the N rows, r = 1/sqrt(variance + eps) and
 * xh = (x - mean) r, BatchNormTrainGrad computes
 *   dx = (gamma r / N)(N g - Sg - xh Sgxh),   dgamma = Sgxh,   dbeta = Sg      (g = dy).
 * For upstream gradients a (of dx), p (of dgamma), q (of dbeta), k = gamma r / N:
 *   d/dg     = k (N a - Sa - xh Saxh) + p xh + q
 *   d/dgamma = (r/N) (N Sag - Sa Sg - Saxh Sgxh)
 *   d/dx     = (r/N) (N v - Sv - xh Svxh) - (gamma r / N) d/dgamma xh,
 *              v = -k (a Sgxh + g Saxh) + p g      (the gradient reaching xh directly;
 *              the last term is the one reaching r).
 * d/dx already counts x's influence through the batch mean and variance, which reach this
 * kernel as inputs (the forward kernel's outputs): their gradients are zero so it is not
 * counted twice. The kernel folds these into per-channel coefficients after one pass of sums
 * (kernels/native/batchnorm.cc). Checked against the ops route (ops/batchNorm, which tfjs
 * differentiates itself) at second order in test/main/engine/ops/batchNorm.test.ts.
 */
import { tf, type Tensor } from '../tf'
import {
  BatchNormTrain,
  BatchNormTrainGrad,
  BatchNormTrainGradGrad,
  BatchNormTrainRelu
} from '../kernels/nativeKernelNames'
import { reluGradConfig } from './Relu_grad'

interface EpsilonAttr {
  epsilon: number
}

/** dx, dgamma, dbeta of the batch norm for dy (one kernel call gives all three). */
function batchNormGrads(
  dy: Tensor,
  saved: Tensor[],
  epsilon: number
): Record<string, () => Tensor> {
  const [x, gamma, mean, variance] = saved
  const [dx, dgamma, dbeta] = tf
    .engine()
    .runKernel(
      BatchNormTrainGrad,
      { dy, x: x!, gamma: gamma!, mean: mean!, variance: variance! },
      { epsilon }
    ) as Tensor[]
  // Each closure hands out its own tensor (the engine keeps them).
  return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! }
}

export const batchNormTrainGradConfig: tf.GradConfig = {
  kernelName: BatchNormTrain,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) =>
    batchNormGrads(
      (dys as Tensor[])[0]!,
      saved as Tensor[],
      (attrs as unknown as EpsilonAttr).epsilon
    )
}

/**
 * With the ReLU fused in, dy first goes through its mask [y > 0]: ReLU's own gradient, so the
 * second order runs through reluGradGradConfig as for a separate ReLU. The output y is kept
 * for that mask.
 */
export const batchNormTrainReluGradConfig: tf.GradConfig = {
  kernelName: BatchNormTrainRelu,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [true, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [x, gamma, y, mean, variance] = saved as Tensor[]
    const dy = reluGradConfig.gradFunc((dys as Tensor[])[0]!, [y!], {}).x!()
    return batchNormGrads(
      dy,
      [x!, gamma!, mean!, variance!],
      (attrs as unknown as EpsilonAttr).epsilon
    )
  }
}

export const batchNormTrainGradGradConfig: tf.GradConfig = {
  kernelName: BatchNormTrainGrad,
  inputsToSave: ['dy', 'x', 'gamma', 'mean', 'variance'],
  gradFunc: (dys, saved, attrs) => {
    const [a, p, q] = dys as Tensor[]
    const [dy, x, gamma, mean, variance] = saved as Tensor[]
    // One native kernel: two passes instead of ~35 full-size ops per layer. It has no
    // gradient of its own (a third derivative is never taken).
    const [ddy, ddx, ddgamma] = tf
      .engine()
      .runKernel(
        BatchNormTrainGradGrad,
        { a: a!, p: p!, q: q!, dy: dy!, x: x!, gamma: gamma!, mean: mean!, variance: variance! },
        { epsilon: (attrs as unknown as EpsilonAttr).epsilon }
      ) as Tensor[]
    return {
      dy: () => ddy!,
      x: () => ddx!,
      gamma: () => ddgamma!,
      mean: () => tf.zerosLike(mean!),
      variance: () => tf.zerosLike(variance!)
    }
  }
}
