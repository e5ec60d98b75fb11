import { beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import type { Tensor1D, Tensor4D } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import { runAttack } from '../../../../src/main/engine/attacks'
import { resizeNearest } from '../../../../src/main/engine/attacks/di2fgsm'
import type { Classifier } from '../../../../src/main/engine/models/types'
import { maxAbsDiff, mlpClassifier, seededImages } from './models'

beforeAll(async () => {
  await initBackend('cpu')
})

const shape: [number, number, number] = [4, 4, 3]

function setup(n = 4) {
  const model = mlpClassifier(shape, 16, 5, 21)
  const x = seededImages(n, shape, 2)
  const labels = tf.tensor1d(
    Array.from({ length: n }, (_, i) => i % 5),
    'int32'
  )
  return { model, x, labels }
}

/** Reference MI-FGSM written out step by step, with the per-sample L1 normalisation. */
function referenceMifgsm(
  model: Classifier,
  x: Tensor4D,
  labels: Tensor1D,
  eps: number,
  steps: number,
  mu: number
): Float32Array {
  const alpha = eps / steps
  const onehot = tf.oneHot(labels, model.numClasses)
  const lossGrad = tf.grad((xa) =>
    tf.losses.softmaxCrossEntropy(
      onehot,
      model.predictLogits(xa as Tensor4D),
      undefined,
      0,
      tf.Reduction.SUM
    )
  )
  let xa: Tensor4D = x.clone()
  let g = tf.zerosLike(x)
  for (let t = 0; t < steps; t++) {
    const grad = lossGrad(xa)
    const l1 = tf.sum(tf.abs(grad), [1, 2, 3], true)
    g = tf.add(tf.mul(g, mu), tf.div(grad, l1))
    const moved = tf.add(xa, tf.mul(tf.sign(g), alpha))
    xa = tf.clipByValue(
      tf.minimum(tf.maximum(moved, tf.sub(x, eps)), tf.add(x, eps)),
      0,
      1
    ) as Tensor4D
  }
  return xa.dataSync() as Float32Array
}

describe('iterative attacks', () => {
  it('I-FGSM with one step of size ε equals FGSM', async () => {
    const { model, x, labels } = setup()
    const a = await runAttack('fgsm', model, x, labels, { epsilon: 0.03 })
    const b = await runAttack('ifgsm', model, x, labels, {
      epsilon: 0.03,
      steps: 1,
      stepSize: 0.03
    })
    expect(maxAbsDiff(a, b)).toBe(0)
  })

  it('MI-FGSM with μ = 0 equals I-FGSM', async () => {
    const { model, x, labels } = setup()
    const a = await runAttack('ifgsm', model, x, labels, { epsilon: 0.05, steps: 6 })
    const b = await runAttack('mifgsm', model, x, labels, { epsilon: 0.05, steps: 6, decay: 0 })
    expect(maxAbsDiff(a, b)).toBe(0)
  })

  it('MI-FGSM matches a step-by-step reference with per-sample L1 normalisation', async () => {
    const { model, labels } = setup(3)
    // Very different gradient scales per sample: a batch-wide normalisation would differ.
    const x = tf.tidy(() =>
      tf.mul(seededImages(3, shape, 4), tf.tensor4d([1, 0.02, 0.5], [3, 1, 1, 1]))
    )
    const got = await runAttack('mifgsm', model, x as Tensor4D, labels, { epsilon: 0.06, steps: 8 })
    const want = referenceMifgsm(model, x as Tensor4D, labels, 0.06, 8, 1.0)
    const gotData = got.dataSync()
    let worst = 0
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(gotData[i]! - want[i]!))
    expect(worst).toBeLessThan(1e-5)
    // And momentum changes the result relative to I-FGSM on this nonlinear model.
    const plain = await runAttack('ifgsm', model, x as Tensor4D, labels, {
      epsilon: 0.06,
      steps: 8
    })
    expect(maxAbsDiff(plain, got)).toBeGreaterThan(0)
  })

  it('every iterative attack stays in its ε-ball and in [0, 1]', async () => {
    const { model, x, labels } = setup(6)
    for (const id of ['ifgsm', 'mifgsm', 'pgd', 'di2fgsm']) {
      const eps = 0.07
      const adv = await runAttack(id, model, x, labels, { epsilon: eps, steps: 5 })
      expect(maxAbsDiff(adv, x), id).toBeLessThanOrEqual(eps + 1e-6)
      expect(maxAbsDiff(adv, x), id).toBeGreaterThan(0)
      expect(tf.min(adv).dataSync()[0], id).toBeGreaterThanOrEqual(0)
      expect(tf.max(adv).dataSync()[0], id).toBeLessThanOrEqual(1)
    }
  })

  it('iterative attacks raise the loss more than nothing (they attack)', async () => {
    const { model, x, labels } = setup(6)
    const loss = (img: Tensor4D) =>
      tf.tidy(
        () =>
          tf.losses
            .softmaxCrossEntropy(tf.oneHot(labels, 5), model.predictLogits(img))
            .dataSync()[0]!
      )
    for (const id of ['fgsm', 'ifgsm', 'mifgsm', 'pgd', 'di2fgsm']) {
      const adv = await runAttack(id, model, x, labels, { epsilon: 0.05 })
      expect(loss(adv), id).toBeGreaterThan(loss(x))
    }
  })
})

describe('PGD', () => {
  it('is reproducible with the same seed and differs with another', async () => {
    const { model, x, labels } = setup()
    const a = await runAttack('pgd', model, x, labels, { epsilon: 0.05, seed: 7 })
    const b = await runAttack('pgd', model, x, labels, { epsilon: 0.05, seed: 7 })
    const c = await runAttack('pgd', model, x, labels, { epsilon: 0.05, seed: 8 })
    expect(maxAbsDiff(a, b)).toBe(0)
    expect(maxAbsDiff(a, c)).toBeGreaterThan(0)
  })

  it('starts at a uniform random point inside the ball (step size 0 keeps the start)', async () => {
    const { model, labels } = setup()
    const x = seededImages(4, shape, 12, 0.2, 0.8)
    const eps = 0.05
    const start = await runAttack('pgd', model, x, labels, { epsilon: eps, stepSize: 0, seed: 3 })
    const delta = tf.sub(start, x).dataSync()
    let min = Infinity
    let max = -Infinity
    let sum = 0
    for (const v of delta) {
      min = Math.min(min, v)
      max = Math.max(max, v)
      sum += v
    }
    expect(max).toBeLessThanOrEqual(eps + 1e-6)
    expect(min).toBeGreaterThanOrEqual(-eps - 1e-6)
    // Uniform on [−ε, ε]: spread over most of the interval, mean near 0.
    expect(max).toBeGreaterThan(0.8 * eps)
    expect(min).toBeLessThan(-0.8 * eps)
    expect(Math.abs(sum / delta.length)).toBeLessThan(0.15 * eps)
  })

  it('does not depend on the batch size', async () => {
    const { model, x, labels } = setup(5)
    const a = await runAttack('pgd', model, x, labels, { epsilon: 0.05, seed: 1, batchSize: 5 })
    const b = await runAttack('pgd', model, x, labels, { epsilon: 0.05, seed: 1, batchSize: 2 })
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-6)
  })
})

describe('DI²-FGSM', () => {
  it('resizes as tf.image.resizeNearestNeighbor does, with a finite gradient that sums each source pixel once', () => {
    const x = tf.randomUniform([2, 7, 6, 3], 0, 1, 'float32', 8) as Tensor4D
    for (const [h, w] of [
      [4, 3],
      [7, 6],
      [5, 5],
      [6, 4]
    ] as [number, number][]) {
      const ours = resizeNearest(x, h, w)
      const stock = tf.image.resizeNearestNeighbor(x, [h, w])
      expect(maxAbsDiff(ours, stock)).toBe(0)
      // d/dx sum(resize(x)) counts how often each input pixel is picked: 0 or 1 when shrinking
      // (tfjs's cpu ResizeNearestNeighborGrad returns NaN for some of them).
      const g = tf.grad((v) => tf.sum(resizeNearest(v as Tensor4D, h, w)))(x)
      const counts = Array.from(g.dataSync())
      expect(counts.every((k) => k === 0 || k === 1)).toBe(true)
      expect(counts.reduce((a, b) => a + b, 0)).toBe(2 * h * w * 3)
      tf.dispose([ours, stock, g])
    }
    x.dispose()
  })

  it('with p = 0 equals MI-FGSM / I-FGSM (no transform ever applied)', async () => {
    const { model, x, labels } = setup()
    const di = await runAttack('di2fgsm', model, x, labels, {
      epsilon: 0.05,
      diversityProb: 0,
      decay: 1
    })
    const mi = await runAttack('mifgsm', model, x, labels, { epsilon: 0.05, decay: 1 })
    expect(maxAbsDiff(di, mi)).toBe(0)
    const di0 = await runAttack('di2fgsm', model, x, labels, { epsilon: 0.05, diversityProb: 0 })
    const it0 = await runAttack('ifgsm', model, x, labels, { epsilon: 0.05 })
    expect(maxAbsDiff(di0, it0)).toBe(0)
  })

  it('with p = 1 is seeded, reproducible and differs from I-FGSM', async () => {
    const { model, x, labels } = setup()
    const cfg = { epsilon: 0.05, diversityProb: 1, resizeRate: 0.5, seed: 4 }
    const a = await runAttack('di2fgsm', model, x, labels, cfg)
    const b = await runAttack('di2fgsm', model, x, labels, cfg)
    const plain = await runAttack('ifgsm', model, x, labels, { epsilon: 0.05 })
    expect(maxAbsDiff(a, b)).toBe(0)
    expect(maxAbsDiff(a, plain)).toBeGreaterThan(0)
  })
})
