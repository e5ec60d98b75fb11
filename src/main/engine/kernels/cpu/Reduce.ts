/**
 * Sum and Mean on the `cpu` backend, native-first (the stock ones are JavaScript loops; see
 * cpu/Binary.ts): per-channel sums for bias and batch-norm gradients, statistics and global
 * average pooling.
 */
import { tf } from '../../tf'
import { compute } from '../nativeKernels'
import { stockOrMissing, type KernelFn, type OurKernelConfig, type TensorInfo } from '../registry'
import { BACKEND, ready, sizeOf } from './shared'

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
        native.channelSum(
          xv!.subarray(i * perImage, (i + 1) * perImage),
          out.subarray(i * c, (i + 1) * c),
          dims
        )
      }
      if (mean) for (let k = 0; k < out.length; k++) out[k] = out[k]! / count
    })
  }
}

export const reduceKernelConfigs: OurKernelConfig[] = [
  {
    kernelName: tf.Sum,
    backendName: BACKEND,
    make: (stock) => reduceKernel(false, stockOrMissing(stock, tf.Sum, BACKEND))
  },
  {
    kernelName: tf.Mean,
    backendName: BACKEND,
    make: (stock) => reduceKernel(true, stockOrMissing(stock, tf.Mean, BACKEND))
  }
]
