/**
 * Gradient of the fused convolution + affine (+ ReLU) kernel (ops/convAffine), composed of the
 * two gradients it fuses: the affine's (ChannelAffine_grad: dz = dy * scale * [y > 0]) and then
 * the convolution's (Conv2D_grad) applied to dz. So both are exactly those of the unfused ops,
 * first and second order. Each input's gradient builds its own dz: tfjs runs each in its own
 * tidy, and an attack asks for x's alone.
 */
import { tf, type Tensor, type Tensor4D } from '../tf'
import { ConvAffine } from '../kernels/nativeKernelNames'
import type { ConvAffineAttrs } from '../kernels/conv/ConvAffine'
import { channelAffineGradConfig } from './ChannelAffine_grad'
import { conv2DGradConfig } from './Conv2D_grad'
import { reluGradConfig } from './Relu_grad'

export const convAffineGradConfig: tf.GradConfig = {
  kernelName: ConvAffine,
  inputsToSave: ['x', 'filter', 'scale'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter, scale, y] = saved as Tensor[]
    const a = attrs as unknown as ConvAffineAttrs
    const convAttrs = {
      strides: a.strides,
      pad: a.pad,
      dataFormat: 'NHWC',
      dilations: 1
    } as unknown as tf.NamedAttrMap
    const relu = { relu: a.relu } as unknown as tf.NamedAttrMap
    // The affine's gradients, with z = conv2d(x, filter) as its input: z is recomputed only
    // for the scale's gradient, the one that reads it (dz and the shift's read only y's shape
    // and mask).
    const affine = (z: Tensor): Record<string, () => Tensor> =>
      channelAffineGradConfig.gradFunc(dy, [z, scale!, y!], relu)
    const dz = (): Tensor4D => affine(y!).x!() as Tensor4D
    const conv = (): Record<string, () => Tensor> =>
      conv2DGradConfig.gradFunc(dz(), [x!, filter!], convAttrs)
    return {
      x: () => conv().x!(),
      filter: () => conv().filter!(),
      scale: () => affine(tf.conv2d(x as Tensor4D, filter as Tensor4D, a.strides, a.pad)).scale!(),
      shift: () => affine(y!).shift!(),
      // y = relu?(affine(z) + residual): the residual's gradient is dy through the ReLU's mask.
      residual: () => (a.relu ? reluGradConfig.gradFunc(dy, [y!], {}).x!() : (dy as Tensor))
    }
  }
}
