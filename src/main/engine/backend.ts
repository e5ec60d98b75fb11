/**
 * Picks the compute backend at start: `tensorflow` (tfjs-node-gpu, then tfjs-node) when its
 * native library loads, else `wasm`, else `cpu`. The choice is reported to the user, and a
 * setting (or ORTHOLENS_BACKEND) can force one.
 */
import { createRequire } from 'node:module'
import { tf } from './tf'
import { registerThreadedWasm, wasmThreadCount } from './wasmThreads'
import { defaultThreadCount, wasmPoolThreadCount } from './threads'
import {
  activeNativeModule,
  nativeKernelsActive,
  nativeKernelStatus
} from './kernels/nativeKernels'
import { guardWasmHeap } from './wasmHeap'
import { installEngine } from './install'

export type BackendName = 'tensorflow' | 'wasm' | 'cpu'
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu']

export interface BackendInfo {
  name: BackendName
  /** Which package supplied the `tensorflow` backend, or why it was not used. */
  detail: string
  /**
   * Threads the backend computes with (ORTHOLENS_THREADS sets it): the native kernels' pool on
   * wasm and cpu when they are active, else XNNPACK's pool on wasm (threads.ts says why).
   */
  threads: number
  tried: { name: BackendName; ok: boolean; reason?: string }[]
}

let current: BackendInfo | undefined
let threadedRequested = false

const nativePackages = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']

/** Loads the native TensorFlow binding if one is installed; it registers the `tensorflow` backend. */
function tryLoadNative(): { ok: boolean; detail: string } {
  const require = createRequire(import.meta.url)
  const reasons: string[] = []
  for (const pkg of nativePackages) {
    try {
      require(pkg)
      return { ok: true, detail: pkg }
    } catch (err) {
      reasons.push(`${pkg}: ${firstLine(err)}`)
    }
  }
  return { ok: false, detail: reasons.join('; ') }
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  return text.split('\n')[0] ?? text
}

/**
 * Installs the engine (installEngine: the project's kernels and gradients, once), then
 * initialises the best available backend (or `force`) and returns what was chosen.
 * Calling it again with the same request is free; forcing a backend that cannot load throws
 * a message naming it.
 */
export async function initBackend(force?: BackendName | 'auto'): Promise<BackendInfo> {
  installEngine()
  const wanted = force ?? (process.env.ORTHOLENS_BACKEND as BackendName | undefined) ?? 'auto'
  if (current && (wanted === 'auto' || wanted === current.name)) return current
  if (wanted !== 'auto' && !BACKEND_ORDER.includes(wanted)) {
    throw new Error(
      `Unknown backend "${wanted}": choose one of ${BACKEND_ORDER.join(', ')} or auto`
    )
  }
  const candidates = wanted === 'auto' ? BACKEND_ORDER : [wanted]
  const tried: BackendInfo['tried'] = []
  for (const name of candidates) {
    let detail: string = name
    if (name === 'tensorflow') {
      const native = tryLoadNative()
      if (!native.ok) {
        tried.push({ name, ok: false, reason: native.detail })
        continue
      }
      detail = native.detail
    }
    if (name === 'wasm' && !threadedRequested) {
      threadedRequested = true
      registerThreadedWasm(wasmPoolThreadCount(activeNativeModule() !== undefined))
    }
    try {
      const ok = await tf.setBackend(name)
      await tf.ready()
      if (!ok || tf.getBackend() !== name) throw new Error('backend did not initialise')
      if (name === 'wasm') guardWasmHeap((tf.backend() as unknown as { wasm: unknown }).wasm)
      tried.push({ name, ok: true })
      // The cpu backend's own kernels are single-threaded; the native ones use the pool, and on
      // wasm carry the parallel work (XNNPACK's pool then has one thread, threads.ts).
      const nativeThreads = nativeKernelsActive() ? nativeKernelStatus().threads : undefined
      const threads =
        name === 'wasm'
          ? Math.max(nativeThreads ?? 1, wasmThreadCount())
          : name === 'cpu'
            ? (nativeThreads ?? 1)
            : defaultThreadCount()
      current = {
        name,
        detail: name === 'wasm' && threads > 1 ? `wasm, ${threads} threads` : detail,
        threads,
        tried
      }
      return current
    } catch (err) {
      tried.push({ name, ok: false, reason: firstLine(err) })
    }
  }
  const why = tried.map((t) => `${t.name}: ${t.reason ?? 'failed'}`).join('; ')
  throw new Error(`No TensorFlow.js backend could start (${why})`)
}

/** The backend in use; initialises the default one on first call. */
export async function backendInfo(): Promise<BackendInfo> {
  return current ?? initBackend()
}
