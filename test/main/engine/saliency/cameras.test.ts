import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/main/engine/backend'
import { tf } from '../../../../src/main/engine/tf'
import type { Tensor3D, Tensor4D } from '../../../../src/main/engine/tf'
import { gradCam } from '../../../../src/main/engine/saliency/gradcam'
import {
  cameras,
  camerasDetailed,
  defaultCamerasScales
} from '../../../../src/main/engine/saliency/cameras'
import { resizeBicubic } from '../../../../src/main/engine/saliency/bicubic'
import { SaliencyError } from '../../../../src/main/engine/saliency/errors'
import type { StagedClassifier } from '../../../../src/main/engine/models/types'
import { RegionModel, quadrantMass, randomImages } from './toyModels'

beforeAll(async () => {
  await initBackend('cpu')
})

/** ReLU(Σ_k up(A)_k ⊙ up(G)_k), min-max normalised, for one scale — computed without cameras.ts. */
function singleScaleFusion(
  model: StagedClassifier,
  x: Tensor4D,
  stage: string,
  cls: number[],
  size: number
): Tensor3D {
  return tf.tidy(() => {
    const [n, h, w] = x.shape
    const xs = size === h ? x : resizeBicubic(x, [size, size])
    const a = model.forwardTo(stage, xs) as Tensor4D
    const mask = tf.oneHot(tf.tensor1d(cls, 'int32'), model.numClasses)
    const g = tf.grad((t) => model.forwardFrom(stage, t).mul(mask).sum())(a) as Tensor4D
    const up = (t: Tensor4D) => tf.image.resizeBilinear(t, [h, w], false, true)
    const fused = tf.relu(up(a).mul(up(g)).sum(3)).arraySync() as number[][][]
    const out = fused.map((m) => {
      const flat = m.flat()
      const lo = Math.min(...flat)
      const hi = Math.max(...flat)
      return flat.map((v) => (v - lo) / (hi - lo))
    })
    return tf.tensor3d(out.flat(), [n, h, w])
  })
}

describe('cameras', () => {
  it('default scales climb from the input size in ~2/7 steps', () => {
    expect(defaultCamerasScales(28)).toEqual([28, 36, 44, 52, 60, 68])
    expect(defaultCamerasScales(224)).toEqual([224, 288, 352, 416, 480, 544])
  })

  it('with one scale equals the element-wise activation-gradient fusion at that scale', () => {
    const model = new RegionModel()
    const x = randomImages(2, 16, 5)
    for (const size of [16, 24]) {
      const got = cameras(model, x, { stage: 'pool', scales: [size], classIndex: [0, 0] })
      const want = singleScaleFusion(model, x, 'pool', [0, 0], size)
      expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]).toBeLessThan(1e-5)
      tf.dispose([got, want])
    }
    x.dispose()
  })

  it('averages activations and gradients over scales before fusing (not the per-scale maps)', () => {
    const model = new RegionModel()
    const x = randomImages(1, 16, 9)
    const got = cameras(model, x, { stage: 'relu', scales: [16, 32], classIndex: [0] })
    const want = tf.tidy(() => {
      const parts = [16, 32].map((s) => {
        const xs = s === 16 ? x : resizeBicubic(x, [s, s])
        const a = model.forwardTo('relu', xs) as Tensor4D
        const g = tf.grad((t) => tf.slice(model.forwardFrom('relu', t), [0, 0], [1, 1]).sum())(
          a
        ) as Tensor4D
        return [
          tf.image.resizeBilinear(a, [16, 16], false, true),
          tf.image.resizeBilinear(g, [16, 16], false, true)
        ]
      })
      const meanA = parts[0]![0]!.add(parts[1]![0]!).div(2)
      const meanG = parts[0]![1]!.add(parts[1]![1]!).div(2)
      const m = tf.relu(meanA.mul(meanG).sum(3))
      return m.sub(m.min()).div(m.max().sub(m.min()))
    })
    expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]).toBeLessThan(1e-5)
    // Chunked fusion (one channel at a time) gives the same map.
    const chunked = cameras(model, x, {
      stage: 'relu',
      scales: [16, 32],
      classIndex: [0],
      maxBufferFloats: 256
    })
    expect(tf.max(tf.abs(tf.sub(got, chunked))).dataSync()[0]).toBeLessThan(1e-6)
    tf.dispose([x, got, want, chunked])
  })

  it('localises the region even before the mask, where Grad-CAM (channel means) cannot', () => {
    const model = new RegionModel()
    const x = randomImages(2, 16, 11)
    const cam = cameras(model, x, { stage: 'relu' }).dataSync()
    const gc = gradCam(model, x, { stage: 'relu' }).dataSync()
    for (let n = 0; n < 2; n++) {
      expect(quadrantMass(cam.slice(n * 256, (n + 1) * 256), 16, 16)).toBeGreaterThan(0.8)
      expect(quadrantMass(gc.slice(n * 256, (n + 1) * 256), 16, 16)).toBeLessThan(0.5)
    }
    const last = cameras(model, x).dataSync()
    expect(quadrantMass(last.slice(0, 256), 16, 16)).toBeGreaterThan(0.8)
    x.dispose()
  })

  it('leaves out scales whose prediction differs from the base one', async () => {
    // The model predicts class 1 whenever its feature map is ≥ 14 tall, i.e. inputs ≥ 27 px.
    const model = new RegionModel({ flipAtFeatureHeight: 14 })
    const x = randomImages(1, 16, 2)
    const detail = await camerasDetailed(model, x, { scales: [16, 21, 26, 31, 36] })
    expect(detail.classes).toEqual([0])
    expect(detail.kept).toEqual([[true, true, true, false, false]])
    const keptOnly = cameras(model, x, { scales: [16, 21, 26] })
    expect(tf.max(tf.abs(tf.sub(detail.map, keptOnly))).dataSync()[0]).toBeLessThan(1e-6)
    tf.dispose([x, detail.map, keptOnly])
  })

  it('is finite, in [0, 1] and zero for blank images', () => {
    const model = new RegionModel()
    const x = tf.concat([tf.fill([1, 16, 16, 1], 0.5), tf.zeros([1, 16, 16, 1])]) as Tensor4D
    const maps = cameras(model, x).dataSync()
    for (const v of maps) {
      expect(Number.isFinite(v)).toBe(true)
      expect(v).toBeGreaterThanOrEqual(0)
      expect(v).toBeLessThanOrEqual(1)
    }
    expect(Math.max(...maps.slice(256))).toBe(0)
    x.dispose()
  })

  it('refuses fixed-input-size models with a clear SaliencyError', () => {
    const model = new RegionModel({ anySize: false })
    const x = randomImages(1, 16)
    expect(() => cameras(model, x)).toThrow(SaliencyError)
    expect(() => cameras(model, x)).toThrow(/fully convolutional trunk with global pooling/)
    expect(() => cameras(new RegionModel(), x, { scales: [] })).toThrow(SaliencyError)
    x.dispose()
  })

  it('leaves no tensors behind', async () => {
    const model = new RegionModel()
    const x = randomImages(2, 16)
    cameras(model, x, { scales: [16, 20] }).dispose()
    const before = tf.memory().numTensors
    cameras(model, x, { scales: [16, 20, 24], maxBufferFloats: 300 }).dispose()
    ;(await camerasDetailed(model, x, { scales: [16, 20] })).map.dispose()
    expect(tf.memory().numTensors).toBe(before)
    x.dispose()
  })
})
