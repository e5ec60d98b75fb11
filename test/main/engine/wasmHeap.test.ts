import { beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../src/main/engine/tf'
import { initBackend } from '../../../src/main/engine/backend'
import { HEAP_EXHAUSTED } from '../../../src/main/engine/wasmHeap'
import { exhaustHeap } from './heapExhaustion'

describe('an exhausted wasm heap', () => {
  beforeAll(async () => {
    await initBackend('wasm')
  })

  it('fails the allocation with a clear error, and the backend goes on working', () => {
    const before = tf.memory().numTensors
    const { error, count, sample } = exhaustHeap()
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toContain(HEAP_EXHAUSTED)
    expect((error as Error).message).toContain('smaller batch')
    expect(count).toBeGreaterThan(0)
    expect(sample).toBe(count)
    expect(tf.memory().numTensors).toBe(before)
    const y = tf.matMul(tf.ones([3, 4]), tf.ones([4, 2]))
    expect(Array.from(y.dataSync())).toEqual([4, 4, 4, 4, 4, 4])
  })
})
