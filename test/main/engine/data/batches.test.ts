import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/main/engine/backend'
import { labelsTensor, toFloatBatch } from '../../../../src/main/engine/data/batches'
import { tf } from '../../../../src/main/engine/tf'

const ds = { height: 2, width: 1, channels: 2 }
const split = {
  images: Uint8Array.from([0, 255, 51, 102, 1, 2, 3, 4, 204, 153, 17, 34]),
  labels: Uint8Array.from([3, 1, 7]),
  count: 3
}

describe('batches', () => {
  beforeAll(async () => {
    await initBackend('cpu')
  })

  it('turns the chosen uint8 images into NHWC float32 in [0, 1]', () => {
    const before = tf.memory().numTensors
    const batch = toFloatBatch(split, [2, 0], ds)
    expect(batch.shape).toEqual([2, 2, 1, 2])
    expect(batch.dtype).toBe('float32')
    const values = Array.from(batch.dataSync())
    const expected = [204, 153, 17, 34, 0, 255, 51, 102].map((v) => v / 255)
    values.forEach((v, i) => expect(v).toBeCloseTo(expected[i] as number, 6))
    expect(Math.min(...values)).toBe(0)
    expect(Math.max(...values)).toBe(1)
    batch.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })

  it('gives int32 labels in the same order and rejects out-of-range indices', () => {
    const labels = labelsTensor(split, [2, 0, 1])
    expect(labels.dtype).toBe('int32')
    expect(Array.from(labels.dataSync())).toEqual([7, 3, 1])
    labels.dispose()
    expect(() => toFloatBatch(split, [3], ds)).toThrow(RangeError)
    expect(() => labelsTensor(split, [-1])).toThrow(RangeError)
  })
})
