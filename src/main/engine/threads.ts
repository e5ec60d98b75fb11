/** How many compute threads the engine uses (the wasm backend's pool, the native kernels' pool). */
import { availableParallelism } from 'node:os'

const MAX_THREADS = 16

/** ORTHOLENS_THREADS, else one per available CPU (capped at 16). */
export function defaultThreadCount(): number {
  const asked = Number(process.env.ORTHOLENS_THREADS)
  if (Number.isInteger(asked) && asked >= 1) return Math.min(asked, MAX_THREADS)
  return Math.max(1, Math.min(availableParallelism(), MAX_THREADS))
}
