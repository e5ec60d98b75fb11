/**
 * The element-wise activations of imported Layers models (architecture.ts ActivationFn), as
 * differentiable tf ops with TensorFlow.js Layers' definitions.
 */
import { tf, type Tensor } from '../tf'
import type { ActivationFn } from './architecture'

export function applyActivationFn(fn: ActivationFn, x: Tensor, alpha?: number): Tensor {
  switch (fn) {
    case 'tanh':
      return tf.tanh(x)
    case 'sigmoid':
      return tf.sigmoid(x)
    case 'relu6':
      return tf.relu6(x)
    case 'leaky_relu':
      return tf.leakyRelu(x, alpha ?? 0.3)
    case 'hard_sigmoid':
      // Keras 2 / tfjs: clip(0.2 x + 0.5, 0, 1).
      return tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1)
    case 'elu':
      return tf.elu(x)
    case 'softplus':
      return tf.softplus(x)
    case 'swish':
      return tf.mul(x, tf.sigmoid(x))
  }
}
