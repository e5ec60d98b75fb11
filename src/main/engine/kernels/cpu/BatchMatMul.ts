/**
 * BatchMatMul on the `cpu` backend, native-first (the stock one is a JavaScript loop: 49 ms
 * for the cnn's dense layer; see cpu/Binary.ts). Matrix products run on the convolution
 * kernels as 1x1 convolutions: A.B is a forward convolution, At.B a filter gradient and A.Bt
 * an input gradient, with the rows of the product cut into one "image" per thread.
 */
import { tf } from '../../tf'
import { compute } from '../nativeKernels'
import { stockOrMissing, type KernelFn, type OurKernelConfig, type TensorInfo } from '../registry'
import { BACKEND, ready } from './shared'

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

export const batchMatMulKernelConfigs: OurKernelConfig[] = [
  { kernelName: tf.BatchMatMul, backendName: BACKEND, make: (stock) => batchMatMulKernel(stockOrMissing(stock, tf.BatchMatMul, BACKEND)) }
]
