/**
 * Native-first replacements for the `cpu` backend's element-wise, reduction and matrix
 * kernels, whose stock versions are JavaScript loops: on the cnn step they took 480 of 520 ms
 * (a bias gradient's Sum 18 ms, a broadcast bias Add 3 ms, the dense layer's BatchMatMul
 * 49 ms) once the convolutions were native. Each handles the common float32 shapes through
 * kernels/native and hands anything else to the stock kernel; all are off with the native
 * kernels (setNativeKernels, ORTHOLENS_NATIVE_KERNELS=0). Not installed on `wasm`, whose
 * XNNPACK kernels are not the bottleneck and whose BatchMatMul is already replaced
 * (wasmKernels).
 *
 * Matrix products run on the convolution kernels as 1x1 convolutions: A.B is a forward
 * convolution, At.B a filter gradient and A.Bt an input gradient, with the rows of the
 * product cut into one "image" per thread.
 */
import { tf } from '../tf'
import { withoutReregistrationWarnings } from '../quietRegistration'
import {
  activeNativeModule,
  compute,
  rowsDims,
  usable,
  type KernelArgs,
  type KernelFn,
  type NativeModule,
  type TensorInfo
} from './nativeKernels'

const BACKEND = 'cpu'

function ready(args: KernelArgs, tensors: TensorInfo[]): NativeModule | undefined {
  const native = activeNativeModule()
  return native && usable(BACKEND, args.backend, tensors) ? native : undefined
}

const sizeOf = (t: TensorInfo): number => t.shape.reduce((a, b) => a * b, 1)

/**
 * Whether `small` broadcasts over `big`'s rows: one value per channel ([C] or [1, …, 1, C]),
 * or a single value (a learning rate, a momentum).
 */
function perChannel(big: TensorInfo, small: TensorInfo): boolean {
  const c = big.shape[big.shape.length - 1]
  if (big.shape.length < 1 || small.shape.length > big.shape.length || sizeOf(big) <= sizeOf(small)) return false
  if (sizeOf(small) === 1) return true
  return small.shape[small.shape.length - 1] === c && sizeOf(small) === c
}

/**
 * Whether `small` holds one value per image ([N, 1, …, 1]) or per image and channel
 * ([N, 1, …, 1, C]) of `big` ([N, …, C]): global average pooling's gradient spreads the
 * latter over the feature map, and the orthogonality penalty divides each flattened
 * gradient row by its norm with the former.
 */
function perImage(big: TensorInfo, small: TensorInfo): boolean {
  const r = big.shape.length
  const last = small.shape[r - 1]
  return (
    r >= 2 &&
    small.shape.length === r &&
    small.shape[0] === big.shape[0] &&
    (last === big.shape[r - 1] || last === 1) &&
    small.shape.slice(1, -1).every((d) => d === 1) &&
    sizeOf(big) > sizeOf(small)
  )
}

type Op = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min'
const OP_CODE: Record<Op, 0 | 1 | 2 | 3 | 4 | 5> = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5 }
/** Ops that are not affine in one operand: only equal shapes run natively. */
const ELEMENTWISE_ONLY: readonly Op[] = ['max', 'min']

/**
 * a op b for equal shapes, or with one operand per channel (a bias, a batch-norm scale) or
 * per image: the latter as x * scale + shift over the other operand's rows. Division by a
 * broadcast operand multiplies by its reciprocal (within an ulp of a true division); a
 * broadcast numerator, and maximum or minimum with a broadcast operand (the ε-ball
 * projection's are equal shapes), go to the stock kernel.
 */
function binaryKernel(op: Op, stock: KernelFn): KernelFn {
  return (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo }
    const native = ready(args, [a, b])
    if (!native) return stock(args)
    if (a.shape.join() === b.shape.join()) {
      return compute(BACKEND, args.backend, [a, b], a.shape, ([av, bv], out) => native.binaryOp(OP_CODE[op], av!, bv!, out))
    }
    if (ELEMENTWISE_ONLY.includes(op)) return stock(args)
    const bSmall = perImage(a, b) || perChannel(a, b)
    if (!bSmall && (op === 'div' || !(perImage(b, a) || perChannel(b, a)))) return stock(args)
    const [big, small] = bSmall ? [a, b] : [b, a]
    if (perImage(big, small)) return perImageKernel(op, bSmall, big, small, args.backend, native)
    const dims = rowsDims(big)
    const c = dims[1]!
    return compute(BACKEND, args.backend, [big, small], big.shape, ([xv, sv], out) => {
      const v = sv!.length === c ? sv! : new Float32Array(c).fill(sv![0]!)
      affineFor(op, bSmall, v, (scale, shift) => native.channelAffine(xv!, scale, shift, out, dims, false))
    })
  }
}

/**
 * big op small (or small op big, when !smallIsB) as big * scale + shift with per-channel
 * scale and shift: a + v, a - v, a * v, a / v = a * (1 / v);  v + b, v - b = b * -1 + v, v * b.
 */
function affineFor(op: Op, smallIsB: boolean, v: Float32Array, run: (scale: Float32Array, shift: Float32Array) => void): void {
  const c = v.length
  const ones = new Float32Array(c).fill(1)
  if (op === 'mul') run(v, new Float32Array(c))
  else if (op === 'div') run(v.map((t) => 1 / t), new Float32Array(c))
  else if (op === 'add') run(ones, v)
  else if (smallIsB) run(ones, v.map((t) => -t))
  else run(ones.fill(-1), v)
}

/** Row width for one value per image: a power of two up to 64 that divides the image. */
function scalarWidth(perImageSize: number): number {
  let w = 64
  while (perImageSize % w !== 0) w /= 2
  return w
}

/** The per-image case: one affine map per image, on views of that image's rows. */
function perImageKernel(op: Op, bSmall: boolean, big: TensorInfo, small: TensorInfo, backend: unknown, native: NativeModule): TensorInfo {
  const n = big.shape[0]!
  const perImageSize = sizeOf(big) / n
  const perChannelValues = small.shape[small.shape.length - 1]! === big.shape[big.shape.length - 1]!
  // One value per image is a "channel" row as wide as a vector, every entry that value.
  const c = perChannelValues ? big.shape[big.shape.length - 1]! : scalarWidth(perImageSize)
  const k = sizeOf(small) / n
  const dims = Int32Array.of(perImageSize / c, c)
  return compute(BACKEND, backend, [big, small], big.shape, ([xv, sv], out) => {
    for (let i = 0; i < n; i++) {
      const x = xv!.subarray(i * perImageSize, (i + 1) * perImageSize)
      const y = out.subarray(i * perImageSize, (i + 1) * perImageSize)
      const v = perChannelValues ? sv!.slice(i * k, (i + 1) * k) : new Float32Array(c).fill(sv![i]!)
      affineFor(op, bSmall, v, (scale, shift) => native.channelAffine(x, scale, shift, y, dims, false))
    }
  })
}

/**
 * Sum or mean over every axis but the last (bias and batch-norm gradients, statistics), or
 * over the spatial axes of an NHWC tensor (global average pooling and its gradient): the
 * per-channel sums of each image's rows. Other axes go to the stock kernel.
 */
function reduceKernel(mean: boolean, stock: KernelFn): KernelFn {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo }
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean }
    const native = ready(args, [x])
    const rank = x.shape.length
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q)
    const inner = [...Array(rank - 1).keys()]
    const overRows = axes.join() === inner.join()
    const overSpatial = rank >= 3 && axes.join() === inner.slice(1).join()
    if (!native || rank < 2 || sizeOf(x) === 0 || (!overRows && !overSpatial)) return stock(args)
    const c = x.shape[rank - 1]!
    const images = overRows ? 1 : x.shape[0]!
    const perImage = sizeOf(x) / images
    const count = perImage / c
    const outShape = keepDims
      ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
      : x.shape.filter((_, i) => !axes.includes(i))
    return compute(BACKEND, args.backend, [x], outShape, ([xv], out) => {
      const dims = Int32Array.of(count, c)
      for (let i = 0; i < images; i++) {
        native.channelSum(xv!.subarray(i * perImage, (i + 1) * perImage), out.subarray(i * c, (i + 1) * c), dims)
      }
      if (mean) for (let k = 0; k < out.length; k++) out[k] = out[k]! / count
    })
  }
}

/** max(x, 0) as x * 1 + 0 under the affine kernel's ReLU (NaN stays NaN, as in the stock kernel). */
function reluKernel(stock: KernelFn): KernelFn {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo }
    const native = ready(args, [x])
    if (!native || sizeOf(x) === 0) return stock(args)
    const dims = rowsDims(x)
    const c = dims[1]!
    return compute(BACKEND, args.backend, [x], x.shape, ([xv], out) =>
      native.channelAffine(xv!, new Float32Array(c).fill(1), new Float32Array(c), out, dims, true)
    )
  }
}

/**
 * Cuts `rows` product rows into up to 16 "images" of 8+ rows for the pool. The cut is fixed by
 * the shape, never by the thread count: At.B sums over the images, so the grouping of its
 * additions, and with it the result, stays the same at any thread count.
 */
function imagesFor(rows: number): number {
  for (const images of [16, 8, 4, 2]) if (rows % images === 0 && rows / images >= 8) return images
  return 1
}

/** Conv shape of a 1x1 convolution over n images of 1 x w pixels, ci -> co channels. */
function pointwise(n: number, w: number, ci: number, co: number): Int32Array {
  return Int32Array.of(n, 1, w, ci, 1, 1, co, 1, 1, 1, 1, 0, 0, 1, w)
}

/** A.B, At.B or A.Bt for a batch of one (the 2-D products of dense layers); others go to stock. */
function batchMatMulKernel(stock: KernelFn): KernelFn {
  return (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo }
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean }
    const native = ready(args, [a, b])
    // tf.matMul hands 2-D operands to the kernel as they are; batched ones are rank 3+.
    const batchOf = (t: TensorInfo): number => t.shape.slice(0, -2).reduce((p, q) => p * q, 1)
    if (!native || a.shape.length < 2 || b.shape.length < 2 || batchOf(a) !== 1 || batchOf(b) !== 1) return stock(args)
    if (transposeA && transposeB) return stock(args)
    const [a1, a2] = a.shape.slice(-2) as [number, number]
    const [b1, b2] = b.shape.slice(-2) as [number, number]
    const [m, k] = transposeA ? [a2, a1] : [a1, a2]
    const [kb, n] = transposeB ? [b2, b1] : [b1, b2]
    if (k !== kb || m * n * k === 0) return stock(args)
    const outShape = [...(a.shape.length >= b.shape.length ? a.shape : b.shape).slice(0, -2), m, n]
    return compute(BACKEND, args.backend, [a, b], outShape, ([av, bv], out) => {
      if (transposeA) {
        // C = At.B: the filter gradient of a 1x1 convolution whose k "pixels" are A's rows.
        const images = imagesFor(k)
        native.conv2dFilterGrad(av!, bv!, out, pointwise(images, k / images, m, n))
      } else if (transposeB) {
        // C = A.Bt: the input gradient of a 1x1 convolution with filter B ([n, k] = [ci, co]).
        const images = imagesFor(m)
        native.conv2dInputGrad(av!, bv!, out, pointwise(images, m / images, n, k))
      } else {
        const images = imagesFor(m)
        native.conv2d(av!, bv!, out, pointwise(images, m / images, k, n))
      }
    })
  }
}

const replacements: Record<string, (stock: KernelFn) => KernelFn> = {
  [tf.Add]: (stock) => binaryKernel('add', stock),
  [tf.Sub]: (stock) => binaryKernel('sub', stock),
  [tf.Multiply]: (stock) => binaryKernel('mul', stock),
  [tf.RealDiv]: (stock) => binaryKernel('div', stock),
  [tf.Maximum]: (stock) => binaryKernel('max', stock),
  [tf.Minimum]: (stock) => binaryKernel('min', stock),
  [tf.Sum]: (stock) => reduceKernel(false, stock),
  [tf.Mean]: (stock) => reduceKernel(true, stock),
  [tf.Relu]: reluKernel,
  [tf.BatchMatMul]: batchMatMulKernel
}

function install(): void {
  withoutReregistrationWarnings(() => {
    for (const [name, make] of Object.entries(replacements)) {
      const current = tf.getKernel(name, BACKEND)
      if (!current) continue
      tf.unregisterKernel(name, BACKEND)
      tf.registerKernel({ ...current, kernelFunc: make(current.kernelFunc as unknown as KernelFn) as unknown as tf.KernelFunc })
    }
  })
}

install()
