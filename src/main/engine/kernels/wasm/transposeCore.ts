/**
 * Transposes on flat arrays: axes merged where they stay adjacent, contiguous runs copied,
 * small planes transposed in cache-sized blocks (the SIMD kernels' 2-D transpose where they
 * load). Shared by the wasm Transpose and BatchMatMul replacements.
 */
import type { SimdKernels } from '../simdKernels'
import type { TypedArray } from './shared'

/** Blocked transpose of a rows x cols matrix (src row-major) into dst (cols x rows). */
export function transpose2d(src: TypedArray, dst: TypedArray, rows: number, cols: number): void {
  const B = 32
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(i0 + B, rows)
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(j0 + B, cols)
      for (let i = i0; i < i1; i++) {
        const row = i * cols
        for (let j = j0; j < j1; j++) dst[j * rows + i] = src[row + j]!
      }
    }
  }
}

/**
 * Drops size-one axes and merges input axes that stay adjacent and in order in the output,
 * so that e.g. the depth-to-space perm [0,1,3,2,4,5] on [64,14,14,2,2,32] becomes
 * [0,2,1,3] on [896,14,2,64] with contiguous runs of 64.
 */
export function collapseTranspose(
  shape: number[],
  perm: number[]
): { shape: number[]; perm: number[] } {
  const keptPerm = perm.filter((p) => shape[p] !== 1)
  // Groups of input axes, in output order, each a run p, p+1, ... of consecutive axes.
  const groups: number[][] = []
  for (const p of keptPerm) {
    const g = groups[groups.length - 1]
    if (g && g[g.length - 1]! + 1 === p) g.push(p)
    else groups.push([p])
  }
  // Groups sorted by their first input axis give the collapsed input shape.
  const order = groups.map((_, i) => i).sort((a, b) => groups[a]![0]! - groups[b]![0]!)
  const newShape = order.map((gi) => groups[gi]!.reduce((acc, ax) => acc * shape[ax]!, 1))
  const position = new Array<number>(groups.length)
  order.forEach((gi, k) => (position[gi] = k))
  const newPerm = groups.map((_, gi) => position[gi]!)
  return newShape.length ? { shape: newShape, perm: newPerm } : { shape: [1], perm: [0] }
}

/**
 * Transposes src (collapsed shape) into dst. When the output's last axis is the input's last
 * (contiguous runs), runs are copied; otherwise each (j, last) plane, where j is the output
 * axis that reads the input's last axis, is transposed as a small matrix so that reads and
 * writes both stay within a few cache lines.
 */
export function transposeInto(
  src: TypedArray,
  dst: TypedArray,
  shape: number[],
  perm: number[],
  simd?: SimdKernels
): void {
  const rank = shape.length
  if (rank === 2 && perm[0] === 1) {
    if (simd && src.buffer === dst.buffer && src.BYTES_PER_ELEMENT === 4) {
      return simd.transpose2d(src.byteOffset, dst.byteOffset, shape[0]!, shape[1]!)
    }
    return transpose2d(src, dst, shape[0]!, shape[1]!)
  }
  const inStrides = new Array<number>(rank)
  inStrides[rank - 1] = 1
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1]! * shape[i + 1]!
  const outShape = perm.map((p) => shape[p]!)
  const outStrides = new Array<number>(rank)
  outStrides[rank - 1] = 1
  for (let i = rank - 2; i >= 0; i--) outStrides[i] = outStrides[i + 1]! * outShape[i + 1]!
  const step = perm.map((p) => inStrides[p]!)
  const n = outShape[rank - 1]!
  const st = step[rank - 1]!
  const total = outShape.reduce((a, b) => a * b, 1)
  if (st === 1) {
    const index = new Array<number>(rank).fill(0)
    let base = 0
    const heap = src.buffer === dst.buffer ? new Uint8Array(src.buffer) : undefined
    const bpe = src.BYTES_PER_ELEMENT
    for (let o = 0; o < total; o += n) {
      if (n < 16) {
        for (let k = 0; k < n; k++) dst[o + k] = src[base + k]!
      } else if (heap) {
        const at = src.byteOffset + base * bpe
        heap.copyWithin(dst.byteOffset + o * bpe, at, at + n * bpe)
      } else {
        dst.set(src.subarray(base, base + n), o)
      }
      for (let i = rank - 2; i >= 0; i--) {
        base += step[i]!
        if (++index[i]! < outShape[i]!) break
        base -= step[i]! * outShape[i]!
        index[i] = 0
      }
    }
    return
  }
  const j = step.indexOf(1)
  const m = outShape[j]!
  const oj = outStrides[j]!
  const outer = perm.map((_, i) => i).filter((i) => i !== j && i !== rank - 1)
  const count = outer.reduce((a, i) => a * outShape[i]!, 1)
  const index = new Array<number>(outer.length).fill(0)
  let from = 0
  let to = 0
  for (let t = 0; t < count; t++) {
    for (let a = 0; a < m; a++) {
      const d0 = to + a * oj
      for (let b = 0, f = from + a; b < n; b++, f += st) dst[d0 + b] = src[f]!
    }
    for (let q = outer.length - 1; q >= 0; q--) {
      const i = outer[q]!
      from += step[i]!
      to += outStrides[i]!
      if (++index[q]! < outShape[i]!) break
      from -= step[i]! * outShape[i]!
      to -= outStrides[i]! * outShape[i]!
      index[q] = 0
    }
  }
}
