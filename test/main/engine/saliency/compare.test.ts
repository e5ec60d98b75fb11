import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/main/engine/backend'
import { tf } from '../../../../src/main/engine/tf'
import type { Tensor4D } from '../../../../src/main/engine/tf'
import {
  explainAdversarial,
  explainModels,
  jetColor,
  pick,
  renderHeatmap
} from '../../../../src/main/engine/saliency/compare'
import { gradCam } from '../../../../src/main/engine/saliency/gradcam'
import { RegionModel, randomImages } from './toyModels'

beforeAll(async () => {
  await initBackend('cpu')
})

describe('compare', () => {
  it('explains several models side by side, reporting CAMERAS refusals in place', async () => {
    const a = new RegionModel()
    const b = new RegionModel({ anySize: false })
    const x = randomImages(2, 16, 12)
    const before = tf.memory().numTensors
    const res = await explainModels([a, b], x)
    expect(tf.memory().numTensors).toBe(before)
    expect(res.images.shape).toEqual([2, 16, 16, 1])
    expect(res.models.map((m) => m.modelName)).toEqual(['region model', 'region model'])
    const gcA = res.models[0]!.maps.gradcam as { data: Float32Array; shape: number[] }
    expect(gcA.shape).toEqual([2, 16, 16])
    const direct = gradCam(a, x)
    expect(Array.from(gcA.data)).toEqual(Array.from(direct.dataSync()))
    expect('data' in res.models[0]!.maps.cameras!).toBe(true)
    expect((res.models[1]!.maps.cameras as { error: string }).error).toMatch(/fully convolutional/)
    expect(res.models[0]!.predicted).toEqual([0, 0])
    tf.dispose([x, direct])
  })

  it('explains an adversarial image next to its original for the original class', async () => {
    const model = new RegionModel()
    const x = randomImages(1, 16, 13)
    const adv = tf.tidy(() =>
      tf.mul(
        x,
        tf.tensor4d(
          Array.from({ length: 256 }, (_, i) => (i % 16 < 10 && i < 160 ? 0 : 1)),
          [1, 16, 16, 1]
        )
      )
    ) as Tensor4D
    const res = await explainAdversarial(model, x, adv, { methods: ['gradcam'] })
    expect(res.original.classIndex).toEqual([0])
    expect(res.adversarial.classIndex).toEqual([0])
    expect(res.adversarial.predicted).toEqual([1])
    // The evidence for class 0 was erased: an empty (all-zero) map after the attack.
    const advMap = res.adversarial.maps.gradcam as { data: Float32Array }
    expect(Math.max(...advMap.data)).toBe(0)
    expect(Math.max(...(res.original.maps.gradcam as { data: Float32Array }).data)).toBe(1)
    expect(res.adversarialImages.shape).toEqual([1, 16, 16, 1])
    tf.dispose([x, adv])
  })

  it('renders a jet heat map over the image and round-trips through PNG', () => {
    expect(jetColor(0)).toEqual([0, 0, 128])
    expect(jetColor(1)).toEqual([128, 0, 0])
    expect(jetColor(0.5)).toEqual([128, 255, 128])
    const image = {
      data: new Float32Array([0, 1, 0.5, 0.25, 0, 1, 1, 1, 1, 0, 0, 0]),
      shape: [2, 2, 3]
    }
    const map = new Float32Array([0, 1, 0.5, 0])
    const rgba = renderHeatmap(image, map, 0.5)
    // (1-α)·pixel + α·jet: [0, 127.5, 63.75 + 64] -> rounded.
    expect(Array.from(rgba.slice(0, 4))).toEqual([0, 128, 128, 255])
    expect(Array.from(rgba.slice(4, 8))).toEqual([96, 0, 128, 255])
    const gray = renderHeatmap(
      { data: new Float32Array([1, 1, 1, 1]), shape: [1, 2, 2, 1] },
      map,
      0
    )
    expect(Array.from(gray)).toEqual(new Array(16).fill(255))
    expect(pick({ data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] }, 1)).toEqual({
      data: new Float32Array([3, 4]),
      shape: [2]
    })
  })
})
