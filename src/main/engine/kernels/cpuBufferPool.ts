/**
 * Reused output memory for the native kernels on the `cpu` backend.
 *
 * The cpu backend gives every op output a fresh Float32Array. Large ones come from the
 * allocator as untouched pages, so the kernel that first writes them takes a page fault per
 * 4 KiB: on a ResNet-20 orthogonal step that was about 550,000 faults, several seconds of
 * system time, and kernels running 3-20x slower than on the same data in reused memory.
 * PyTorch avoids this with a caching allocator; this is the same idea for our kernels'
 * outputs.
 *
 * A buffer goes back to the pool only when nothing can still see it:
 *  - every tensor whose values view it is gone (the cpu backend shares memory between
 *    tensors: Reshape shares the data id, a contiguous Slice returns a subarray of its
 *    input), so live views are counted per ArrayBuffer through the backend's data storage;
 *  - it was never handed out by readSync/read (dataSync(), data()), since the caller may keep
 *    that array after disposing the tensor. Such buffers are left to the garbage collector.
 *
 * Recycled arrays hold stale values: every kernel that draws from the pool writes all of its
 * output. ORTHOLENS_POOL_POISON=1 (set for the test suite) fills each array with NaN before
 * it is handed out, so a kernel that skips an element fails its tests.
 */
import { totalmem } from 'node:os'

/** Smaller arrays come from V8's heap or malloc's free lists, already mapped. */
const MIN_POOLED_FLOATS = 1 << 15
/** Free bytes kept at most; an orthogonal ResNet-20 step at batch 128 cycles about 1.5 GB. */
const MAX_FREE_BYTES = Math.min(2 ** 31, Math.max(2 ** 28, totalmem() / 8))
/** The free list is dropped after this long without a request (a job ended). */
const IDLE_RELEASE_MS = 20_000

interface DataEntry {
  values?: unknown
}
interface DataStorageLike {
  has(id: object): boolean
  get(id: object): DataEntry
  set(id: object, value: DataEntry): void
  delete(id: object): boolean
}
export interface PooledCpuBackend {
  data: DataStorageLike
  readSync(id: object): unknown
  read(id: object): Promise<unknown>
}

/** Pool-owned buffers and how many live tensors view each; absent once handed to user code. */
const liveViews = new WeakMap<ArrayBuffer, number>()
const free = new Map<number, Float32Array[]>()
let freeBytes = 0
let idleTimer: ReturnType<typeof setTimeout> | undefined
const installed = new WeakSet<object>()
const poison = process.env.ORTHOLENS_POOL_POISON === '1'

function bufferOf(entry: DataEntry | undefined): ArrayBuffer | undefined {
  const v = entry?.values
  return ArrayBuffer.isView(v) && liveViews.has(v.buffer as ArrayBuffer)
    ? (v.buffer as ArrayBuffer)
    : undefined
}

function release(buffer: ArrayBuffer): void {
  const n = liveViews.get(buffer)! - 1
  if (n > 0) {
    liveViews.set(buffer, n)
    return
  }
  liveViews.delete(buffer)
  if (freeBytes + buffer.byteLength > MAX_FREE_BYTES) return
  armIdleRelease()
  const array = new Float32Array(buffer)
  const list = free.get(array.length)
  if (list) list.push(array)
  else free.set(array.length, [array])
  freeBytes += buffer.byteLength
}

/** Counts views as tensors take and drop them, and retires buffers that leave through reads. */
function install(backend: PooledCpuBackend): void {
  if (installed.has(backend)) return
  installed.add(backend)
  const storage = backend.data
  const set = storage.set.bind(storage)
  const del = storage.delete.bind(storage)
  storage.set = (id, value) => {
    const old = storage.has(id) ? bufferOf(storage.get(id)) : undefined
    const buffer = bufferOf(value)
    if (buffer) liveViews.set(buffer, liveViews.get(buffer)! + 1)
    set(id, value)
    if (old) release(old)
  }
  storage.delete = (id) => {
    const buffer = storage.has(id) ? bufferOf(storage.get(id)) : undefined
    const deleted = del(id)
    if (buffer) release(buffer)
    return deleted
  }
  const retire = (values: unknown): unknown => {
    if (ArrayBuffer.isView(values)) liveViews.delete(values.buffer as ArrayBuffer)
    return values
  }
  const readSync = backend.readSync.bind(backend)
  const read = backend.read.bind(backend)
  backend.readSync = (id) => retire(readSync(id))
  backend.read = async (id) => retire(await read(id))
}

function armIdleRelease(): void {
  if (idleTimer) {
    idleTimer.refresh()
    return
  }
  idleTimer = setTimeout(() => {
    idleTimer = undefined
    releaseCpuBufferPool()
  }, IDLE_RELEASE_MS)
  idleTimer.unref()
}

/** Drops the free list (its memory goes back to the allocator once collected). */
export function releaseCpuBufferPool(): void {
  free.clear()
  freeBytes = 0
}

/** Free bytes held, for tests and the bench. */
export function cpuBufferPoolFreeBytes(): number {
  return freeBytes
}

/**
 * A float32 array of `length` for a kernel output on `backend`, recycled when one is free.
 * Its contents are stale: the kernel must write every element.
 */
export function takeCpuOutput(backend: PooledCpuBackend, length: number): Float32Array {
  if (length < MIN_POOLED_FLOATS) return new Float32Array(length)
  install(backend)
  armIdleRelease()
  const recycled = free.get(length)?.pop()
  if (recycled) freeBytes -= recycled.byteLength
  const array = recycled ?? new Float32Array(length)
  liveViews.set(array.buffer as ArrayBuffer, 0)
  if (poison) array.fill(Number.NaN)
  return array
}
