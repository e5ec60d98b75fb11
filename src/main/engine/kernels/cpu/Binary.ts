/**
 * Add, Sub, Multiply, RealDiv, Maximum and Minimum on the `cpu` backend, native-first.
 *
 * The native replacements of the `cpu` backend's kernels (this file, cpu/Reduce.ts,
 * cpu/Relu.ts, cpu/BatchMatMul.ts) exist because the stock ones are JavaScript loops: on the
 * cnn step they took 480 of 520 ms (a bias gradient's Sum 18 ms, a broadcast bias Add 3 ms,
 * the dense layer's BatchMatMul 49 ms) once the convolutions were native. Each handles the
 * common float32 shapes through kernels/native and hands anything else to the stock kernel;
 * all are off with the native kernels (setNativeKernels, ORTHOLENS_NATIVE_KERNELS=0). None is
 * installed on `wasm`, whose XNNPACK kernels are not the bottleneck (and whose BatchMatMul
 * has its own replacement, wasm/BatchMatMul.ts).
 */
import { tf } from '../../tf'
import { compute, rowsDims, type NativeModule } from '../nativeKernels'
import { stockOrMissing, type KernelFn, type OurKernelConfig, type TensorInfo } from '../registry'
import { BACKEND, ready, sizeOf } from './shared'

/**
 * Whether `small` broadcasts over `big`'s rows: one value per channel ([C] or [1, …, 1, C]),
 * or a single value (a learning rate, a momentum).
 */
function perChannel(big: TensorInfo, small: TensorInfo): boolean {
  const c = big.shape[big.shape.length - 1]
  if (big.shape.length < 1 || small.shape.length > big.shape.length || sizeOf(big) <= sizeOf(small))
    return false
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
const OP_CODE: Record<Op, 0 | 1 | 2 | 3 | 4 | 5> = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  max: 4,
  min: 5
}
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
      return compute(BACKEND, args.backend, [a, b], a.shape, ([av, bv], out) =>
        native.binaryOp(OP_CODE[op], av!, bv!, out)
      )
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
      affineFor(op, bSmall, v, (scale, shift) =>
        native.channelAffine(xv!, scale, shift, out, dims, false)
      )
    })
  }
}

/**
 * big op small (or small op big, when !smallIsB) as big * scale + shift with per-channel
 * scale and shift: a + v, a - v, a * v, a / v = a * (1 / v);  v + b, v - b = b * -1 + v, v * b.
 */
function affineFor(
  op: Op,
  smallIsB: boolean,
  v: Float32Array,
  run: (scale: Float32Array, shift: Float32Array) => void
): void {
  const c = v.length
  const ones = new Float32Array(c).fill(1)
  if (op === 'mul') run(v, new Float32Array(c))
  else if (op === 'div')
    run(
      v.map((t) => 1 / t),
      new Float32Array(c)
    )
  else if (op === 'add') run(ones, v)
  else if (smallIsB)
    run(
      ones,
      v.map((t) => -t)
    )
  else run(ones.fill(-1), v)
}

/** Row width for one value per image: a power of two up to 64 that divides the image. */
function scalarWidth(perImageSize: number): number {
  let w = 64
  while (perImageSize % w !== 0) w /= 2
  return w
}

/** The per-image case: one affine map per image, on views of that image's rows. */
function perImageKernel(
  op: Op,
  bSmall: boolean,
  big: TensorInfo,
  small: TensorInfo,
  backend: unknown,
  native: NativeModule
): TensorInfo {
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
      affineFor(op, bSmall, v, (scale, shift) =>
        native.channelAffine(x, scale, shift, y, dims, false)
      )
    }
  })
}

const binaryOps: [string, Op][] = [
  [tf.Add, 'add'],
  [tf.Sub, 'sub'],
  [tf.Multiply, 'mul'],
  [tf.RealDiv, 'div'],
  [tf.Maximum, 'max'],
  [tf.Minimum, 'min']
]

export const binaryKernelConfigs: OurKernelConfig[] = binaryOps.map(([kernelName, op]) => ({
  kernelName,
  backendName: BACKEND,
  make: (stock) => binaryKernel(op, stockOrMissing(stock, kernelName, BACKEND))
}))
