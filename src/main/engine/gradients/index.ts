/**
 * The project's second-order-correct gradients, one file per kernel; installGradients()
 * registers them through the checked registry (engine/install.ts calls it, once).
 * Each replaces a stock tfjs gradient that is wrong or missing at second order, or slow:
 *  - Exp, Tanh, Sigmoid, Softmax, LogSoftmax: stock ones reuse the saved OUTPUT, which is
 *    disconnected from the tape at second order (tfjs issue #3252); ours recompute it.
 *    Note tf.logSoftmax and tf.losses.softmaxCrossEntropy are customGrad ops that never reach
 *    these kernel gradients and are wrong at second order: use ops/crossEntropy instead.
 *  - MaxPool, AvgPool: stock gradients are kernels without gradients (AvgPool's is also wrong
 *    at 'same' borders); ours are ops.
 *  - Max: stock mask uses `equal`, which has no gradient (double backprop throws).
 *  - Conv2D: forward-convolution decomposition, fast on wasm and differentiable.
 *  - Conv2DBackpropFilter: tfjs has none; the native filter gradient needs one at second order.
 *  - BatchNormTrain(Relu), BatchNormTrainGrad: our native batch-norm kernels (ops/batchNorm).
 *  - ChannelAffine, ChannelAffineGrad: our native inference batch norm (+ ReLU) (ops/channelAffine).
 *  - ConvAffine: a convolution with that affine map fused in (ops/convAffine).
 *  - Relu: one native pass when active; its native kernel's own gradient.
 *  - FlipFilter: our filter flip for input gradients, its own inverse.
 *  - Equal, Greater, …: zero gradients, so masks built by Max/Min gradients differentiate.
 *  - Sum, Mean: the stock maths without a full-size tensor of ones built in JavaScript.
 */
import type { tf } from '../tf'
import { registerOurGradient } from './registry'
import { expGradConfig } from './Exp_grad'
import { tanhGradConfig } from './Tanh_grad'
import { sigmoidGradConfig } from './Sigmoid_grad'
import { softmaxGradConfig } from './Softmax_grad'
import { logSoftmaxGradConfig } from './LogSoftmax_grad'
import { maxPoolGradConfig } from './MaxPool_grad'
import { avgPoolGradConfig } from './AvgPool_grad'
import { conv2DGradConfig } from './Conv2D_grad'
import { conv2DBackpropFilterGradConfig } from './Conv2DBackpropFilter_grad'
import {
  batchNormTrainGradConfig,
  batchNormTrainGradGradConfig,
  batchNormTrainReluGradConfig
} from './BatchNormTrain_grad'
import { channelAffineGradConfig, channelAffineGradGradConfig } from './ChannelAffine_grad'
import { convAffineGradConfig } from './ConvAffine_grad'
import { reluGradConfig, reluGradGradConfig } from './Relu_grad'
import { flipFilterGradConfig } from './FlipFilter_grad'
import { maxGradConfig } from './Max_grad'
import { comparisonGradConfigs } from './Comparison_grad'
import { meanGradConfig, sumGradConfig } from './Reduce_grad'

/** Every gradient of the project, in registration order. */
export const ourGradientConfigs: readonly tf.GradConfig[] = [
  expGradConfig,
  tanhGradConfig,
  sigmoidGradConfig,
  softmaxGradConfig,
  logSoftmaxGradConfig,
  maxPoolGradConfig,
  avgPoolGradConfig,
  conv2DGradConfig,
  conv2DBackpropFilterGradConfig,
  batchNormTrainGradConfig,
  batchNormTrainReluGradConfig,
  batchNormTrainGradGradConfig,
  channelAffineGradConfig,
  channelAffineGradGradConfig,
  convAffineGradConfig,
  reluGradConfig,
  reluGradGradConfig,
  flipFilterGradConfig,
  maxGradConfig,
  sumGradConfig,
  meanGradConfig,
  ...comparisonGradConfigs
]

/** Registers every gradient; a second call throws (the registry refuses a second claim). */
export function installGradients(): void {
  for (const config of ourGradientConfigs) registerOurGradient(config)
}

export { ourGradientKernels } from './registry'
