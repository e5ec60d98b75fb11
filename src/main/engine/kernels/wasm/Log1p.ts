/**
 * Log1p on wasm, accurate for small arguments. tfjs-backend-wasm 4.22 computes log(1 + x),
 * so below 6e-8 the result is 0 (relative error 1): the cross-entropy of a confident example,
 * log1p(Σ_{i≠y} e^{z_i - z_y}) with a sum near 1e-13, came out 0 on wasm and 1e-13 on cpu
 * (whose kernel is Math.log1p). This one is Math.log1p too, in float64, rounded once. A
 * correctness fix, so it is installed whatever the fast-kernel switch says.
 */
import { tf } from '../../tf'
import type { KernelFn, OurKernelConfig } from '../registry'
import type { WasmKernelArgs } from './shared'

export const log1pWasmConfig: OurKernelConfig = {
  kernelName: tf.Log1p,
  backendName: 'wasm',
  make: (stock) =>
    ((args: WasmKernelArgs) => {
      const { inputs, backend } = args
      const x = inputs.x!
      if (x.dtype !== 'float32') return stock!(args as never)
      const out = backend.makeOutput(x.shape, 'float32')
      // Views after makeOutput: allocating may grow (and detach) the wasm heap.
      const src = backend.typedArrayFromHeap(x)
      const dst = backend.typedArrayFromHeap(out)
      for (let i = 0; i < src.length; i++) dst[i] = Math.log1p(src[i]!)
      return out
    }) as unknown as KernelFn
}
