import { describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import type { Tensor1D, Tensor2D, Tensor4D } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import { runAttack } from '../../../../src/main/engine/attacks'
import { classifierLoss } from '../../../../src/main/engine/attacks/loss'
import { ensembleClassifier } from '../../../../src/main/engine/attacks/ensemble'
import { defendedClassifier } from '../../../../src/main/engine/attacks/bpda'
import { eotClassifier, type RandomizedTransform } from '../../../../src/main/engine/attacks/eot'
import { keepFirstSuccess, replaceRows } from '../../../../src/main/engine/attacks/restarts'
import { applyDefense } from '../../../../src/main/engine/defenses'
import { createRng } from '../../../../src/main/engine/attacks/random'
import type { Classifier } from '../../../../src/main/engine/models/types'
import { maxAbsDiff, mlpClassifier, seededImages } from './models'

await initBackend('cpu')

const shape: [number, number, number] = [4, 4, 2]
const gradOf = (model: Classifier, x: Tensor4D, y: Tensor1D) =>
  tf.grad((xa) => classifierLoss(model, xa as Tensor4D, y))(x) as Tensor4D
const ceGrad = (model: Classifier, x: Tensor4D, y: Tensor1D) =>
  tf.grad((xa) =>
    tf.losses.softmaxCrossEntropy(
      tf.oneHot(y, model.numClasses),
      model.predictLogits(xa as Tensor4D),
      undefined,
      0,
      tf.Reduction.SUM
    )
  )(x) as Tensor4D
const predicted = (m: Classifier, x: Tensor4D) =>
  tf.tidy(() => Array.from(tf.argMax(m.predictLogits(x), 1).dataSync()))

describe('ensemble transfer', () => {
  it('ascends the mean of the members’ losses', () => {
    const a = mlpClassifier(shape, 8, 3, 1, 'a')
    const b = mlpClassifier(shape, 8, 3, 2, 'b')
    const x = seededImages(3, shape, 3)
    const y = tf.tensor1d([0, 1, 2], 'int32')
    const got = gradOf(ensembleClassifier([a, b]), x, y)
    const want = tf.div(tf.add(ceGrad(a, x, y), ceGrad(b, x, y)), 2)
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-6)
    // Its predictions use the mean logits.
    const mean = tf.div(tf.add(a.predictLogits(x), b.predictLogits(x)), 2)
    expect(maxAbsDiff(ensembleClassifier([a, b]).predictLogits(x), mean)).toBeLessThan(1e-6)
  })

  it('refuses members that do not fit together', () => {
    expect(() => ensembleClassifier([])).toThrow(/at least one/)
    expect(() =>
      ensembleClassifier([mlpClassifier(shape, 4, 3, 1, 'a'), mlpClassifier(shape, 4, 5, 1, 'b')])
    ).toThrow(/share input shape and classes/)
  })

  it('runs through every gradient attack unchanged', async () => {
    const members = [mlpClassifier(shape, 8, 3, 1), mlpClassifier(shape, 8, 3, 2)]
    const x = seededImages(4, shape, 4)
    const y = tf.tensor1d([0, 1, 2, 0], 'int32')
    for (const id of ['pgd', 'apgd-ce']) {
      const adv = await runAttack(id, ensembleClassifier(members), x, y, {
        epsilon: 0.05,
        steps: 5
      })
      expect(maxAbsDiff(adv, x), id).toBeLessThanOrEqual(0.05 + 1e-6)
      expect(maxAbsDiff(adv, x), id).toBeGreaterThan(0)
      adv.dispose()
    }
  })
})

describe('BPDA through an input-transformation defense', () => {
  const model = mlpClassifier(shape, 16, 3, 8)

  it('predicts through the real defense and differentiates as the identity', () => {
    const defended = defendedClassifier(model, 'bitDepth', 2)
    const x = seededImages(3, shape, 5)
    const y = tf.tensor1d([0, 1, 2], 'int32')
    const squeezed = applyDefense('bitDepth', x, 2)
    expect(maxAbsDiff(defended.predictLogits(x), model.predictLogits(squeezed))).toBe(0)
    // ∇ₓ L(f(g(x))) with ∂g/∂x = I is ∇ᵤ L(f(u)) at u = g(x).
    expect(maxAbsDiff(gradOf(defended, x, y), gradOf(model, squeezed, y))).toBeLessThan(1e-6)
    expect(() => defendedClassifier(model, 'bitDepth', 12)).toThrow(
      /"depth" must be an integer in \[1, 8\]/
    )
    expect(() => defendedClassifier(model, 'nope', 1)).toThrow(/Unknown defense "nope"/)
  })

  it('defeats the masking a rounding defense causes (PGD without BPDA barely moves)', async () => {
    const x = seededImages(12, shape, 6)
    const labels = predicted(model, x)
    const y = tf.tensor1d(labels, 'int32')
    // The defended model without BPDA: tf.round's gradient is zero, so PGD has nothing to follow.
    const masked: Classifier = {
      ...model,
      predictLogits: (xa: Tensor4D) =>
        tf.tidy(
          () => model.predictLogits(tf.div(tf.round(tf.mul(xa, 3)), 3) as Tensor4D) as Tensor2D
        )
    }
    expect(tf.tidy(() => tf.max(tf.abs(gradOf(masked, x, y))).dataSync()[0])).toBe(0)
    const bpda = defendedClassifier(model, 'bitDepth', 2)
    const truth = predicted(bpda, x)
    const yDefended = tf.tensor1d(truth, 'int32')
    const fooled = async (attacked: Classifier) => {
      const adv = await runAttack('pgd', attacked, x, yDefended, {
        epsilon: 0.15,
        steps: 20,
        seed: 1
      })
      const n = predicted(bpda, adv).filter((p, i) => p !== truth[i]).length
      adv.dispose()
      return n
    }
    const withMask = await fooled(masked)
    const withBpda = await fooled(bpda)
    expect(withBpda).toBeGreaterThan(withMask)
    expect(withBpda).toBeGreaterThanOrEqual(6)
  })
})

describe('EOT over a randomised defense', () => {
  it('averages the gradient over the draws', () => {
    const model = mlpClassifier(shape, 8, 3, 9)
    // A random brightness scale in {0.5, 1.5}, differentiable, so each draw's gradient is exact.
    const scale: RandomizedTransform = {
      id: 'scale',
      name: 'random scale',
      paper: 'https://arxiv.org/abs/1707.07397',
      apply: (x, rng) => tf.mul(x, rng() < 0.5 ? 0.5 : 1.5) as Tensor4D
    }
    const x = seededImages(2, shape, 10)
    const y = tf.tensor1d([1, 2], 'int32')
    const draws = 6
    const got = gradOf(eotClassifier(model, scale, draws, 42), x, y)
    // Replay the draws: the same stream gives the same scales.
    const rng = createRng(42)
    const parts = Array.from({ length: draws }, () => {
      const s = rng() < 0.5 ? 0.5 : 1.5
      return tf.mul(ceGrad(model, tf.mul(x, s) as Tensor4D, y), s)
    })
    const scales = new Set<number>()
    const replay = createRng(42)
    for (let i = 0; i < draws; i++) scales.add(replay() < 0.5 ? 0.5 : 1.5)
    expect(scales.size).toBe(2) // both draws occur, so the mean is not one draw's gradient
    expect(maxAbsDiff(got, tf.div(tf.addN(parts), draws) as Tensor4D)).toBeLessThan(1e-6)
    expect(() => eotClassifier(model, scale, 0)).toThrow(
      /"draws" must be an integer in \[1, 1000\]/
    )
  })
})

describe('restarts', () => {
  it('replaceRows swaps exactly the named rows', () => {
    const base = tf.tensor4d([0, 1, 2, 3], [4, 1, 1, 1])
    const updates = tf.tensor4d([10, 30], [2, 1, 1, 1])
    expect(Array.from(replaceRows(base, updates, [0, 3]).dataSync())).toEqual([10, 1, 2, 30])
  })

  it('reruns only the images no earlier run fooled', async () => {
    const model = mlpClassifier(shape, 8, 3, 11)
    const x = seededImages(6, shape, 12)
    const labels = predicted(model, x)
    const y = tf.tensor1d(labels, 'int32')
    const seen: number[][] = []
    const before = tf.memory().numTensors
    const outcome = await keepFirstSuccess(model, x, y, 4, async (xs, ys, r, positions) => {
      seen.push(positions)
      return runAttack('pgd', model, xs, ys, { epsilon: 0.03, steps: 3, seed: r })
    })
    expect(seen[0]).toEqual([0, 1, 2, 3, 4, 5])
    expect(seen.length).toBeGreaterThan(1)
    for (let r = 1; r < seen.length; r++) {
      for (const p of seen[r]!) expect(seen[r - 1]).toContain(p)
      expect(seen[r]!.length).toBeLessThan(6)
    }
    expect(tf.memory().numTensors).toBe(before + 1) // only the result
    const final = predicted(model, outcome.adversarial)
    outcome.fooled.forEach((f, i) => expect(final[i] !== labels[i]).toBe(f))
    outcome.adversarial.dispose()
  })
})
