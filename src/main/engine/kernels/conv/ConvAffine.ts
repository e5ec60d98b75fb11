/**
 * Conv2D with the per-channel affine map (plus a residual, then ReLU) after it, on the native
 * kernels (wasm and cpu): the convolution applies y * scale + shift (+ residual) while its
 * output is still in registers or cache, where a separate ChannelAffine (and Add, and Relu)
 * would read and write the whole tensor once more each.
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
    const { x, filter, scale, shift, residual } = inputs as Record<
      'x' | 'filter' | 'scale' | 'shift',
      TensorInfo
    > & { residual?: TensorInfo }
    const a = attrs as unknown as ConvAffineAttrs
    const tensors = [x, filter, scale, shift, ...(residual ? [residual] : [])]
    const native = needNative(backendName, backend, ConvAffine, tensors)
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      a.strides,
      1,
      a.pad
    )
    const co = info.outChannels
    const outShape = [info.batchSize, info.outHeight, info.outWidth, co]
    if (scale.shape.join() !== `${co}` || shift.shape.join() !== `${co}`)
      throw new Error(
        `${ConvAffine}: scale [${scale.shape}] and shift [${shift.shape}] need ${co} values`
      )
    if (residual && residual.shape.join() !== outShape.join())
      throw new Error(
        `${ConvAffine}: the residual is [${residual.shape}], the output [${outShape}]`
      )
    return compute(backendName, backend, tensors, outShape, ([xv, fv, sv, hv, rv], y) =>
      native.conv2d(xv!, fv!, y, convShape(info), sv!, hv!, a.relu, rv)
    )
  }
}

export const convAffineKernelConfigs: OurKernelConfig[] = NATIVE_BACKENDS.map((backendName) => ({
  kernelName: ConvAffine,
  backendName,
  make: () => convAffineKernel(backendName)
}))
