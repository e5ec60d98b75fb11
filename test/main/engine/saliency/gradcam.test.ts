import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/main/engine/backend'
import { tf } from '../../../../src/main/engine/tf'
import type { Tensor3D, Tensor4D } from '../../../../src/main/engine/tf'
import { gradCam } from '../../../../src/main/engine/saliency/gradcam'
import { SaliencyError } from '../../../../src/main/engine/saliency/errors'
import { RegionModel, quadrantMass, randomImages } from './toyModels'

beforeAll(async () => {
  await initBackend('cpu')
})

describe('gradCam', () => {
  it('puts > 80 % of its mass in the only region that drives the logit', () => {
    const model = new RegionModel()
    const x = randomImages(3, 16)
    const maps = gradCam(model, x)
    expect(maps.shape).toEqual([3, 16, 16])
    const d = maps.dataSync()
    for (let n = 0; n < 3; n++)
      expect(quadrantMass(d.slice(n * 256, (n + 1) * 256), 16, 16)).toBeGreaterThan(0.8)
    tf.dispose([x, maps])
  })

  it('equals ReLU(Σ_k mean(∂logit/∂A_k)·A_k), upsampled and min-max normalised (independent computation)', () => {
    const model = new RegionModel()
    const x = randomImages(2, 16, 7)
    const classes = [0, 2]
    const got = gradCam(model, x, { stage: 'pool', classIndex: classes })
    const want = tf.tidy(() => {
      const maps: Tensor3D[] = []
      for (let n = 0; n < 2; n++) {
        const xi = tf.slice(x, [n, 0, 0, 0], [1, -1, -1, -1]) as Tensor4D
        const a = model.forwardTo('pool', xi) as Tensor4D
        const g = tf.grad((t) =>
          tf.slice(model.forwardFrom('pool', t), [0, classes[n]!], [1, 1]).sum()
        )(a)
        const w = g.mean([1, 2]).dataSync()
        const av = a.arraySync() as number[][][][]
        const cam = av[0]!.map((row) =>
          row.map((px) =>
            Math.max(
              0,
              px.reduce((s, v, k) => s + v * w[k]!, 0)
            )
          )
        )
        const up = tf.image.resizeBilinear(
          tf.tensor4d(cam.flat(), [1, 8, 8, 1]),
          [16, 16],
          false,
          true
        )
        const u = up.squeeze([3]) as Tensor3D
        const lo = u.min()
        const hi = u.max()
        // Empty map (class 2 has only negative evidence): 0/0 -> 0 by definition.
        maps.push(tf.divNoNan(u.sub(lo), hi.sub(lo)) as Tensor3D)
      }
      return tf.concat(maps, 0)
    })
    expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]).toBeLessThan(1e-5)
    // Class 2 has the opposite weights: its Grad-CAM is empty (no positive evidence) -> zeros.
    expect(tf.max(tf.slice(got, [1, 0, 0], [1, -1, -1])).dataSync()[0]).toBe(0)
    tf.dispose([x, got, want])
  })

  it('is finite, in [0, 1], and zero (not NaN) for constant and blank images', () => {
    const model = new RegionModel()
    const x = tf.concat([tf.fill([1, 16, 16, 1], 0.5), tf.zeros([1, 16, 16, 1])]) as Tensor4D
    const maps = gradCam(model, x).dataSync()
    for (const v of maps) {
      expect(Number.isFinite(v)).toBe(true)
      expect(v).toBeGreaterThanOrEqual(0)
      expect(v).toBeLessThanOrEqual(1)
    }
    // The blank image has no activation anywhere: an all-zero map, not 0/0.
    expect(Math.max(...maps.slice(256))).toBe(0)
    x.dispose()
  })

  it('rejects unknown stages and bad class indices with SaliencyError', () => {
    const model = new RegionModel()
    const x = randomImages(1, 16)
    expect(() => gradCam(model, x, { stage: 'gap' })).toThrow(SaliencyError)
    expect(() => gradCam(model, x, { classIndex: [5] })).toThrow(/outside 0..2/)
    expect(() => gradCam(model, x, { classIndex: [0, 1] })).toThrow(SaliencyError)
    x.dispose()
  })

  it('leaves no tensors behind', () => {
    const model = new RegionModel()
    const x = randomImages(2, 16)
    gradCam(model, x).dispose()
    const before = tf.memory().numTensors
    for (let i = 0; i < 3; i++) gradCam(model, x, { stage: 'relu' }).dispose()
    expect(tf.memory().numTensors).toBe(before)
    x.dispose()
  })
})
