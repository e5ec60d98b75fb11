/**
 * Window copies between a full array and a packed one (Slice reads a window, PadV2 writes
 * one), collapsed to the fewest axes and done in contiguous runs: native memmoves on the
 * wasm heap, or the SIMD kernels' 4-D mover (simdKernels.ts) where they load.
 */
import type { SimdKernels } from '../simdKernels'
import type { TypedArray } from './shared'

/**
 * Collapses a slice to the fewest dimensions: an axis that the slice takes whole can merge
 * into the axis before it. Returns the merged input shape, begin and size.
 */
export function collapseSlice(
  shape: number[],
  begin: number[],
  size: number[]
): { shape: number[]; begin: number[]; size: number[] } {
  const s: number[] = []
  const b: number[] = []
  const z: number[] = []
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue
    const last = s.length - 1
    // Merging axis i into the previous one needs axis i taken whole.
    if (last >= 0 && begin[i] === 0 && size[i] === shape[i]) {
      s[last] *= shape[i]!
      b[last] *= shape[i]!
      z[last] *= shape[i]!
    } else {
      s.push(shape[i]!)
      b.push(begin[i]!)
      z.push(size[i]!)
    }
  }
  if (s.length === 0) return { shape: [1], begin: [0], size: [1] }
  return { shape: s, begin: b, size: z }
}

/**
 * Moves a window (shape/begin/size already collapsed) between a full array and a packed one,
 * row by row: 'gather' reads the window of `full` into `packed` (Slice), 'scatter' writes
 * `packed` into the window of `full` (Pad).
 */
function moveWindow(
  full: TypedArray,
  packed: TypedArray,
  shape: number[],
  begin: number[],
  size: number[],
  direction: 'gather' | 'scatter',
  simd?: SimdKernels
): void {
  const rank = shape.length
  if (simd && full.buffer === packed.buffer && full.BYTES_PER_ELEMENT === 4 && rank <= 4) {
    const lead = 4 - rank
    const at = (arr: number[], fill: number) => (i: number) => (i < lead ? fill : arr[i - lead]!)
    const [s, b, z] = [at(shape, 1), at(begin, 0), at(size, 1)]
    simd.move_window4(
      full.byteOffset,
      packed.byteOffset,
      s(1),
      s(2),
      s(3),
      b(0),
      b(1),
      b(2),
      b(3),
      z(0),
      z(1),
      z(2),
      z(3),
      direction === 'scatter' ? 1 : 0
    )
    return
  }
  const strides = new Array<number>(rank)
  strides[rank - 1] = 1
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1]! * shape[i + 1]!
  const run = size[rank - 1]!
  const rows = size.slice(0, -1).reduce((a, c) => a * c, 1)
  const index = new Array<number>(Math.max(rank - 1, 0)).fill(0)
  let base = 0
  for (let i = 0; i < rank; i++) base += begin[i]! * strides[i]!
  // Both views usually lie on the one wasm heap: then each run is a native memmove.
  const heap = full.buffer === packed.buffer ? new Uint8Array(full.buffer) : undefined
  let offset = 0
  for (let r = 0; r < rows; r++) {
    let inWindow = base
    for (let i = 0; i < rank - 1; i++) inWindow += index[i]! * strides[i]!
    if (direction === 'gather') copyRun(full, inWindow, packed, offset, run, heap)
    else copyRun(packed, offset, full, inWindow, run, heap)
    offset += run
    // Odometer over the outer axes.
    for (let i = rank - 2; i >= 0; i--) {
      if (++index[i]! < size[i]!) break
      index[i] = 0
    }
  }
}

/** Copies `run` elements src[from…] to dst[to…]. */
function copyRun(
  src: TypedArray,
  from: number,
  dst: TypedArray,
  to: number,
  run: number,
  heap: Uint8Array | undefined
): void {
  if (run < 16) {
    // A native call per element of a narrow run costs more than the loop.
    for (let k = 0; k < run; k++) dst[to + k] = src[from + k]!
  } else if (heap) {
    const bpe = src.BYTES_PER_ELEMENT
    const at = src.byteOffset + from * bpe
    heap.copyWithin(dst.byteOffset + to * bpe, at, at + run * bpe)
  } else {
    dst.set(src.subarray(from, from + run), to)
  }
}

/** Copies the slice (shape/begin/size already collapsed) from src to dst, row by row. */
export function copySlice(
  src: TypedArray,
  dst: TypedArray,
  shape: number[],
  begin: number[],
  size: number[],
  simd?: SimdKernels
): void {
  moveWindow(src, dst, shape, begin, size, 'gather', simd)
}

/** The inverse of copySlice: writes src (the slice's values, in order) into dst's window. */
export function scatterSlice(
  src: TypedArray,
  dst: TypedArray,
  shape: number[],
  begin: number[],
  size: number[],
  simd?: SimdKernels
): void {
  moveWindow(dst, src, shape, begin, size, 'scatter', simd)
}
