import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/main/engine/backend'
import { tf } from '../../../../src/main/engine/tf'
import type { Tensor4D } from '../../../../src/main/engine/tf'
import {
  cubicMatrix,
  keysKernel,
  resizeBicubic
} from '../../../../src/main/engine/saliency/bicubic'

beforeAll(async () => {
  await initBackend('cpu')
})

describe('bicubic resize (Keys a = -0.5)', () => {
  it('has the Keys kernel values', () => {
    expect(keysKernel(0)).toBe(1)
    expect(keysKernel(1)).toBeCloseTo(0, 12)
    expect(keysKernel(0.25)).toBeCloseTo(0.8671875, 10)
    expect(keysKernel(1.5)).toBeCloseTo(-0.0625, 10)
    expect(keysKernel(2.5)).toBe(0)
  })

  it('interpolation rows sum to 1 (constants preserved)', () => {
    const m = cubicMatrix(7, 19)
    for (let o = 0; o < 19; o++) {
      let s = 0
      for (let i = 0; i < 7; i++) s += m[o * 7 + i]!
      expect(s).toBeCloseTo(1, 6)
    }
  })

  it('gives the hand-computed value next to an impulse and overshoots (unclipped)', () => {
    const x = tf.tensor4d([0, 0, 1, 0, 0], [1, 1, 5, 1])
    const out = resizeBicubic(x, [1, 10], false).dataSync()
    // out[4] samples src 1.75: the impulse at 2 is 0.25 away -> W(0.25) = 0.8671875.
    expect(out[4]).toBeCloseTo(0.8671875, 6)
    // Negative lobe next to the impulse (bilinear would never go below 0).
    expect(Math.min(...out)).toBeLessThan(-0.01)
    const clipped = resizeBicubic(x, [1, 10]).dataSync()
    expect(Math.min(...clipped)).toBe(0)
    tf.dispose([x])
  })

  it('reproduces a linear ramp in the interior and is the identity at the same size', () => {
    const ramp = tf.tensor4d(
      Array.from({ length: 8 }, (_, j) => j / 10),
      [1, 1, 8, 1]
    )
    const out = resizeBicubic(ramp, [1, 16], false).dataSync()
    for (let o = 3; o <= 12; o++) expect(out[o]).toBeCloseTo(((o + 0.5) / 2 - 0.5) / 10, 5)
    const img = tf.randomUniform([2, 5, 6, 3], 0, 1, 'float32', 3) as Tensor4D
    const same = resizeBicubic(img, [5, 6])
    expect(tf.max(tf.abs(tf.sub(same, img))).dataSync()[0]).toBeLessThan(1e-6)
    tf.dispose([ramp, img, same])
  })

  it('resizes height and width independently and keeps the batch and channels apart', () => {
    const a = tf.fill([1, 4, 4, 1], 0.2)
    const b = tf.fill([1, 4, 4, 1], 0.7)
    const x = tf.concat([tf.concat([a, b], 3), tf.concat([b, a], 3)], 0) as Tensor4D
    const out = resizeBicubic(x, [9, 6])
    expect(out.shape).toEqual([2, 9, 6, 2])
    const v = out.arraySync() as number[][][][]
    expect(v[0]![8]![5]![0]).toBeCloseTo(0.2, 5)
    expect(v[0]![0]![0]![1]).toBeCloseTo(0.7, 5)
    expect(v[1]![4]![3]![0]).toBeCloseTo(0.7, 5)
    tf.dispose([a, b, x, out])
  })
})
