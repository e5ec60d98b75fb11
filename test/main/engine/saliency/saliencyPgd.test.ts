import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/main/engine/backend'
import { tf } from '../../../../src/main/engine/tf'
import type { Tensor3D } from '../../../../src/main/engine/tf'
import {
  compareSaliencyPgd,
  pgdReport,
  saliencyPgd,
  weightedPgd
} from '../../../../src/main/engine/saliency/saliencyPgd'
import { RegionModel, quadrantMass, randomImages } from './toyModels'

beforeAll(async () => {
  await initBackend('cpu')
})

const EPS = 12 / 255

describe('saliency-enhanced PGD', () => {
  it('stays in the ε-ball and [0, 1] and concentrates the perturbation where the model looks', () => {
    const model = new RegionModel()
    const x = randomImages(2, 16, 3)
    const { adversarial, saliency, method } = saliencyPgd(model, x, {
      epsilon: EPS,
      steps: 8,
      seed: 1
    })
    expect(method).toBe('cameras')
    const d = tf.sub(adversarial, x)
    expect(tf.max(tf.abs(d)).dataSync()[0]).toBeLessThanOrEqual(EPS + 1e-6)
    expect(tf.min(adversarial).dataSync()[0]).toBeGreaterThanOrEqual(0)
    expect(tf.max(adversarial).dataSync()[0]).toBeLessThanOrEqual(1)
    const absD = tf.abs(d).dataSync()
    expect(quadrantMass(absD.slice(0, 256), 16, 16)).toBeGreaterThan(0.8)
    // Pixels with zero saliency never move (weight multiplies the signed step and the start).
    const s = saliency.dataSync()
    for (let i = 0; i < s.length; i++) if (s[i] === 0) expect(absD[i]).toBe(0)
    tf.dispose([x, adversarial, saliency, d])
  })

  it('lowers the class-0 probability like vanilla PGD does, with a smaller L2 norm at equal ε', async () => {
    const model = new RegionModel()
    const x = randomImages(3, 16, 4)
    for (const randomStart of [true, false]) {
      const cmp = await compareSaliencyPgd(model, x, {
        epsilon: EPS,
        steps: 10,
        randomStart,
        seed: 2
      })
      expect(cmp.labels).toEqual([0, 0, 0])
      for (let n = 0; n < 3; n++) {
        expect(cmp.enhanced.l2[n]!).toBeLessThan(cmp.vanilla.l2[n]!)
        expect(cmp.enhanced.l2[n]!).toBeGreaterThan(0)
        expect(cmp.vanilla.linf[n]!).toBeCloseTo(EPS, 4)
        expect(cmp.enhanced.linf[n]!).toBeLessThanOrEqual(EPS + 1e-6)
      }
    }
    // Fooling confidence grows with the attack: against clean images it is the runner-up probability.
    const clean = await pgdReport(model, x, x, [0, 0, 0])
    const cmp = await compareSaliencyPgd(model, x, { epsilon: EPS, randomStart: false })
    for (let n = 0; n < 3; n++) {
      expect(clean.l2[n]).toBe(0)
      expect(clean.fooled[n]).toBe(false)
      expect(cmp.enhanced.foolingConfidence[n]!).toBeGreaterThan(clean.foolingConfidence[n]!)
      expect(cmp.vanilla.foolingConfidence[n]!).toBeGreaterThan(clean.foolingConfidence[n]!)
    }
    x.dispose()
  })

  it('fools a weak model and uses Grad-CAM for fixed-size models; leaks no tensors', async () => {
    const model = new RegionModel({ gain: 4, anySize: false })
    const x = randomImages(2, 16, 5)
    const clean = await pgdReport(model, x, x, [0, 0])
    const before = tf.memory().numTensors
    const cmp = await compareSaliencyPgd(model, x, { epsilon: 0.3, steps: 10 })
    expect(tf.memory().numTensors).toBe(before)
    expect(cmp.method).toBe('gradcam')
    expect(cmp.vanilla.fooled).toEqual([true, true])
    expect(cmp.enhanced.fooled).toEqual([true, true])
    // Fooled means a wrong class now has the top probability, higher than its clean share.
    for (let n = 0; n < 2; n++) {
      expect(cmp.enhanced.foolingConfidence[n]!).toBeGreaterThan(clean.foolingConfidence[n]! + 0.03)
    }
    // A given all-ones map reproduces vanilla PGD exactly (same seed).
    const ones = tf.ones([2, 16, 16]) as Tensor3D
    const a = weightedPgd(model, x, { epsilon: 0.1, seed: 9 })
    const b = saliencyPgd(model, x, { epsilon: 0.1, seed: 9, saliency: ones })
    expect(tf.max(tf.abs(tf.sub(a, b.adversarial))).dataSync()[0]).toBe(0)
    tf.dispose([x, ones, a, b.adversarial, b.saliency])
  })
})
