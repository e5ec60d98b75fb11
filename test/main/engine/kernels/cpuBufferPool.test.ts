import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import { nativeKernelStatus } from '../../../../src/main/engine/kernels/nativeKernels'
import {
  cpuBufferPoolFreeBytes,
  releaseCpuBufferPool
} from '../../../../src/main/engine/kernels/cpuBufferPool'

/** Large enough for the pool (32768 floats and up). */
const SHAPE = [4, 32, 32, 16]
const SIZE = 4 * 32 * 32 * 16

/**
 * A native kernel's output (an equal-shape add) of SIZE floats, every value `value`. Its input
 * is made from an array of ours, which the pool never takes (tf.fill's output would be pooled).
 */
const filled = (value: number): tf.Tensor =>
  tf.tidy(() => {
    const half = tf.tensor(new Float32Array(SIZE).fill(value / 2), SHAPE)
    return tf.add(half, half)
  })
const allEqual = (v: ArrayLike<number>, value: number): boolean =>
  Array.prototype.every.call(v, (x: number) => x === value)

describe.skipIf(!nativeKernelStatus().active)('cpu output buffer pool', () => {
  beforeAll(async () => {
    await initBackend('cpu')
    releaseCpuBufferPool()
  })
  afterAll(() => releaseCpuBufferPool())

  it('recycles a disposed output into the next output of the same size', () => {
    const a = filled(1)
    const before = cpuBufferPoolFreeBytes()
    a.dispose()
    expect(cpuBufferPoolFreeBytes()).toBe(before + SIZE * 4)
    const b = filled(2)
    expect(cpuBufferPoolFreeBytes()).toBe(before)
    expect(allEqual(b.dataSync(), 2)).toBe(true)
    b.dispose()
  })

  it('never recycles an array that dataSync() handed out', () => {
    const a = filled(3)
    const held = a.dataSync()
    const before = cpuBufferPoolFreeBytes()
    a.dispose()
    expect(cpuBufferPoolFreeBytes()).toBe(before)
    const b = filled(4)
    expect(allEqual(held, 3)).toBe(true)
    b.dispose()
  })

  it('keeps memory that a reshape or a contiguous slice still views', () => {
    const a = filled(5)
    const reshaped = tf.reshape(a, [SIZE])
    const sliced = tf.slice(a, [1], [2])
    a.dispose()
    const others = [filled(6), filled(7)]
    expect(cpuBufferPoolFreeBytes()).toBe(0)
    reshaped.dispose()
    const more = filled(8)
    // The slice (a subarray of a's memory) still holds it, so the new output is fresh memory.
    expect(allEqual(sliced.dataSync(), 5)).toBe(true)
    sliced.dispose()
    tf.dispose([...others, more])
  })

  it('stays flat across repeated steps: outputs come back and go out again', () => {
    releaseCpuBufferPool()
    const step = () => tf.tidy(() => tf.sum(tf.mul(filled(1), filled(2))))
    step().dispose()
    const settled = cpuBufferPoolFreeBytes()
    const tensors = tf.memory().numTensors
    for (let i = 0; i < 20; i++) step().dispose()
    expect(cpuBufferPoolFreeBytes()).toBe(settled)
    expect(settled).toBeGreaterThan(0)
    expect(tf.memory().numTensors).toBe(tensors)
  })
})
