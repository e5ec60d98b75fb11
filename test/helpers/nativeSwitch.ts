import { tf } from '../../src/main/engine/tf'
import { setNativeKernels } from '../../src/main/engine/kernels/nativeKernels'

/** fn's result with the native kernels off: the ops route, or the stock kernels. */
export function withNativeKernelsOff<T>(fn: () => T): T {
  setNativeKernels(false)
  try {
    return fn()
  } finally {
    setNativeKernels(true)
  }
}

/** The tensors' values, after which they are disposed. */
export function valuesAndDispose(ts: tf.Tensor[]): Float32Array[] {
  const out = ts.map((t) => t.dataSync() as Float32Array)
  tf.dispose(ts)
  return out
}
