/**
 * Depthwise convolution whose input gradient runs on every backend. tfjs's gradient of
 * DepthwiseConv2dNative calls the DepthwiseConv2dNativeBackpropInput kernel, which the wasm
 * backend (the default one) does not have, so attacks and saliency on a MobileNet-style model
 * would fail there. The input gradient of a depthwise convolution is itself one: the
 * zero-dilated, padded dy correlated with the spatially flipped filter, channel by channel,
 * then summed over the depth multiplier.
 *
 * Only the input gradient is defined (the filter is a constant here): callers that train the
 * filter use tf.depthwiseConv2d itself.
 */
import { tf, type Tensor4D } from '../tf'
import { zeroDilate } from '../kernels/spatial'

/** dx of y = depthwise(x, filter, strides, 'valid'), for x of `inShape`. */
function inputGradient(
  dy: Tensor4D,
  filter: Tensor4D,
  strides: [number, number],
  inShape: number[]
): Tensor4D {
  const [kh, kw, c, m] = filter.shape
  const [n, h, w] = inShape as [number, number, number, number]
  const dilated = zeroDilate(dy, strides[0], strides[1])
  // Rows the forward pass never read (the stride left them out) get a zero gradient.
  const restH = h - (dilated.shape[1] + kh - 1)
  const restW = w - (dilated.shape[2] + kw - 1)
  const padded = tf.pad(dilated, [
    [0, 0],
    [kh - 1, kh - 1 + restH],
    [kw - 1, kw - 1 + restW],
    [0, 0]
  ])
  const flipped = tf.reshape(tf.reverse(filter, [0, 1]), [kh, kw, c * m, 1]) as Tensor4D
  const perOutput = tf.depthwiseConv2d(padded, flipped, 1, 'valid')
  return (m === 1 ? perOutput : tf.sum(tf.reshape(perOutput, [n, h, w, c, m]), 4)) as Tensor4D
}

/** tf.depthwiseConv2d(x, filter, strides, 'valid') with an input gradient every backend can run. */
export function depthwiseConvValid(
  x: Tensor4D,
  filter: Tensor4D,
  strides: [number, number]
): Tensor4D {
  const op = tf.customGrad(((input: tf.Tensor) => ({
    value: tf.depthwiseConv2d(input as Tensor4D, filter, strides, 'valid'),
    gradFunc: (dy: tf.Tensor) => inputGradient(dy as Tensor4D, filter, strides, input.shape)
  })) as unknown as Parameters<typeof tf.customGrad>[0])
  return op(x) as Tensor4D
}

/** TensorFlow's 'same' padding of one axis: [begin, end], the extra pixel at the end. */
export function samePadding(n: number, k: number, s: number): [number, number] {
  const total = Math.max((Math.ceil(n / s) - 1) * s + k - n, 0)
  const begin = Math.floor(total / 2)
  return [begin, total - begin]
}
