/**
 * ReLU's gradient dy * [x > 0] in one native pass (wasm and cpu), where tfjs takes a step and
 * a multiply. gradients/Relu_grad runs it only while the native kernels are active.
 */
import { ReluGrad } from '../nativeKernelNames'
import {
  compute,
  NATIVE_BACKENDS,
  needNative,
  rowsDims,
  type NativeBackend
} from '../nativeKernels'
import type { KernelFn, OurKernelConfig, TensorInfo } from '../registry'

function reluGradKernel(backendName: NativeBackend): KernelFn {
  return ({ inputs, backend }) => {
    const { dy, x } = inputs as Record<'dy' | 'x', TensorInfo>
    const native = needNative(backendName, backend, ReluGrad, [dy, x])
    if (dy.shape.join() !== x.shape.join())
      throw new Error(`ReLU gradient: dy is [${dy.shape}], x is [${x.shape}]`)
    return compute(backendName, backend, [dy, x], dy.shape, ([dyv, xv], dx) =>
      native.maskedScale(dyv!, xv!, null, dx, rowsDims(dy))
    )
  }
}

export const reluGradKernelConfigs: OurKernelConfig[] = NATIVE_BACKENDS.map((backendName) => ({
  kernelName: ReluGrad,
  backendName,
  make: () => reluGradKernel(backendName)
}))
