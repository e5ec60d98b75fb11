/**
 * Slice on wasm. The stock kernel is JavaScript that copies one innermost row per
 * `subarray().set()` call (rank <= 4) or one element at a time through generic index
 * arithmetic (rank >= 5): 335 ms for the 6-D phase slice [64,14,2,14,2,32] the gradient of a
 * zero-dilation produces, 50 ms for a 4-D crop of [64,28,28,32]. Ours collapses the slice to
 * its fewest dimensions and copies contiguous runs: about 1 ms for either.
 */
import { tf } from '../../tf'
import { simdKernelsFor } from '../simdKernels'
import type { TensorInfo } from '../registry'
import { wasmReplacement, type WasmBackend } from './shared'
import { collapseSlice, copySlice } from './windowCopy'

/** The slice [begin, begin + size) of a numeric tensor x, as a new tensor on the wasm heap. */
export function sliceOnHeap(
  x: TensorInfo,
  begin: number[],
  size: number[],
  backend: WasmBackend
): TensorInfo {
  const out = backend.makeOutput(size, x.dtype)
  if (size.some((d) => d === 0)) return out
  const c = collapseSlice(x.shape, begin, size)
  // Views are taken after makeOutput: allocating may grow (and detach) the wasm heap.
  copySlice(
    backend.typedArrayFromHeap(x),
    backend.typedArrayFromHeap(out),
    c.shape,
    c.begin,
    c.size,
    simdKernelsFor(backend)
  )
  return out
}

export const sliceWasmConfig = wasmReplacement(tf.Slice, (stock) => (args) => {
  const { inputs, attrs, backend } = args
  const x = inputs.x!
  if (x.dtype === 'string') return stock(args)
  const [begin, size] = tf.slice_util.parseSliceParams(
    { shape: x.shape } as tf.TensorInfo as unknown as tf.Tensor,
    attrs.begin as number[],
    attrs.size as number[]
  )
  return sliceOnHeap(x, begin, size, backend)
})
