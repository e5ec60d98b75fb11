/**
 * Faster wasm implementations of kernels that the training and attack paths hit constantly,
 * measured in tfjs-backend-wasm 4.22 (batch 64, the `cnn` of the reference benchmark):
 *  - Slice: a JS kernel that copies one innermost row per `subarray().set()` call (rank <= 4)
 *    or one element at a time through generic index arithmetic (rank >= 5): 335 ms for the
 *    6-D phase slice [64,14,2,14,2,32] the gradient of a zero-dilation produces, 50 ms for a
 *    4-D crop of [64,28,28,32]. Ours collapses the slice to its fewest dimensions and copies
 *    contiguous runs with plain loops: about 1 ms for either.
 *  - Identity: copies the whole buffer, and the tape clones every saved tensor through it; ours
 *    shares the buffer by reference count, as the cpu backend does (tensors are immutable).
 *  - BatchMatMul with transposeA/transposeB: the C++ kernel only uses XNNPACK without the
 *    flags (1.7 ms for [64,3136]x[3136,128], 20-24 ms transposed); every dense layer's
 *    gradient uses them. Ours transposes the operand explicitly (fast 2-D transpose below),
 *    then runs the plain kernel.
 *  - Transpose: the C++ kernel's naive loops take 58-124 ms for the 6-D depth-to-space of a
 *    [64,14,14,2,2,32] tensor and ~6 ms for a [3136,128] matrix. Ours merges axes that stay
 *    adjacent, copies contiguous runs, and blocks the 2-D case: a few ms at most.
 *  - PadV2: element-wise in C++ when the innermost axis is narrow; ours fills, then copies runs.
 *  - Sum and Mean over leading axes (bias gradients, batch-norm statistics): one accumulation
 *    pass (SIMD, simdKernels.ts) instead of the stock transpose + reduce.
 *  - Reverse: per-element index arithmetic in C++; ours copies runs (filter flips).
 *  - Cast to the same dtype: a copy in the stock kernel; ours shares the buffer.
 *  - Unpack: the stock one slices through the stock Slice; ours through the one above.
 *  - Multiply/Add/Sub/RealDiv broadcasting a small operand along leading axes (batch norm,
 *    biases): ~5x faster on long tiled rows (trailingBroadcast).
 * Each replacement falls back to the stock kernel for anything it does not cover (string
 * dtype, unusual ranks), and `installWasmKernels(false)` puts the stock ones back.
 */
import { tf } from '../tf'
import { withoutReregistrationWarnings } from '../quietRegistration'
import { simdKernelsFor, type SimdKernels } from './simdKernels'

type TensorInfo = { dataId: object; shape: number[]; dtype: tf.DataType }
type TypedArray = Float32Array | Int32Array | Uint8Array

/** The parts of the wasm backend (tfjs-backend-wasm's BackendWasm) these kernels use. */
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo
  typedArrayFromHeap(t: TensorInfo): TypedArray
  incRef(dataId: object): void
  disposeData(dataId: object): boolean
}

type KernelArgs = {
  inputs: Record<string, TensorInfo>
  attrs: Record<string, unknown>
  backend: WasmBackend
}
type KernelFn = (args: KernelArgs) => TensorInfo

const BACKEND = 'wasm'
const stock = new Map<string, tf.KernelConfig>()
let installed = false

function stockKernel(name: string): KernelFn {
  const config = stock.get(name) ?? tf.getKernel(name, BACKEND)
  if (!config) throw new Error(`wasm backend has no ${name} kernel`)
  return config.kernelFunc as unknown as KernelFn
}

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
    simd.move_window4(full.byteOffset, packed.byteOffset, s(1), s(2), s(3), b(0), b(1), b(2), b(3), z(0), z(1), z(2), z(3), direction === 'scatter' ? 1 : 0)
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
function copyRun(src: TypedArray, from: number, dst: TypedArray, to: number, run: number, heap: Uint8Array | undefined): void {
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

const slice: KernelFn = (args) => {
  const { inputs, attrs, backend } = args
  const x = inputs.x!
  if (x.dtype === 'string') return stockKernel(tf.Slice)(args)
  const [begin, size] = tf.slice_util.parseSliceParams(
    { shape: x.shape } as tf.TensorInfo as unknown as tf.Tensor,
    attrs.begin as number[],
    attrs.size as number[]
  )
  const out = backend.makeOutput(size, x.dtype)
  if (size.some((d) => d === 0)) return out
  const c = collapseSlice(x.shape, begin, size)
  // Views are taken after makeOutput: allocating may grow (and detach) the wasm heap.
  copySlice(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), c.shape, c.begin, c.size, simdKernelsFor(backend))
  return out
}

/**
 * Cast to the dtype a tensor already has: the gradients of Mul, Div and Relu cast float32
 * to float32, and the stock kernel copies the whole buffer each time (4 % of a ResNet-20
 * orthogonal step). Tensors are immutable, so the buffer is shared like Identity's.
 */
/**
 * Unpack (the gradient of stack): the stock kernel slices each output through its own
 * module's Slice, not the registered one, so it paid the slow stock copy (68 ms for the
 * phase stack of a ResNet-20 input gradient); this one uses the Slice above.
 */
const unpack = (args: KernelArgs): TensorInfo[] => {
  const { inputs, attrs, backend } = args
  const value = inputs.value!
  const rank = value.shape.length
  const axis = (attrs.axis as number) < 0 ? (attrs.axis as number) + rank : (attrs.axis as number)
  const outShape = value.shape.filter((_, i) => i !== axis)
  const begin = new Array<number>(rank).fill(0)
  const size = value.shape.slice()
  size[axis] = 1
  return Array.from({ length: value.shape[axis]! }, (_, i) => {
    begin[axis] = i
    const part = slice({ inputs: { x: value }, attrs: { begin: begin.slice(), size }, backend })
    return { dataId: part.dataId, dtype: part.dtype, shape: outShape }
  })
}

const cast: KernelFn = (args) => {
  const { inputs, attrs, backend } = args
  const x = inputs.x!
  if (x.dtype !== attrs.dtype || x.dtype === 'string') return stockKernel(tf.Cast)(args)
  backend.incRef(x.dataId)
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype }
}

const identity: KernelFn = ({ inputs, backend }) => {
  const x = inputs.x!
  if (x.dtype === 'string') return stockKernel(tf.Identity)({ inputs, attrs: {}, backend })
  backend.incRef(x.dataId)
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype }
}

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
export function collapseTranspose(shape: number[], perm: number[]): { shape: number[]; perm: number[] } {
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

const transpose: KernelFn = (args) => {
  const { inputs, attrs, backend } = args
  const x = inputs.x!
  const perm = attrs.perm as number[]
  if (x.dtype === 'string' || x.dtype === 'complex64') return stockKernel(tf.Transpose)(args)
  const out = backend.makeOutput(
    perm.map((p) => x.shape[p]!),
    x.dtype
  )
  const c = collapseTranspose(x.shape, perm)
  transposeInto(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), c.shape, c.perm, simdKernelsFor(backend))
  return out
}

/** Swaps the last two axes of a tensor (a batch of matrices), as a new tensor. */
function swapLastTwo(t: TensorInfo, backend: WasmBackend): TensorInfo {
  const rank = t.shape.length
  const perm = [...Array(rank).keys()]
  perm[rank - 2] = rank - 1
  perm[rank - 1] = rank - 2
  return transpose({ inputs: { x: t }, attrs: { perm }, backend })
}

/** Elements the small operand of a trailing broadcast is tiled to (fast from ~1k, measured). */
const TILE_TARGET = 1024

/**
 * Binary ops where one operand broadcasts along the leading axes of the other, as in
 * x[N,H,W,C] * scale[C] (batch norm, bias adds and their gradients). The stock kernels run
 * this ~5x slower than the same op on equal shapes (0.46 vs 0.085 ms for [32,32,32,16] on
 * one thread): XNNPACK walks the short inner rows one at a time. Tiling the small operand
 * R times and viewing the large one as [rows/R, C*R] gives the stock kernel long rows
 * (0.07 ms). Same arithmetic, same result; anything else goes to the stock kernel.
 */
function trailingBroadcast(name: string): KernelFn {
  return (args) => {
    const { inputs, attrs, backend } = args
    const a = inputs.a!
    const b = inputs.b!
    const aSmall = a.shape.length <= b.shape.length && tf.util.sizeFromShape(a.shape) < tf.util.sizeFromShape(b.shape)
    const small = aSmall ? a : b
    const big = aSmall ? b : a
    const s = tf.util.sizeFromShape(small.shape)
    const total = tf.util.sizeFromShape(big.shape)
    const trailing = small.shape.slice(small.shape.findIndex((d) => d !== 1))
    const fits =
      a.dtype === 'float32' &&
      b.dtype === 'float32' &&
      // Scalars have a fast path of their own in the stock kernel.
      s > 1 &&
      s < total &&
      small.shape.length <= big.shape.length &&
      s <= TILE_TARGET / 2 &&
      trailing.every((d, k) => d === big.shape[big.shape.length - trailing.length + k])
    if (!fits) return stockKernel(name)(args)
    const rows = total / s
    let r = Math.min(rows, Math.floor(TILE_TARGET / s))
    while (rows % r !== 0) r--
    const tiled = backend.makeOutput([s * r], 'float32')
    const src = backend.typedArrayFromHeap(small)
    const dst = backend.typedArrayFromHeap(tiled)
    for (let k = 0; k < r; k++) dst.set(src, k * s)
    const view = { dataId: big.dataId, shape: [rows / r, s * r], dtype: big.dtype }
    const out = stockKernel(name)({
      inputs: aSmall ? { a: tiled, b: view } : { a: view, b: tiled },
      attrs,
      backend
    })
    backend.disposeData(tiled.dataId)
    return { dataId: out.dataId, shape: big.shape.slice(), dtype: out.dtype }
  }
}

const batchMatMul: KernelFn = (args) => {
  const { inputs, attrs, backend } = args
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean }
  if (!transposeA && !transposeB) return stockKernel(tf.BatchMatMul)(args)
  const temps: TensorInfo[] = []
  const a = transposeA ? swapLastTwo(inputs.a!, backend) : inputs.a!
  const b = transposeB ? swapLastTwo(inputs.b!, backend) : inputs.b!
  if (transposeA) temps.push(a)
  if (transposeB) temps.push(b)
  try {
    return stockKernel(tf.BatchMatMul)({
      inputs: { a, b },
      attrs: { ...attrs, transposeA: false, transposeB: false },
      backend
    })
  } finally {
    for (const t of temps) backend.disposeData(t.dataId)
  }
}

/**
 * PadV2 as fill + copy of the input's contiguous runs into the interior (the C++ kernel is
 * element-wise when the innermost axis is narrow: 139 ms for [4096,14,14,1]).
 */
const padV2: KernelFn = (args) => {
  const { inputs, attrs, backend } = args
  const x = inputs.x!
  const paddings = attrs.paddings as [number, number][]
  const value = (attrs.constantValue as number) ?? 0
  if (x.dtype === 'string' || x.dtype === 'complex64') return stockKernel(tf.PadV2)(args)
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

/**
 * Sum (mean = false) or Mean (true) over leading axes: bias gradients (dy summed over N, H,
 * W) and batch-norm statistics. The C++ kernels first transpose the reduced axes innermost
 * with their slow transpose (16 ms for [64,28,28,32]); ours accumulate rows into float64 in
 * one pass. Other reductions go to stock.
 */
function leadingReduction(name: string, mean: boolean): KernelFn {
  return (args) => {
    const { inputs, attrs, backend } = args
    const x = inputs.x!
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape).sort((a, b) => a - b)
    const prefix = axes.every((a, i) => a === i)
    if (x.dtype !== 'float32' || !prefix || axes.length === 0 || axes.length === x.shape.length) {
      return stockKernel(name)(args)
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

/**
 * Reverse: the C++ kernel computes an index per element (1-15 ms for a [3,3,32,64] filter,
 * flipped on every conv gradient). Ours copies the contiguous block after the last reversed
 * axis as one run, walking the outer axes with an odometer.
 */
const reverse: KernelFn = (args) => {
  const { inputs, attrs, backend } = args
  const x = inputs.x!
  if (x.dtype === 'string' || x.dtype === 'complex64' || x.shape.length === 0) return stockKernel(tf.Reverse)(args)
  const flip = new Set(tf.util.parseAxisParam(attrs.dims as number | number[], x.shape))
  const out = backend.makeOutput(x.shape, x.dtype)
  const src = backend.typedArrayFromHeap(x)
  const dst = backend.typedArrayFromHeap(out)
  const last = Math.max(-1, ...[...flip].filter((a) => x.shape[a]! > 1))
  const run = x.shape.slice(last + 1).reduce((a, b) => a * b, 1)
  if (last < 0) {
    dst.set(src)
    return out
  }
  const outer = x.shape.slice(0, last + 1)
  const strides = new Array<number>(last + 1)
  strides[last] = run
  for (let i = last - 1; i >= 0; i--) strides[i] = strides[i + 1]! * outer[i + 1]!
  const index = new Array<number>(last + 1).fill(0)
  const count = outer.reduce((a, b) => a * b, 1)
  for (let o = 0, to = 0; o < count; o++, to += run) {
    let from = 0
    for (let i = 0; i <= last; i++) from += (flip.has(i) ? outer[i]! - 1 - index[i]! : index[i]!) * strides[i]!
    for (let k = 0; k < run; k++) dst[to + k] = src[from + k]!
    for (let i = last; i >= 0; i--) {
      if (++index[i]! < outer[i]!) break
      index[i] = 0
    }
  }
  return out
}

const replacements: Record<string, KernelFn> = {
  [tf.Reverse]: reverse,
  [tf.Sum]: leadingReduction(tf.Sum, false),
  [tf.Mean]: leadingReduction(tf.Mean, true),
  [tf.PadV2]: padV2,
  [tf.Slice]: slice,
  [tf.Unpack]: unpack as unknown as KernelFn,
  [tf.Identity]: identity,
  [tf.Cast]: cast,
  [tf.Transpose]: transpose,
  [tf.BatchMatMul]: batchMatMul,
  [tf.Multiply]: trailingBroadcast(tf.Multiply),
  [tf.Add]: trailingBroadcast(tf.Add),
  [tf.Sub]: trailingBroadcast(tf.Sub),
  [tf.RealDiv]: trailingBroadcast(tf.RealDiv)
}

/** Kernel names this module replaces on the wasm backend. */
export function wasmKernelNames(): string[] {
  return Object.keys(replacements)
}

/**
 * Installs (on = true) or removes (false) the replacements on the wasm backend; idempotent.
 * The stock kernel configs are kept, so removing restores tfjs exactly.
 */
export function installWasmKernels(on: boolean): void {
  if (on === installed) return
  withoutReregistrationWarnings(() => {
    for (const [name, fn] of Object.entries(replacements)) {
      const current = tf.getKernel(name, BACKEND)
      if (!current) continue
      if (on) {
        stock.set(name, current)
        tf.unregisterKernel(name, BACKEND)
        tf.registerKernel({ ...current, kernelFunc: fn as unknown as tf.KernelFunc })
      } else {
        const original = stock.get(name)
        if (!original) continue
        tf.unregisterKernel(name, BACKEND)
        tf.registerKernel(original)
      }
    }
  })
  installed = on
}

/** Whether the wasm replacements are installed. */
export function wasmKernelsInstalled(): boolean {
  return installed
}

// Installed when this module first loads (engine/tf.ts loads it through engine/gradients), here
// rather than in kernels/index.ts: a caller inside the tf <-> gradients import cycle would
// otherwise run before this module's bindings exist.
installWasmKernels(process.env.ORTHOLENS_FAST_KERNELS !== '0')
