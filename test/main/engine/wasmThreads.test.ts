import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../src/main/engine/tf'
import { initBackend } from '../../../src/main/engine/backend'
import { wasmThreadCount } from '../../../src/main/engine/wasmThreads'
import { buildModel } from '../../../src/main/engine/models'
import { trainStep } from '../../../src/main/engine/training/steps'
import { simdKernelsFor } from '../../../src/main/engine/kernels/simdKernels'
import { HEAP_EXHAUSTED } from '../../../src/main/engine/wasmHeap'
import { exhaustHeap } from './heapExhaustion'

/** Values of fn's result on the cpu backend, the reference for the threaded wasm one. */
function onCpu(fn: () => tf.Tensor): Float32Array {
  const backend = tf.getBackend()
  tf.setBackend('cpu')
  const t = fn()
  const v = t.dataSync() as Float32Array
  t.dispose()
  tf.setBackend(backend)
  return v
}

function maxRelErr(a: Float32Array, b: Float32Array): number {
  let scale = 1e-6
  let worst = 0
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(b[i]!))
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!))
  return worst / scale
}

describe('threaded wasm backend', () => {
  const saved = process.env.ORTHOLENS_THREADS
  const savedWasm = process.env.ORTHOLENS_WASM_THREADS
  beforeAll(async () => {
    process.env.ORTHOLENS_THREADS = '2'
    // With the native kernels XNNPACK would get one thread (threads.ts): ask for two here.
    process.env.ORTHOLENS_WASM_THREADS = '2'
    const info = await initBackend('wasm')
    expect(info.name).toBe('wasm')
  })
  afterAll(() => {
    process.env.ORTHOLENS_THREADS = saved
    if (savedWasm === undefined) delete process.env.ORTHOLENS_WASM_THREADS
    else process.env.ORTHOLENS_WASM_THREADS = savedWasm
  })

  it('runs XNNPACK on two threads', () => {
    expect(wasmThreadCount()).toBe(2)
    expect(tf.getBackend()).toBe('wasm')
  })

  it('computes convolutions and matrix products like the cpu backend', () => {
    // Large enough that XNNPACK splits the work between both threads.
    const x = tf.randomUniform([16, 20, 20, 8], -1, 1, 'float32', 1) as tf.Tensor4D
    const w = tf.randomUniform([3, 3, 8, 24], -1, 1, 'float32', 2) as tf.Tensor4D
    const a = tf.randomUniform([150, 300], -1, 1, 'float32', 3) as tf.Tensor2D
    const b = tf.randomUniform([300, 70], -1, 1, 'float32', 4) as tf.Tensor2D
    const conv = (): tf.Tensor => tf.conv2d(x, w, 2, 'same')
    const mm = (): tf.Tensor => tf.matMul(a, b)
    // The project's SIMD kernels, built for a shared memory here.
    expect(simdKernelsFor(tf.backend())).toBeDefined()
    const rowSum = (): tf.Tensor => tf.sum(x, [0, 1, 2])
    const window = (): tf.Tensor => tf.slice(x, [1, 2, 3, 0], [10, 15, 12, 8])
    const flip = (): tf.Tensor => tf.transpose(a)
    for (const f of [conv, mm, rowSum, window, flip]) {
      const ours = f()
      expect(maxRelErr(ours.dataSync() as Float32Array, onCpu(f))).toBeLessThan(1e-5)
      ours.dispose()
    }
    tf.dispose([x, w, a, b])
  })

  it('reads correct values after the shared memory grew', () => {
    // 3 x 48 MB forces the heap past its initial size; the views the backend reads through
    // must follow the new buffer, or reads fail or return stale zeros.
    const big = [0, 1, 2].map((k) => tf.fill([12 * 2 ** 20], k + 1))
    const sum = tf.add(big[2]!, big[1]!)
    const v = sum.dataSync()
    expect(v.length).toBe(12 * 2 ** 20)
    expect(v[0]).toBe(5)
    expect(v[v.length - 1]).toBe(5)
    tf.dispose([...big, sum])
  })

  it('follows a growth of the shared memory made outside this thread', () => {
    // A pool thread that grows the heap updates its own views only; simulate that by growing
    // the memory directly. The backend reads tensors through HEAPU8, which must cover it all.
    const wasm = (
      tf.backend() as unknown as { wasm: { wasmMemory: WebAssembly.Memory; HEAPU8: Uint8Array } }
    ).wasm
    const before = wasm.wasmMemory.buffer.byteLength
    wasm.wasmMemory.grow(16)
    expect(wasm.wasmMemory.buffer.byteLength).toBe(before + 16 * 65536)
    expect(wasm.HEAPU8.byteLength).toBe(wasm.wasmMemory.buffer.byteLength)
  })

  it('trains with a flat tensor count', () => {
    const net = buildModel('cnn', [28, 28, 1], 10, { seed: 1 })
    const ref = buildModel('cnn', [28, 28, 1], 10, { seed: 2 })
    const x = tf.randomUniform([8, 28, 28, 1], 0, 1, 'float32', 5) as tf.Tensor4D
    const y = tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32')
    const opt = tf.train.adam(1e-3)
    const step = (): number =>
      trainStep(net, opt, x, y, { reference: ref, lambda: 30, form: 'squared' }).loss
    step()
    const before = tf.memory().numTensors
    const losses = [step(), step(), step()]
    expect(tf.memory().numTensors).toBe(before)
    for (const l of losses) expect(Number.isFinite(l)).toBe(true)
    tf.dispose([x, y])
    net.dispose()
    ref.dispose()
    opt.dispose()
  })

  it('fails an allocation past the 4 GB heap with a clear error instead of hanging', () => {
    // Unguarded, the threaded build hangs here: malloc returns 0, a pool thread traps on the
    // bad address and the main thread waits for it forever.
    const { error, count, sample, outside } = exhaustHeap()
    expect((error as Error).message).toContain(HEAP_EXHAUSTED)
    expect(sample).toBe(count)
    expect(outside).toBe(0)
    const y = tf.conv2d(
      tf.ones([2, 8, 8, 4]) as tf.Tensor4D,
      tf.ones([3, 3, 4, 8]) as tf.Tensor4D,
      1,
      'valid'
    )
    expect(y.dataSync()[0]).toBe(36)
  })
})
