/**
 * Conv2D with the per-channel affine map (then ReLU) after it, on the native kernels (wasm and
 * cpu): the convolution applies y * scale + shift while its output is still in registers or
 * cache, where a separate ChannelAffine would read and write the whole tensor once more.
 * ops/convAffine runs it only while the native kernels are active, for NHWC.
 */
import { tf } from '../../tf'
import { ConvAffine } from '../nativeKernelNames'
import {
  compute,
  convShape,
  NATIVE_BACKENDS,
  needNative,
  type NativeBackend
} from '../nativeKernels'
import type { KernelFn, OurKernelConfig, TensorInfo } from '../registry'

/** ConvAffine's attributes: Conv2D's strides and padding (NHWC, no dilation), and relu. */
export interface ConvAffineAttrs {
  strides: number
  pad: 'same' | 'valid'
  relu: boolean
}

function convAffineKernel(backendName: NativeBackend): KernelFn {
  return ({ inputs, attrs, backend }) => {
    const { x, filter, scale, shift } = inputs as Record<
      'x' | 'filter' | 'scale' | 'shift',
      TensorInfo
    >
    const a = attrs as unknown as ConvAffineAttrs
    const native = needNative(backendName, backend, ConvAffine, [x, filter, scale, shift])
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      a.strides,
      1,
      a.pad
    )
    const co = info.outChannels
    if (scale.shape.join() !== `${co}` || shift.shape.join() !== `${co}`)
      throw new Error(
        `${ConvAffine}: scale [${scale.shape}] and shift [${shift.shape}] need ${co} values`
      )
    return compute(
      backendName,
      backend,
      [x, filter, scale, shift],
      [info.batchSize, info.outHeight, info.outWidth, co],
      ([xv, fv, sv, hv], y) => native.conv2d(xv!, fv!, y, convShape(info), sv!, hv!, a.relu)
    )
  }
}

export const convAffineKernelConfigs: OurKernelConfig[] = NATIVE_BACKENDS.map((backendName) => ({
  kernelName: ConvAffine,
  backendName,
  make: () => convAffineKernel(backendName)
}))
