/**
 * Fill on the `cpu` backend, with its float32 output drawn from the buffer pool
 * (cpuBufferPool.ts). The stock kernel writes a fresh array, which takes a page fault per
 * 4 KiB on first write: 6.3 ms for the 2 MB constant of global average pooling's gradient in
 * every resnet20 training step (gradients/Reduce_grad), against 0.7 ms on wasm.
 */
import { tf } from '../../tf'
import { compute } from '../nativeKernels'
import { stockOrMissing, type KernelFn, type OurKernelConfig } from '../registry'
import { BACKEND, ready } from './shared'

function fillKernel(stock: KernelFn): KernelFn {
  return (args) => {
    const { shape, value, dtype } = args.attrs as {
      shape: number[]
      value: unknown
      dtype?: string
    }
    // Without a dtype a number fills float32, as in the stock kernel.
    const float = (dtype ?? 'float32') === 'float32' && typeof value === 'number'
    if (!float || !ready(args, [])) return stock(args)
    return compute(BACKEND, args.backend, [], shape, (_, out) => out.fill(value as number))
  }
}

export const fillKernelConfigs: OurKernelConfig[] = [
  {
    kernelName: tf.Fill,
    backendName: BACKEND,
    make: (stock) => fillKernel(stockOrMissing(stock, tf.Fill, BACKEND))
  }
]
