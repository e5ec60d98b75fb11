/**
 * Per-channel affine map with an optional ReLU (inference-mode batch norm folded with the
 * ReLU after it) and its input gradient, on the native kernels (wasm and cpu): one pass each
 * where ops take three. ops/channelAffine runs them only while the native kernels are active.
 */
import { ChannelAffine, ChannelAffineGrad } from '../nativeKernelNames'
import {
  channelDims,
  compute,
  NATIVE_BACKENDS,
  needNative,
  type NativeBackend
} from '../nativeKernels'
import type { KernelFn, OurKernelConfig, TensorInfo } from '../registry'

function channelAffineKernel(backendName: NativeBackend): KernelFn {
  return ({ inputs, attrs, backend }) => {
    const { x, scale, shift } = inputs as Record<'x' | 'scale' | 'shift', TensorInfo>
    const native = needNative(backendName, backend, ChannelAffine, [x, scale, shift])
    const dims = channelDims(ChannelAffine, x, [scale, shift])
    return compute(backendName, backend, [x, scale, shift], x.shape, ([xv, sv, hv], y) =>
      native.channelAffine(xv!, sv!, hv!, y, dims, Boolean(attrs.relu))
    )
  }
}

function channelAffineGradKernel(backendName: NativeBackend): KernelFn {
  return ({ inputs, attrs, backend }) => {
    const { dy, y, scale } = inputs as Record<'dy' | 'y' | 'scale', TensorInfo>
    const native = needNative(backendName, backend, ChannelAffineGrad, [dy, y, scale])
    const dims = channelDims(ChannelAffineGrad, dy, [scale])
    if (dy.shape.join() !== y.shape.join())
      throw new Error(`${ChannelAffineGrad}: dy is [${dy.shape}], y is [${y.shape}]`)
    const relu = Boolean(attrs.relu)
    return compute(backendName, backend, [dy, y, scale], dy.shape, ([dyv, yv, sv], dx) =>
      native.maskedScale(dyv!, relu ? yv! : null, sv!, dx, dims)
    )
  }
}

export const channelAffineKernelConfigs: OurKernelConfig[] = NATIVE_BACKENDS.flatMap(
  (backendName) => [
    { kernelName: ChannelAffine, backendName, make: () => channelAffineKernel(backendName) },
    { kernelName: ChannelAffineGrad, backendName, make: () => channelAffineGradKernel(backendName) }
  ]
)
