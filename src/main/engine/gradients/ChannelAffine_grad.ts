/**
 * Gradients of the native per-channel affine kernel (ops/channelAffine) and of its input
 * gradient, so attacks (first order) and anything differentiating twice both work.
 *
 * y = relu?(x * scale + shift):    dx = dy * scale * m,  dscale = sum(dy * m * x),  dshift = sum(dy * m)
 * with m = [y > 0] under ReLU, else 1. dx is linear in dy and m is piecewise constant, so
 * dx's own gradient is the same kernel applied to the upstream gradient, zero for y, and
 * sum(a * dy * m) for scale. y is a saved output, which tfjs keeps off the tape at second
 * order; it only ever serves as the mask m, whose gradient is zero anyway.
 */
import { tf, type Tensor } from '../tf'
import { ChannelAffine, ChannelAffineGrad, ReluGrad } from '../kernels/nativeKernelNames'
import { nativeKernelsActive } from '../kernels/nativeKernels'

interface ReluAttr {
  relu: boolean
}

const allButLast = (t: Tensor): number[] => [...Array(t.rank - 1).keys()]

/**
 * dy * m: the upstream gradient through the ReLU (if any); one native pass (ReLU's gradient
 * kernel, whose mask [y > 0] is m) where tfjs takes a step and a multiply.
 */
function throughRelu(dy: Tensor, y: Tensor, relu: boolean): Tensor {
  if (!relu) return dy
  if (nativeKernelsActive() && dy.dtype === 'float32' && y.dtype === 'float32') {
    return tf.engine().runKernel(ReluGrad, { dy, x: y }) as Tensor
  }
  return tf.mul(dy, tf.step(y))
}

/** dy * scale * m, the input gradient: the native kernel, which the second order reuses. */
function inputGrad(dy: Tensor, y: Tensor, scale: Tensor, relu: boolean): Tensor {
  return tf.engine().runKernel(ChannelAffineGrad, { dy, y, scale }, { relu }) as Tensor
}

/** sum over rows of (dy * m) * other, per channel: the gradient reaching a scale. */
function scaleGrad(dy: Tensor, y: Tensor, other: Tensor, relu: boolean): Tensor {
  return tf.sum(tf.mul(throughRelu(dy, y, relu), other), allButLast(other))
}

export const channelAffineGradConfig: tf.GradConfig = {
  kernelName: ChannelAffine,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, scale, y] = saved as Tensor[]
    const { relu } = attrs as unknown as ReluAttr
    const g = dy as Tensor
    return {
      x: () => inputGrad(g, y!, scale!, relu),
      scale: () => scaleGrad(g, y!, x!, relu),
      shift: () => tf.sum(throughRelu(g, y!, relu), allButLast(x!))
    }
  }
}

export const channelAffineGradGradConfig: tf.GradConfig = {
  kernelName: ChannelAffineGrad,
  inputsToSave: ['dy', 'y', 'scale'],
  gradFunc: (a, saved, attrs) => {
    const [dy, y, scale] = saved as Tensor[]
    const { relu } = attrs as unknown as ReluAttr
    const upstream = a as Tensor
    return {
      dy: () => inputGrad(upstream, y!, scale!, relu),
      y: () => tf.zerosLike(y!),
      scale: () => scaleGrad(upstream, y!, dy!, relu)
    }
  }
}
