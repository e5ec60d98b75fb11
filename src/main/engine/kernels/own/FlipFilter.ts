/**
 * FlipFilter (kernels/flipFilter): one copy on the tensor's memory, on wasm and cpu. Plain
 * JavaScript, so it needs no native binary and is registered whatever the switches say.
 */
import { FlipFilter } from '../nativeKernelNames'
import { compute, NATIVE_BACKENDS, type NativeBackend } from '../nativeKernels'
import type { KernelFn, OurKernelConfig, TensorInfo } from '../registry'

function flipKernel(backendName: NativeBackend): KernelFn {
  return ({ inputs, backend }) => {
    const { filter } = inputs as { filter: TensorInfo }
    const [kh, kw, ci, co] = filter.shape as [number, number, number, number]
    return compute(backendName, backend, [filter], [kh, kw, co, ci], ([w], out) => {
      const src = w!
      for (let a = 0; a < kh; a++)
        for (let b = 0; b < kw; b++) {
          const from = (a * kw + b) * ci * co
          const to = ((kh - 1 - a) * kw + (kw - 1 - b)) * co * ci
          for (let c = 0; c < ci; c++)
            for (let o = 0; o < co; o++) out[to + o * ci + c] = src[from + c * co + o]!
        }
    })
  }
}

export const flipFilterKernelConfigs: OurKernelConfig[] = NATIVE_BACKENDS.map((backendName) => ({
  kernelName: FlipFilter,
  backendName,
  make: () => flipKernel(backendName)
}))
