import { beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import { softmaxCrossEntropy } from '../../../../src/main/engine/ops/crossEntropy'
import { expectGradientMatchesFiniteDifferences, expectNonTrivial } from './finiteDifference'

/**
 * The orthogonal-training penalty (thesis Alg. 7, SPEC §2.4) on a small CNN with every layer
 * kind of the `cnn`-style models: conv s1 + relu, conv s2 + relu, maxPool 2x2, dense, softmax
 * CE. Its gradient w.r.t. the weights is second order (double backprop) and must match
 * finite differences.
 */
interface Params {
  c1: tf.Tensor4D
  c2: tf.Tensor4D
  d: tf.Tensor2D
  b: tf.Tensor1D
}

function model(p: Params, x: tf.Tensor4D): tf.Tensor2D {
  const h1 = tf.relu(tf.conv2d(x, p.c1, 1, 'same'))
  const h2 = tf.relu(tf.conv2d(h1, p.c2, 2, 'same'))
  const pooled = tf.maxPool(h2, 2, 2, 'valid')
  const flat = tf.reshape(pooled, [x.shape[0], -1]) as tf.Tensor2D
  return tf.add(tf.matMul(flat, p.d), p.b)
}

/** lambda * mean_i cos(g1_i, grad_x CE(M(x_i), y_i)). */
function penalty(
  p: Params,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  g1: tf.Tensor4D,
  lambda: number
): tf.Scalar {
  const g2 = tf.grad((xx: tf.Tensor) =>
    tf.sum(softmaxCrossEntropy(model(p, xx as tf.Tensor4D), y, 'none'))
  )(x)
  const b = x.shape[0]
  const a2 = tf.reshape(g1, [b, -1])
  const b2 = tf.reshape(g2, [b, -1])
  const cos = tf.div(tf.sum(tf.mul(a2, b2), 1), tf.mul(tf.norm(a2, 2, 1), tf.norm(b2, 2, 1)))
  return tf.mul(lambda, tf.mean(cos)) as tf.Scalar
}

describe('double backprop through a small CNN', () => {
  let p: Params
  let x: tf.Tensor4D
  let y: tf.Tensor1D
  let g1: tf.Tensor4D

  beforeAll(async () => {
    await initBackend('cpu')
    p = {
      c1: tf.randomNormal([3, 3, 1, 3], 0, 0.5, 'float32', 1) as tf.Tensor4D,
      c2: tf.randomNormal([3, 3, 3, 4], 0, 0.4, 'float32', 2) as tf.Tensor4D,
      d: tf.randomNormal([16, 3], 0, 0.4, 'float32', 3) as tf.Tensor2D,
      b: tf.randomNormal([3], 0, 0.1, 'float32', 4) as tf.Tensor1D
    }
    x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 5) as tf.Tensor4D
    y = tf.tensor1d([0, 2], 'int32')
    g1 = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 6) as tf.Tensor4D
  })

  for (const name of ['c1', 'c2', 'd'] as const) {
    it(`penalty gradient w.r.t. ${name} matches finite differences`, () => {
      const before = tf.memory().numTensors
      const f = (w: tf.Tensor): tf.Scalar => penalty({ ...p, [name]: w }, x, y, g1, 2)
      const { analytic } = expectGradientMatchesFiniteDifferences(f, p[name], {
        count: 5,
        eps: 1e-3,
        rtol: 3e-2,
        atol: 1e-3
      })
      expectNonTrivial(analytic)
      expect(tf.memory().numTensors).toBe(before)
    })
  }

  it('the full objective CE + lambda * penalty differentiates inside optimizer.minimize', () => {
    const vars = {
      c1: tf.variable(p.c1),
      c2: tf.variable(p.c2),
      d: tf.variable(p.d),
      b: tf.variable(p.b)
    }
    const before = tf.memory().numTensors
    const opt = tf.train.sgd(0.1)
    const loss = opt.minimize(() => {
      const params = vars as unknown as Params
      const ce = softmaxCrossEntropy(model(params, x), y, 'mean')
      return tf.add(ce, penalty(params, x, y, g1, 1)) as tf.Scalar
    }, true)
    expect(Number.isFinite(loss!.dataSync()[0])).toBe(true)
    loss!.dispose()
    opt.dispose()
    expect(tf.memory().numTensors).toBe(before)
    Object.values(vars).forEach((v) => v.dispose())
  })
})
