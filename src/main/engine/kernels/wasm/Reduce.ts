/**
 * Sum (mean = false) or Mean (true) over leading axes: bias gradients (dy summed over N, H,
 * W) and batch-norm statistics. The C++ kernels first transpose the reduced axes innermost
 * with their slow transpose (16 ms for [64,28,28,32]); ours accumulate rows into float64 in
 * one pass. Other reductions go to stock.
 */
import { tf } from '../../tf'
import { simdKernelsFor } from '../simdKernels'
import type { TensorInfo } from '../registry'
import { wasmReplacement, type WasmKernelFn } from './shared'

function leadingReduction(mean: boolean): (stock: WasmKernelFn) => WasmKernelFn {
  return (stock) => (args) => {
    const { inputs, attrs, backend } = args
    const x = inputs.x!
    const axes = tf.util
      .parseAxisParam(attrs.axis as number | number[], x.shape)
      .sort((a, b) => a - b)
    const prefix = axes.every((a, i) => a === i)
    if (x.dtype !== 'float32' || !prefix || axes.length === 0 || axes.length === x.shape.length) {
      return stock(args)
    }
    const rows = x.shape.slice(0, axes.length).reduce((a, b) => a * b, 1)
    const rest = x.shape.slice(axes.length)
    const cols = rest.reduce((a, b) => a * b, 1)
    const outShape = attrs.keepDims ? [...axes.map(() => 1), ...rest] : rest
    const out = backend.makeOutput(outShape, 'float32')
    const simd = simdKernelsFor(backend)
    if (simd) {
      // Scratch for the float64 accumulators (cols doubles), allocated like a tensor.
      const scratch = backend.makeOutput([cols * 2], 'float32')
      const at = (t: TensorInfo) => backend.typedArrayFromHeap(t).byteOffset
      simd.sum_rows(at(x), rows, cols, at(out), at(scratch))
      backend.disposeData(scratch.dataId)
      if (mean) {
        const dst = backend.typedArrayFromHeap(out)
        for (let c = 0; c < cols; c++) dst[c] = dst[c]! / rows
      }
      return out
    }
    const src = backend.typedArrayFromHeap(x)
    const acc = new Float64Array(cols)
    for (let r = 0, o = 0; r < rows; r++, o += cols) {
      for (let c = 0; c < cols; c++) acc[c] += src[o + c]!
    }
    const dst = backend.typedArrayFromHeap(out)
    for (let c = 0; c < cols; c++) dst[c] = mean ? acc[c]! / rows : acc[c]!
    return out
  }
}

export const reduceWasmConfigs = [
  wasmReplacement(tf.Sum, leadingReduction(false)),
  wasmReplacement(tf.Mean, leadingReduction(true))
]
