import { beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import {
  logSoftmax,
  logSumExp,
  softmaxCrossEntropy
} from '../../../../src/main/engine/ops/crossEntropy'
import {
  directionalInputGradient,
  expectGradientMatchesFiniteDifferences,
  expectNonTrivial
} from '../gradients/finiteDifference'

describe('softmaxCrossEntropy', () => {
  beforeAll(async () => {
    await initBackend('cpu')
  })

  it('equals -log softmax at the label, per example and mean', () => {
    const logits = tf.tensor2d([
      [1, 2, 3],
      [0, -1, 5]
    ])
    const labels = tf.tensor1d([2, 0], 'int32')
    const expected = [
      -Math.log(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3))),
      -Math.log(1 / (1 + Math.exp(-1) + Math.exp(5)))
    ]
    const none = Array.from(softmaxCrossEntropy(logits, labels, 'none').dataSync())
    none.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5))
    expect(softmaxCrossEntropy(logits, labels, 'mean').dataSync()[0]).toBeCloseTo(
      (expected[0]! + expected[1]!) / 2,
      5
    )
  })

  it('is stable for huge logits (max shift) and logSoftmax rows sum to 1 in probability', () => {
    const logits = tf.tensor2d([[1000, 0, -1000]])
    expect(logSumExp(logits).dataSync()[0]).toBeCloseTo(1000, 3)
    expect(
      softmaxCrossEntropy(logits, tf.tensor1d([1], 'int32'), 'none').dataSync()[0]
    ).toBeCloseTo(1000, 3)
    const p = tf.sum(tf.exp(logSoftmax(tf.tensor2d([[0.3, -2, 4]])))).dataSync()[0]
    expect(p).toBeCloseTo(1, 5)
  })

  it('first-order gradient is softmax - onehot (as the stock loss)', () => {
    const logits = tf.randomNormal([4, 5], 0, 2, 'float32', 1) as tf.Tensor2D
    const labels = tf.tensor1d([0, 3, 4, 1], 'int32')
    const ours = tf.grad((l: tf.Tensor) => softmaxCrossEntropy(l as tf.Tensor2D, labels, 'mean'))(
      logits
    )
    const expected = tf.div(tf.sub(tf.softmax(logits), tf.oneHot(labels, 5)), 4)
    expect(tf.max(tf.abs(tf.sub(ours, expected))).dataSync()[0]).toBeLessThan(1e-6)
  })

  it('keeps float32 precision on confident examples (1 - p_y down to 1e-12), loss and gradient', () => {
    // Margins 8 … 30 between the label's logit and the others: 1 - p_y from 3e-3 to 1e-12.
    const rows = [8, 14, 20, 30].map((m) => [m, 0.5, -1, 0.25])
    const logits = tf.tensor2d(rows)
    const labels = tf.tensor1d([0, 0, 0, 0], 'int32')
    const loss = softmaxCrossEntropy(logits, labels, 'none').dataSync()
    const grad = tf
      .grad((l: tf.Tensor) => softmaxCrossEntropy(l as tf.Tensor2D, labels, 'none'))(logits)
      .dataSync()
    rows.forEach((z, r) => {
      // float64: CE = log1p(Σ_{i≠y} e^{z_i - z_y}); ∂/∂z_i = p_i, ∂/∂z_y = -Σ_{i≠y} p_i.
      const e = z.map((v) => Math.exp(v - z[0]!))
      const rest = e.slice(1).reduce((a, b) => a + b, 0)
      expect(Math.abs(loss[r]! - Math.log1p(rest)) / Math.log1p(rest)).toBeLessThan(1e-6)
      const p = e.map((v) => v / (1 + rest))
      expect(Math.abs(grad[r * 4]! + rest / (1 + rest)) / (rest / (1 + rest))).toBeLessThan(1e-6)
      for (let i = 1; i < 4; i++)
        expect(Math.abs(grad[r * 4 + i]! - p[i]!) / p[i]!).toBeLessThan(1e-6)
    })
    // softmax - onehot in float32 loses them: at margin 20 its label entry is off by > 50 %.
    const naive = tf.sub(tf.softmax(logits), tf.oneHot(labels, 4)).dataSync()
    const e20 = [20, 0.5, -1, 0.25].map((v) => Math.exp(v - 20))
    const rest20 = e20.slice(1).reduce((a, b) => a + b, 0)
    expect(Math.abs(naive[8]! + rest20 / (1 + rest20)) / (rest20 / (1 + rest20))).toBeGreaterThan(
      0.5
    )
  })

  it('does not overflow when the label logit is far below the others', () => {
    const logits = tf.tensor2d([[-500, 300, 0]])
    const labels = tf.tensor1d([0], 'int32')
    expect(softmaxCrossEntropy(logits, labels, 'none').dataSync()[0]).toBeCloseTo(800, 3)
    const g = tf
      .grad((l: tf.Tensor) => softmaxCrossEntropy(l as tf.Tensor2D, labels, 'none'))(logits)
      .dataSync()
    expect(Array.from(g).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([-1, 1, 0])
  })

  it('second order: d/dW [v . grad_x CE(xW, y)] matches finite differences', () => {
    const x = tf.randomNormal([3, 4], 0, 1, 'float32', 2)
    const w = tf.randomNormal([4, 5], 0, 1, 'float32', 3)
    const v = tf.randomNormal([3, 4], 0, 1, 'float32', 4)
    const labels = tf.tensor1d([1, 0, 4], 'int32')
    const f = (xx: tf.Tensor, ww: tf.Tensor): tf.Scalar =>
      softmaxCrossEntropy(
        tf.matMul(xx as tf.Tensor2D, ww as tf.Tensor2D),
        labels,
        'mean'
      ) as tf.Scalar
    const { analytic } = expectGradientMatchesFiniteDifferences(
      directionalInputGradient(f, x, v),
      w,
      {
        count: 6
      }
    )
    expectNonTrivial(analytic)
  })
})
