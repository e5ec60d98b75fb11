/**
 * Turns an exhausted wasm heap into a clear error. The wasm backend's memory stops at 4 GB;
 * past it Emscripten's malloc returns 0 and tfjs-backend-wasm does not check, so the tensor
 * lands on address 0: the single-thread build then traps somewhere later ("memory access out
 * of bounds", module aborted), and the threaded build hangs, its pool threads dead on the
 * trap while the main thread waits for them; near the top the allocator has even returned
 * blocks that end past the memory. Checking every allocation where tfjs makes it
 * fails the step at once, on the calling thread, with a message a user can act on, and the
 * backend stays usable (nothing was written).
 */
interface EmscriptenMalloc {
  _malloc: (bytes: number) => number
  _free?: (at: number) => void
  asm?: {
    malloc?: (bytes: number) => number
    free?: (at: number) => void
    memory?: WebAssembly.Memory
  }
  wasmMemory?: WebAssembly.Memory
  __ortholensHeapGuard?: true
}

/** The message of the error an allocation past the heap's limit raises. */
export const HEAP_EXHAUSTED = 'The compute memory (4 GB wasm heap) is full'

/** Wraps the module's malloc (idempotent). */
export function guardWasmHeap(mod: unknown): void {
  const m = mod as EmscriptenMalloc
  if (!m || typeof m._malloc !== 'function' || m.__ortholensHeapGuard) return
  // Emscripten's Module._malloc is a stub that overwrites itself with the raw export on its
  // first call: call the export, and keep the property from being reassigned.
  const malloc = m.asm?.malloc ?? m._malloc
  const free = m.asm?.free ?? m._free
  const memory = m.wasmMemory ?? m.asm?.memory
  const guarded = (bytes: number): number => {
    const at = malloc(bytes)
    // At the very top of the 4 GB space the allocator has also been seen (tfjs 4.22, a
    // ResNet-20 orthogonal step at batch 128) to hand out a block that ends past the
    // memory: reading it then failed with "Invalid typed array length". Same cause, same error.
    const pastEnd =
      at !== 0 && memory !== undefined && (at >>> 0) + bytes > memory.buffer.byteLength
    if (pastEnd) free?.(at)
    if ((at === 0 && bytes > 0) || pastEnd) {
      throw new Error(
        `${HEAP_EXHAUSTED}: ${(bytes / 2 ** 20).toFixed(0)} MB more were needed. ` +
          'Use a smaller batch, fewer images at once, or the native TensorFlow backend.'
      )
    }
    return at
  }
  Object.defineProperty(m, '_malloc', {
    configurable: true,
    get: () => guarded,
    set: () => undefined
  })
  m.__ortholensHeapGuard = true
}
