/**
 * Transpose on wasm: the C++ kernel's naive loops take 58-124 ms for the 6-D depth-to-space
 * of a [64,14,14,2,2,32] tensor and ~6 ms for a [3136,128] matrix. Ours merges axes that
 * stay adjacent, copies contiguous runs, and blocks the 2-D case (wasm/transposeCore): a few
 * ms at most.
 */
import { tf } from '../../tf'
import { simdKernelsFor } from '../simdKernels'
import type { TensorInfo } from '../registry'
import { wasmReplacement, type WasmBackend } from './shared'
import { collapseTranspose, transposeInto } from './transposeCore'

/** x with its axes permuted by `perm`, as a new tensor on the wasm heap (numeric dtypes). */
export function transposeOnHeap(x: TensorInfo, perm: number[], backend: WasmBackend): TensorInfo {
  const out = backend.makeOutput(
    perm.map((p) => x.shape[p]!),
    x.dtype
  )
  const c = collapseTranspose(x.shape, perm)
  transposeInto(
    backend.typedArrayFromHeap(x),
    backend.typedArrayFromHeap(out),
    c.shape,
    c.perm,
    simdKernelsFor(backend)
  )
  return out
}

export const transposeWasmConfig = wasmReplacement(tf.Transpose, (stock) => (args) => {
  const { inputs, attrs, backend } = args
  const x = inputs.x!
  if (x.dtype === 'string' || x.dtype === 'complex64') return stock(args)
  return transposeOnHeap(x, attrs.perm as number[], backend)
})
