import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/main/engine/backend'
import { tf } from '../../../../src/main/engine/tf'
import type { Tensor3D } from '../../../../src/main/engine/tf'
import { gradCam } from '../../../../src/main/engine/saliency/gradcam'
import { cameras } from '../../../../src/main/engine/saliency/cameras'
import {
  normalisedArea,
  orderPixels,
  pixelAblationEffects,
  probabilityCurve,
  sanityScore
} from '../../../../src/main/engine/saliency/sanity'
import { RegionModel, randomImages } from './toyModels'

beforeAll(async () => {
  await initBackend('cpu')
})

describe('sanity score', () => {
  it('helpers: trapezoid area normalised by span, stable ordering', () => {
    expect(normalisedArea([0, 0.5, 1], [1, 0, 0])).toBeCloseTo(0.25, 12)
    expect(normalisedArea([0, 1], [0.3, 0.3])).toBeCloseTo(0.3, 12)
    expect(Array.from(orderPixels([0.2, 0.9, 0.2, 0.5]))).toEqual([1, 3, 0, 2])
    expect(Array.from(orderPixels([0.2, 0.9, 0.2, 0.5], false))).toEqual([0, 2, 3, 1])
  })

  it('the curve replaces the most salient pixels first by the baseline', async () => {
    const model = new RegionModel()
    const x = randomImages(1, 16, 4)
    const order = orderPixels(Float32Array.from({ length: 256 }, (_, i) => -i))
    const curve = await probabilityCurve(model, x, order, 0, { fractions: [0, 1] })
    const p0 = tf.tidy(() => tf.softmax(model.predictLogits(x)).dataSync()[0]!)
    expect(curve[0]).toBeCloseTo(p0, 6)
    // Everything black: logits [0, 0.5, 0].
    expect(curve[1]).toBeCloseTo(1 / (2 + Math.exp(0.5)), 6)
    x.dispose()
  })

  it('ideal ordering scores 0, the worst 1, random clearly worse than a good map', async () => {
    const model = new RegionModel()
    const x = randomImages(1, 16, 6)
    const effects = await pixelAblationEffects(model, x, 0)
    // Only the top-left quadrant (plus the conv's 1-pixel halo) can matter.
    let outside = 0
    for (let i = 0; i < 16; i++)
      for (let j = 0; j < 16; j++) if (i > 8 || j > 8) outside += Math.abs(effects[i * 16 + j]!)
    expect(outside).toBe(0)

    const ideal = await sanityScore(model, x, effects)
    expect(ideal.score).toBe(0)
    expect(ideal.curve).toEqual(ideal.idealCurve)
    expect(ideal.classIndex).toBe(0)
    expect(ideal.fractions).toHaveLength(21)
    expect(ideal.aucWorst).toBeGreaterThan(ideal.aucIdeal + 0.1)

    const worst = await sanityScore(
      model,
      x,
      effects.map((v) => -v)
    )
    expect(worst.score).toBe(1)

    const randomMap = tf.randomUniform([16, 16], 0, 1, 'float32', 123)
    const random = await sanityScore(model, x, randomMap)
    expect(random.score).toBeGreaterThan(0.3)

    const gc = gradCam(model, x)
    const cam = cameras(model, x)
    const good = await sanityScore(model, x, gc)
    const camScore = await sanityScore(model, x, cam)
    expect(good.score).toBeLessThan(random.score - 0.2)
    expect(camScore.score).toBeLessThan(random.score - 0.2)
    // Curves fall: removing the salient region first drops the class probability.
    expect(good.curve[good.curve.length - 1]!).toBeLessThan(good.curve[0]!)
    tf.dispose([x, randomMap, gc, cam])
  })

  it('supports the image-mean baseline and patch ablation, without leaking tensors', async () => {
    const model = new RegionModel()
    const x = randomImages(1, 16, 8)
    await sanityScore(model, x, new Float32Array(256), { baseline: 'mean', idealPatch: 2 })
    const single = x.squeeze([0]) as Tensor3D
    const before = tf.memory().numTensors
    const r = await sanityScore(model, single, new Float32Array(256).fill(1), {
      baseline: 'mean',
      idealPatch: 2,
      fractions: [0, 0.5, 1]
    })
    expect(tf.memory().numTensors).toBe(before)
    // Every pixel replaced by the per-channel mean: a flat image.
    const flat = tf.tidy(
      () => tf.softmax(model.predictLogits(tf.onesLike(x).mul(x.mean()))).dataSync()[0]!
    )
    expect(r.curve[2]).toBeCloseTo(flat, 5)
    expect(r.score).toBeGreaterThanOrEqual(0)
    expect(r.score).toBeLessThanOrEqual(1)
    await expect(sanityScore(model, x, new Float32Array(10))).rejects.toThrow(/10 values/)
    tf.dispose([x, single])
  })
})
