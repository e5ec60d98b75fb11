/**
 * Conv2DBackpropInput on the native kernels (wasm and cpu), for NHWC without dilation: tfjs's
 * own gradient of this kernel, which second order runs through, knows no dilation. Anything
 * else goes to the stock kernel.
 */
import { tf } from '../../tf'
import {
  activeNativeModule,
  compute,
  convShape,
  NATIVE_BACKENDS,
  usable,
  type NativeBackend
} from '../nativeKernels'
import { stockOrMissing, type KernelFn, type OurKernelConfig, type TensorInfo } from '../registry'

function inputGradKernel(backendName: NativeBackend, stock: KernelFn): KernelFn {
  return (args) => {
    const native = activeNativeModule()
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo }
    const a = args.attrs as unknown as tf.Conv2DBackpropInputAttrs & { dilations?: unknown }
    if (
      !native ||
      a.dataFormat === 'NCHW' ||
      a.dilations !== undefined ||
      !usable(backendName, args.backend, [dy, filter])
    ) {
      return stock(args)
    }
    const info = tf.backend_util.computeConv2DInfo(
      a.inputShape,
      filter.shape as [number, number, number, number],
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode
    )
    const expected = [info.batchSize, info.outHeight, info.outWidth, info.outChannels]
    if (dy.shape.join() !== expected.join()) {
      throw new Error(
        `Conv2DBackpropInput: dy is [${dy.shape}], the convolution gives [${expected}]`
      )
    }
    if (info.padInfo.top < 0 || info.padInfo.left < 0) return stock(args)
    const shape = convShape(info)
    return compute(backendName, args.backend, [dy, filter], [...a.inputShape], ([dyv, fv], out) =>
      native.conv2dInputGrad(dyv!, fv!, out, shape)
    )
  }
}

export const conv2DBackpropInputKernelConfigs: OurKernelConfig[] = NATIVE_BACKENDS.map(
  (backendName) => ({
    kernelName: tf.Conv2DBackpropInput,
    backendName,
    make: (stock) =>
      inputGradKernel(backendName, stockOrMissing(stock, tf.Conv2DBackpropInput, backendName))
  })
)
