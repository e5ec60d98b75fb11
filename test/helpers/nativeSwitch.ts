import { afterAll, beforeAll, describe } from 'vitest'
import { tf } from '../../src/main/engine/tf'
import { initBackend } from '../../src/main/engine/backend'
import { nativeKernelStatus, setNativeKernels } from '../../src/main/engine/kernels/nativeKernels'

/**
 * A suite that compares the native kernels with the ops route: it starts on wasm, leaves the
 * kernels on and the cpu backend behind, and is skipped where the native kernels are not
 * built or are switched off (ORTHOLENS_NATIVE_KERNELS=0).
 */
export function describeNative(title: string, body: () => void): void {
  describe.skipIf(!nativeKernelStatus().active)(title, () => {
    beforeAll(async () => {
      await initBackend('wasm')
    })
    afterAll(async () => {
      setNativeKernels(true)
      await initBackend('cpu')
    })
    body()
  })
}

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
