/**
 * What the native replacements of the `cpu` backend's kernels share (cpu/*.ts; the why is in
 * cpu/Binary.ts): the binding when it is on and the inputs are float32 arrays, and sizes.
 */
import { activeNativeModule, usable, type NativeModule } from '../nativeKernels'
import type { KernelArgs, TensorInfo } from '../registry'

/** The backend these replacements are for. */
export const BACKEND = 'cpu'

/** The binding, if it is switched on, loaded, and can read these tensors in place. */
export function ready(args: KernelArgs, tensors: TensorInfo[]): NativeModule | undefined {
  const native = activeNativeModule()
  return native && usable(BACKEND, args.backend, tensors) ? native : undefined
}

export const sizeOf = (t: TensorInfo): number => t.shape.reduce((a, b) => a * b, 1)
