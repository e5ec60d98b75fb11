/**
 * The project's own WebAssembly SIMD kernels (simd/kernels.c, built by
 * scripts/build-simd-kernels.sh into resources/wasm/), instantiated on the wasm backend's
 * own memory so they read and write tensors where they lie, with no copy in or out. They
 * take over the inner loops of the JavaScript kernels in kernels/wasm/ (row sums, window
 * copies, 2-D transposes), which V8 cannot vectorise.
 *
 * One instance per backend memory (the stock build's memory is unshared, the threaded
 * build's shared: each gets the module compiled for it). Where the module cannot load,
 * or ORTHOLENS_SIMD_KERNELS=0, callers keep their JavaScript loops.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { resourcesDir } from '../resources'

/** Addresses are byte offsets into the backend's heap; lengths count 4-byte elements. */
export interface SimdKernels {
  sum_rows(x: number, rows: number, cols: number, out: number, acc: number): void
  move_window4(
    full: number,
    packed: number,
    s1: number,
    s2: number,
    s3: number,
    b0: number,
    b1: number,
    b2: number,
    b3: number,
    z0: number,
    z1: number,
    z2: number,
    z3: number,
    scatter: number
  ): void
  transpose2d(src: number, dst: number, rows: number, cols: number): void
}

interface EmscriptenHeapOwner {
  wasmMemory?: WebAssembly.Memory
  asm?: { memory?: WebAssembly.Memory }
}

const instances = new WeakMap<WebAssembly.Memory, SimdKernels | null>()
let enabled = process.env.ORTHOLENS_SIMD_KERNELS !== '0'

/** Turns the SIMD kernels on or off (tests compare both paths). */
export function setSimdKernels(on: boolean): void {
  enabled = on
}

/** Whether the SIMD kernels are switched on (they may still fail to load). */
export function simdKernelsEnabled(): boolean {
  return enabled
}

/** The kernels bound to this wasm backend's memory, or undefined (JavaScript loops then). */
export function simdKernelsFor(backend: unknown): SimdKernels | undefined {
  if (!enabled) return undefined
  const mod = (backend as { wasm?: EmscriptenHeapOwner }).wasm
  const memory = mod?.wasmMemory ?? mod?.asm?.memory
  if (!memory) return undefined
  let kernels = instances.get(memory)
  if (kernels === undefined) {
    kernels = instantiate(memory)
    instances.set(memory, kernels)
  }
  return kernels ?? undefined
}

function instantiate(memory: WebAssembly.Memory): SimdKernels | null {
  const shared =
    typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer
  const file = join(
    resourcesDir(),
    'wasm',
    shared ? 'ortholens-kernels-shared.wasm' : 'ortholens-kernels.wasm'
  )
  try {
    const module = new WebAssembly.Module(readFileSync(file))
    return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdKernels
  } catch (err) {
    process.emitWarning(
      `SIMD kernels not loaded (${file}): ${err instanceof Error ? err.message : err}`
    )
    return null
  }
}
