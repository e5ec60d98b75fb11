import { beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../src/main/engine/tf'
import { initBackend } from '../../../src/main/engine/backend'
import { HEAP_EXHAUSTED, guardWasmHeap } from '../../../src/main/engine/wasmHeap'
import { exhaustHeap } from './heapExhaustion'

describe('an exhausted wasm heap', () => {
  beforeAll(async () => {
    await initBackend('wasm')
  })

  it('fails the allocation with a clear error, and the backend goes on working', () => {
    const before = tf.memory().numTensors
    const { error, count, sample, outside } = exhaustHeap()
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toContain(HEAP_EXHAUSTED)
    expect((error as Error).message).toContain('smaller batch')
    expect(count).toBeGreaterThan(0)
    expect(sample).toBe(count)
    expect(outside).toBe(0)
    expect(tf.memory().numTensors).toBe(before)
    const y = tf.matMul(tf.ones([3, 4]), tf.ones([4, 2]))
    expect(Array.from(y.dataSync())).toEqual([4, 4, 4, 4, 4, 4])
  })

  it('also refuses a block the allocator hands out past the end of the memory', () => {
    // A module whose allocator misbehaves at the top of the heap, as seen with a ResNet-20
    // orthogonal step at batch 128 (4 GB): the block starts inside but ends outside.
    const memory = new WebAssembly.Memory({ initial: 1 })
    const freed: number[] = []
    const fake = {
      _malloc: (bytes: number) => (bytes === 1024 ? 65536 - 512 : 4096),
      asm: {
        malloc: (bytes: number) => (bytes === 1024 ? 65536 - 512 : 4096),
        free: (at: number) => void freed.push(at),
        memory
      }
    }
    guardWasmHeap(fake)
    expect(fake._malloc(256)).toBe(4096)
    expect(() => fake._malloc(1024)).toThrow(HEAP_EXHAUSTED)
    expect(freed).toEqual([65536 - 512])
    // Emscripten reassigns _malloc on its first call; the guard must survive that.
    fake._malloc = (bytes: number) => bytes
    expect(() => fake._malloc(1024)).toThrow(HEAP_EXHAUSTED)
  })
})
