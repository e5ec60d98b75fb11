import { beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import { runAttack } from '../../../../src/main/engine/attacks'
import { linearClassifier, maxAbsDiff, seededImages, seededValues } from './models'

beforeAll(async () => {
  await initBackend('cpu')
})

describe('FGSM', () => {
  const shape: [number, number, number] = [4, 4, 2]
  const d = 32

  it('equals the analytic clip(x + ε·sign(W_other − W_true)) on a 2-class linear model', async () => {
    const w = seededValues(d * 2, 11)
    const model = linearClassifier(shape, w, new Float32Array([0.1, -0.2]))
    // Some pixels sit at 0 and 1 so clipping matters.
    const xData = seededImages(3, shape, 5).dataSync().slice()
    xData[0] = 0
    xData[1] = 1
    xData[40] = 0
    xData[41] = 1
    const x = tf.tensor4d(xData, [3, ...shape])
    const labels = tf.tensor1d([0, 1, 0], 'int32')
    const eps = 0.05
    const adv = await runAttack('fgsm', model, x, labels, { epsilon: eps })
    const got = adv.dataSync()
    const truth = [0, 1, 0]
    for (let n = 0; n < 3; n++) {
      const t = truth[n]!
      const o = 1 - t
      for (let i = 0; i < d; i++) {
        const dir = Math.sign(w[i * 2 + o]! - w[i * 2 + t]!)
        const expected = Math.min(1, Math.max(0, xData[n * d + i]! + eps * dir))
        expect(got[n * d + i]).toBeCloseTo(expected, 6)
      }
    }
    tf.dispose([adv, x, labels])
  })

  it('stays in the ε-ball and [0, 1] and reaches |δ| = ε', async () => {
    const model = linearClassifier(shape, seededValues(d * 3, 3), new Float32Array(3))
    const x = seededImages(5, shape, 9, 0.2, 0.8)
    const labels = tf.tensor1d([0, 1, 2, 0, 1], 'int32')
    const eps = 0.04
    const adv = await runAttack('fgsm', model, x, labels, { epsilon: eps })
    expect(maxAbsDiff(adv, x)).toBeGreaterThan(eps - 1e-6)
    expect(maxAbsDiff(adv, x)).toBeLessThanOrEqual(eps + 1e-6)
    // Interior pixels with a nonzero gradient all move by exactly ε.
    const moved = tf.tidy(() => tf.min(tf.abs(tf.sub(adv, x))).dataSync()[0]!)
    expect(moved).toBeCloseTo(eps, 5)
    tf.dispose([adv, x, labels])
  })
})
