/**
 * Matrix products of dense layers (2-D, a batch of one) on the native convolution kernels, for
 * the `cpu` backend (cpu/BatchMatMul.ts: its stock kernel is a JavaScript loop, 49 ms for the
 * cnn's dense layer) and the `wasm` backend (wasm/BatchMatMul.ts: XNNPACK's 128-bit loops
 * without fused multiply-add, 1.2-1.4 ms per product of that layer against ~0.4-0.8 ms here).
 * A.B is a forward 1x1 convolution, At.B a filter gradient and A.Bt an input gradient, with
 * the rows of the product cut into "images" for the pool.
 */
import { activeNativeModule, compute, usable, type NativeBackend } from './nativeKernels'
import type { KernelArgs, TensorInfo } from './registry'

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

/**
 * A.B, At.B or A.Bt of float32 operands with a batch of one, natively; undefined for anything
 * else (rank-3 batches, both transposed, other dtypes, native kernels off), which the caller
 * hands to its own fallback.
 */
export function nativeMatMul(backendName: NativeBackend, args: KernelArgs): TensorInfo | undefined {
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo }
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean }
  const native = activeNativeModule()
  if (!native || !usable(backendName, args.backend, [a, b])) return undefined
  // tf.matMul hands 2-D operands to the kernel as they are; batched ones are rank 3+.
  const batchOf = (t: TensorInfo): number => t.shape.slice(0, -2).reduce((p, q) => p * q, 1)
  if (a.shape.length < 2 || b.shape.length < 2 || batchOf(a) !== 1 || batchOf(b) !== 1)
    return undefined
  if (transposeA && transposeB) return undefined
  const [a1, a2] = a.shape.slice(-2) as [number, number]
  const [b1, b2] = b.shape.slice(-2) as [number, number]
  const [m, k] = transposeA ? [a2, a1] : [a1, a2]
  const [kb, n] = transposeB ? [b2, b1] : [b1, b2]
  if (k !== kb || m * n * k === 0) return undefined
  const outShape = [...(a.shape.length >= b.shape.length ? a.shape : b.shape).slice(0, -2), m, n]
  return compute(backendName, args.backend, [a, b], outShape, ([av, bv], out) => {
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
