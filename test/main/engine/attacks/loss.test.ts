import { beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import type { Tensor1D, Tensor2D } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import { dlrLoss, marginLoss } from '../../../../src/main/engine/attacks/loss'

beforeAll(async () => {
  await initBackend('cpu')
})

const values = (t: tf.Tensor) => Array.from(t.dataSync())

describe('DLR loss (Croce & Hein 2020, Eq. 6)', () => {
  it('has the hand-computed values', () => {
    const logits = tf.tensor2d([
      [3, 1, 0, -1], // y = 0 correct: −(3 − 1)/(3 − 0) = −2/3
      [3, 1, 0, -1], // y = 2 wrong: −(0 − 3)/(3 − 0) = 1
      [0.5, 2, 2, -4], // tie at the top, y = 1: −(2 − 2)/(2 − 0.5) = 0
      [10, 0, 0, 0] // y = 3: −(0 − 10)/(10 − 0) = 1
    ])
    const labels = tf.tensor1d([0, 2, 1, 3], 'int32')
    const got = values(dlrLoss(logits, labels))
    const want = [-2 / 3, 1, 0, 1]
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6))
  })

  it('is invariant to shifting and scaling the logits', () => {
    const logits = tf.tensor2d([[0.3, -1.2, 2.5, 0.9, -0.1]])
    const labels = tf.tensor1d([3], 'int32')
    const base = values(dlrLoss(logits, labels))[0]!
    const moved = values(dlrLoss(tf.add(tf.mul(logits, 7), 100) as Tensor2D, labels))[0]!
    expect(moved).toBeCloseTo(base, 5)
  })

  it('has the hand-computed gradient (z = [3, 1, 0, −1], y = 0)', () => {
    // L = −(z0 − z1)/(z0 − z2): ∂/∂z0 = −(z1 − z2)/(z0 − z2)² = −1/9, ∂/∂z1 = 1/(z0 − z2) = 1/3,
    // ∂/∂z2 = −(z0 − z1)/(z0 − z2)² = −2/9, ∂/∂z3 = 0.
    const labels = tf.tensor1d([0], 'int32')
    const g = tf.grad((z) => tf.sum(dlrLoss(z as Tensor2D, labels as Tensor1D)))(
      tf.tensor2d([[3, 1, 0, -1]])
    )
    const want = [-1 / 9, 1 / 3, -2 / 9, 0]
    values(g).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6))
  })

  it('refuses fewer than three classes', () => {
    expect(() => dlrLoss(tf.tensor2d([[1, 2]]), tf.tensor1d([0], 'int32'))).toThrow(
      /at least 3 classes/
    )
  })
})

describe('margin loss', () => {
  it('is z_y − max_{i≠y} z_i: positive when right, ≤ 0 when fooled', () => {
    const logits = tf.tensor2d([
      [3, 1, 0],
      [3, 1, 0],
      [2, 2, 0]
    ])
    expect(values(marginLoss(logits, tf.tensor1d([0, 1, 1], 'int32')))).toEqual([2, -2, 0])
  })
})
