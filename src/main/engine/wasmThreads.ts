/**
 * Multi-threaded `wasm` backend in Node.js. tfjs-backend-wasm ships a threaded SIMD build
 * (XNNPACK over a pthread pool) but turns it off in Node (WASM_HAS_MULTITHREAD_SUPPORT is
 * false there, tfjs issue #3830) and, even when forced, hands Emscripten Blob URLs that Node's
 * worker_threads cannot start. Emscripten's own glue does support Node workers, so this
 * module registers a `wasm` backend factory that starts the threaded build the Node way:
 *  - the pthread worker script and the main script the workers import are written to a
 *    private temporary folder (Node workers need files, not Blobs);
 *  - `emscripten_num_logical_cores` is answered by us: tfjs sizes its pool from it
 *    (halved, as if every core were hyper-threaded), so on a 2-core machine it would
 *    otherwise pick 1 thread whatever setThreadsCount asks;
 *  - the HEAP views the backend reads are refreshed when the shared memory grew on
 *    another thread (the stock JS keeps views from the last growth it saw itself);
 *  - the 8 workers Emscripten preloads beyond the pool are ended, to save their memory.
 * Measured on the 2-core machine: a 64x32x32x16 3x3 conv 12.3 -> 6.1 ms, a 288x12544x64
 * matMul 13.7 -> 6.9 ms with 2 threads. Any failure leaves the stock single-thread backend.
 */
import { createRequire } from 'node:module'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { tf } from './tf'
import { BackendWasm, setThreadsCount, version_wasm } from '@tensorflow/tfjs-backend-wasm'

const require = createRequire(import.meta.url)

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number
  wasmMemory: WebAssembly.Memory
  PThread: { unusedWorkers: { terminate(): void }[] }
  [heap: string]: unknown
}
type Factory = (config: Record<string, unknown>) => Promise<EmscriptenModule>

const HEAP_VIEWS: [string, new (b: ArrayBufferLike) => ArrayBufferView][] = [
  ['HEAP8', Int8Array],
  ['HEAPU8', Uint8Array],
  ['HEAP16', Int16Array],
  ['HEAPU16', Uint16Array],
  ['HEAP32', Int32Array],
  ['HEAPU32', Uint32Array],
  ['HEAPF32', Float32Array],
  ['HEAPF64', Float64Array]
]

/**
 * Writes the two scripts Node's pthread workers load into a fresh private folder (mkdtemp,
 * mode 0700), removed when the process exits. A fixed shared path would let another user of
 * the machine plant a script that our workers then execute.
 */
function workerScripts(wasmOut: string, factory: Factory): { worker: string; main: string } {
  const dir = mkdtempSync(join(tmpdir(), `ortholens-wasm-threads-${version_wasm}-`))
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  const worker = join(dir, 'pthread-worker.cjs')
  const main = join(dir, 'module.cjs')
  const { wasmWorkerContents } = require(
    join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js')
  ) as {
    wasmWorkerContents: string
  }
  // The contents were a template literal: its "\n" escapes became real newlines inside
  // string literals, which would not parse (tfjs escapes them back the same way).
  writeFileSync(worker, wasmWorkerContents.replace(/\n/g, '\\n'))
  writeFileSync(main, `var WasmBackendModuleThreadedSimd = ${factory.toString()}`)
  return { worker, main }
}

/** Makes every HEAP view a getter that follows the shared memory when it has grown. */
function followMemoryGrowth(mod: EmscriptenModule): void {
  const memory = mod.wasmMemory
  for (const [name, View] of HEAP_VIEWS) {
    let view = new View(memory.buffer)
    Object.defineProperty(mod, name, {
      configurable: true,
      get: () => {
        const buffer = memory.buffer
        if (view.buffer !== buffer) view = new View(buffer)
        return view
      },
      // Emscripten assigns fresh views after a growth on this thread; the getter covers it.
      set: () => undefined
    })
  }
}

async function startThreadedModule(threads: number): Promise<EmscriptenModule> {
  const wasmOut = join(
    dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')),
    'wasm-out'
  )
  const factory = require(join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js')) as Factory
  const scripts = workerScripts(wasmOut, factory)
  const wasmFile = join(wasmOut, 'tfjs-backend-wasm-threaded-simd.wasm')
  const mod = await factory({
    locateFile: (path: string) =>
      path.endsWith('.worker.js') ? scripts.worker : path.endsWith('.wasm') ? wasmFile : path,
    mainScriptUrlOrBlob: scripts.main,
    instantiateWasm: (
      imports: { env: Record<string, unknown> },
      receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void
    ) => {
      imports.env.emscripten_num_logical_cores = () => threads * 2
      const module = new WebAssembly.Module(readFileSync(wasmFile))
      const instance = new WebAssembly.Instance(module, imports as WebAssembly.Imports)
      receive(instance, module)
      return instance.exports
    }
  })
  followMemoryGrowth(mod)
  const tfjs = {
    init: mod.cwrap('init', null, []),
    initWithThreadsCount: mod.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: mod.cwrap('get_threads_count', 'number', []),
    registerTensor: mod.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: mod.cwrap('dispose_data', null, ['number']),
    dispose: mod.cwrap('dispose', null, [])
  }
  ;(mod as unknown as { tfjs: typeof tfjs }).tfjs = tfjs
  return mod
}

let registeredThreads = 1

/**
 * Replaces the `wasm` backend factory with the threaded build at `threads` threads (>= 2);
 * call before the backend is first set. Returns false (stock backend kept) where the
 * platform cannot run it: no SharedArrayBuffer or wasm threads.
 */
export function registerThreadedWasm(threads: number): boolean {
  if (threads < 2 || typeof SharedArrayBuffer === 'undefined') return false
  const stock = tf.findBackendFactory('wasm')
  // Too late once the stock backend has started: removing it would drop its tensors.
  if (!stock || (tf.engine() as unknown as { registry: Record<string, unknown> }).registry.wasm)
    return false
  tf.removeBackend('wasm')
  tf.registerBackend(
    'wasm',
    async () => {
      try {
        const mod = await startThreadedModule(threads)
        setThreadsCount(threads)
        const backend = new BackendWasm(mod as never)
        // init_with_threads_count ran in the constructor; its pool took threads-1 workers.
        const actual = (
          mod as unknown as { tfjs: { getThreadsCount(): number } }
        ).tfjs.getThreadsCount()
        for (const w of mod.PThread.unusedWorkers.splice(0)) w.terminate()
        registeredThreads = actual
        return backend
      } catch (err) {
        process.emitWarning(
          `threaded wasm backend failed, using one thread: ${err instanceof Error ? err.message : err}`
        )
        registeredThreads = 1
        return stock()
      }
    },
    2
  )
  return true
}

/** Threads the wasm backend computes with (1 for the stock build). */
export function wasmThreadCount(): number {
  return registeredThreads
}
