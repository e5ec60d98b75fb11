/**
 * PadV2 on wasm as fill + copy of the input's contiguous runs into the interior (the C++ kernel is
 * element-wise when the innermost axis is narrow: 139 ms for [4096,14,14,1]).
 */
import { tf } from '../../tf'
import { simdKernelsFor } from '../simdKernels'
import { wasmReplacement } from './shared'
import { collapseSlice, scatterSlice } from './windowCopy'

export const padV2WasmConfig = wasmReplacement(tf.PadV2, (stock) => (args) => {
  const { inputs, attrs, backend } = args
  const x = inputs.x!
  const paddings = attrs.paddings as [number, number][]
  const value = (attrs.constantValue as number) ?? 0
  if (x.dtype === 'string' || x.dtype === 'complex64') return stock(args)
  const outShape = x.shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1])
  const out = backend.makeOutput(outShape, x.dtype)
  const dst = backend.typedArrayFromHeap(out)
  const src = backend.typedArrayFromHeap(x)
  dst.fill(value)
  if (src.length === 0) return out
  // Writing x into the window of `out` is a slice of `out` run backwards: reuse the odometer
  // of copySlice with the roles of source and destination exchanged.
  const c = collapseSlice(
    outShape,
    paddings.map((p) => p[0]),
    x.shape
  )
  scatterSlice(src, dst, c.shape, c.begin, c.size, simdKernelsFor(backend))
  return out
})
