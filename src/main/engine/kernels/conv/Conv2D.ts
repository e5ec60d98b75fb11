/**
 * Conv2D on the native kernels (wasm and cpu backends): NHWC, any stride, dilation and
 * padding that is not negative; anything else, or the native kernels off or not built, goes
 * to the stock kernel.
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

function conv2dKernel(backendName: NativeBackend, stock: KernelFn): KernelFn {
  return (args) => {
    const native = activeNativeModule()
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo }
    const a = args.attrs as unknown as tf.Conv2DAttrs
    if (!native || a.dataFormat === 'NCHW' || !usable(backendName, args.backend, [x, filter]))
      return stock(args)
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      a.strides,
      a.dilations,
      a.pad,
      a.dimRoundingMode
    )
    if (info.padInfo.top < 0 || info.padInfo.left < 0) return stock(args)
    const shape = convShape(info)
    return compute(
      backendName,
      args.backend,
      [x, filter],
      [info.batchSize, info.outHeight, info.outWidth, info.outChannels],
      ([xv, fv], out) => native.conv2d(xv!, fv!, out, shape)
    )
  }
}

export const conv2DKernelConfigs: OurKernelConfig[] = NATIVE_BACKENDS.map((backendName) => ({
  kernelName: tf.Conv2D,
  backendName,
  make: (stock) => conv2dKernel(backendName, stockOrMissing(stock, tf.Conv2D, backendName))
}))
