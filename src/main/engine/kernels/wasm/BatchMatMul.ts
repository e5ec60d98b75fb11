/**
 * BatchMatMul on wasm. The 2-D products of dense layers run on the native kernels when they
 * are active (kernels/nativeMatMul.ts: FMA and wide vectors, ~3x XNNPACK's 128-bit loops on
 * the cnn's dense layer). Otherwise, with transposeA/transposeB: the C++ kernel only uses
 * XNNPACK without the flags (1.7 ms for [64,3136]x[3136,128], 20-24 ms transposed), and every
 * dense layer's gradient uses them, so ours transposes the operand explicitly
 * (wasm/Transpose), then runs the plain stock kernel.
 */
import { tf } from '../../tf'
import type { KernelArgs, TensorInfo } from '../registry'
import { nativeMatMul } from '../nativeMatMul'
import { wasmReplacement, type WasmBackend } from './shared'
import { transposeOnHeap } from './Transpose'

/** Swaps the last two axes of a tensor (a batch of matrices), as a new tensor. */
function swapLastTwo(t: TensorInfo, backend: WasmBackend): TensorInfo {
  const rank = t.shape.length
  const perm = [...Array(rank).keys()]
  perm[rank - 2] = rank - 1
  perm[rank - 1] = rank - 2
  return transposeOnHeap(t, perm, backend)
}

export const batchMatMulWasmConfig = wasmReplacement(tf.BatchMatMul, (stock) => (args) => {
  const { inputs, attrs, backend } = args
  const native = nativeMatMul('wasm', args as unknown as KernelArgs)
  if (native) return native
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean }
  if (!transposeA && !transposeB) return stock(args)
  const temps: TensorInfo[] = []
  const a = transposeA ? swapLastTwo(inputs.a!, backend) : inputs.a!
  const b = transposeB ? swapLastTwo(inputs.b!, backend) : inputs.b!
  if (transposeA) temps.push(a)
  if (transposeB) temps.push(b)
  try {
    return stock({
      inputs: { a, b },
      attrs: { ...attrs, transposeA: false, transposeB: false },
      backend
    })
  } finally {
    for (const t of temps) backend.disposeData(t.dataId)
  }
})
