/**
 * BatchMatMul on the `cpu` backend, native-first (kernels/nativeMatMul.ts; the stock one is a
 * JavaScript loop: 49 ms for the cnn's dense layer; see cpu/Binary.ts).
 */
import { tf } from '../../tf'
import { nativeMatMul } from '../nativeMatMul'
import { stockOrMissing, type KernelFn, type OurKernelConfig } from '../registry'
import { BACKEND } from './shared'

/** A.B, At.B or A.Bt for a batch of one (the 2-D products of dense layers); others go to stock. */
function batchMatMulKernel(stock: KernelFn): KernelFn {
  return (args) => nativeMatMul(BACKEND, args) ?? stock(args)
}

export const batchMatMulKernelConfigs: OurKernelConfig[] = [
  {
    kernelName: tf.BatchMatMul,
    backendName: BACKEND,
    make: (stock) => batchMatMulKernel(stockOrMissing(stock, tf.BatchMatMul, BACKEND))
  }
]
