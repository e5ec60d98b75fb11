/**
 * ReLU's gradient dy * [x > 0] as one native pass (kernels/own/ReluGrad) instead
 * of tfjs's step and multiply, when the native kernels are active. It is linear in dy and
 * piecewise constant in x, so its own gradient is itself applied to the upstream gradient
 * (and zero for x): second order stays exact.
 */
import { tf, type Tensor } from '../tf'
import { nativeKernelsActive } from '../kernels/nativeKernels'
import { ReluGrad } from '../kernels/nativeKernelNames'

function reluGrad(dy: Tensor, x: Tensor): Tensor {
  if (nativeKernelsActive() && dy.dtype === 'float32' && x.dtype === 'float32') {
    return tf.engine().runKernel(ReluGrad, { dy, x }) as Tensor
  }
  return tf.mul(dy, tf.step(tf.cast(x, 'float32')))
}

export const reluGradConfig: tf.GradConfig = {
  kernelName: tf.Relu,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as Tensor[]
    return { x: () => reluGrad(dy as Tensor, x!) }
  }
}

export const reluGradGradConfig: tf.GradConfig = {
  kernelName: ReluGrad,
  inputsToSave: ['x'],
  gradFunc: (a, saved) => {
    const [x] = saved as Tensor[]
    return { dy: () => reluGrad(a as Tensor, x!), x: () => tf.zerosLike(x!) }
  }
}
