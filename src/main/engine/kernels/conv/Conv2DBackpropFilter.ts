/**
 * Conv2DBackpropFilter on the native kernels (wasm and cpu), dilated or not. tfjs's wasm
 * backend has no such kernel at all (it cannot train a conv net out of the box), and the cpu
 * one knows no dilation: without the native kernels, the conv gradients take the forward-
 * convolution decomposition instead (convGradOps), and a direct call here says why it failed.
 */
import { tf } from '../../tf'
import {
  activeNativeModule,
  compute,
  convShape,
  NATIVE_BACKENDS,
  nativeKernelStatus,
  usable,
  type FilterGradAttrs,
  type NativeBackend
} from '../nativeKernels'
import type { KernelFn, OurKernelConfig, TensorInfo } from '../registry'

function filterGradKernel(backendName: NativeBackend, stock: KernelFn | undefined): KernelFn {
  return (args) => {
    const native = activeNativeModule()
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo }
    const a = args.attrs as unknown as FilterGradAttrs
    const dilated =
      a.dilations !== undefined &&
      a.dilations !== 1 &&
      !(Array.isArray(a.dilations) && a.dilations.every((d) => d === 1))
    if (!native || a.dataFormat === 'NCHW' || !usable(backendName, args.backend, [x, dy])) {
      if (stock && !dilated) return stock(args)
      throw new Error(
        `Conv2DBackpropFilter on ${backendName} needs the native kernels (${nativeKernelStatus().reason ?? 'unusable input'})`
      )
    }
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      a.filterShape,
      a.strides,
      a.dilations ?? 1,
      a.pad,
      a.dimRoundingMode
    )
    const expected = [info.batchSize, info.outHeight, info.outWidth, info.outChannels]
    if (dy.shape.join() !== expected.join()) {
      throw new Error(
        `Conv2DBackpropFilter: dy is [${dy.shape}], the convolution gives [${expected}]`
      )
    }
    if (info.padInfo.top < 0 || info.padInfo.left < 0) {
      if (stock && !dilated) return stock(args)
      throw new Error('Conv2DBackpropFilter: negative padding is not supported')
    }
    const shape = convShape(info)
    return compute(backendName, args.backend, [x, dy], [...a.filterShape], ([xv, dyv], out) =>
      native.conv2dFilterGrad(xv!, dyv!, out, shape)
    )
  }
}

export const conv2DBackpropFilterKernelConfigs: OurKernelConfig[] = NATIVE_BACKENDS.map(
  (backendName) => ({
    kernelName: tf.Conv2DBackpropFilter,
    backendName,
    make: (stock) => filterGradKernel(backendName, stock)
  })
)
