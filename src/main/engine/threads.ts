/** How many compute threads the engine uses (the wasm backend's pool, the native kernels' pool). */
import { availableParallelism } from 'node:os'

const MAX_THREADS = 16

/** ORTHOLENS_THREADS, else one per available CPU (capped at 16). */
export function defaultThreadCount(): number {
  const asked = Number(process.env.ORTHOLENS_THREADS)
  if (Number.isInteger(asked) && asked >= 1) return Math.min(asked, MAX_THREADS)
  return Math.max(1, Math.min(availableParallelism(), MAX_THREADS))
}

/**
 * Threads of the wasm backend's own XNNPACK pool. With the native kernels active they compute
 * the convolutions, matrix products and batch norms on their own pool (ORTHOLENS_THREADS
 * threads), and XNNPACK is left the small element-wise kernels: there a second pool only
 * costs (its workers spin after every kernel on the cores our pool's workers need; measured on
 * the 2-core machine under load, the cnn step 34-38 ms with XNNPACK at one thread and ours at
 * two, 53-60 ms with both at two), so XNNPACK gets one thread. Without the native kernels
 * XNNPACK computes everything and gets them all. ORTHOLENS_WASM_THREADS overrides.
 */
export function wasmPoolThreadCount(nativeKernels: boolean): number {
  const asked = Number(process.env.ORTHOLENS_WASM_THREADS)
  if (Number.isInteger(asked) && asked >= 1) return Math.min(asked, MAX_THREADS)
  return nativeKernels ? 1 : defaultThreadCount()
}
