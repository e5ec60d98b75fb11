/**
 * Augmentation (random crop with zero padding, horizontal flip) on hand-worked images, and a
 * training with SGD, a schedule and augmentation that is bit-reproducible from its seed while a
 * different seed gives other weights.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/main/engine/backend'
import { tf } from '../../../../src/main/engine/tf'
import { buildModel } from '../../../../src/main/engine/models'
import { mulberry32 } from '../../../../src/main/engine/data/split'
import {
  augmentedBatch,
  drawAugment,
  writeAugmented
} from '../../../../src/main/engine/training/augment'
import {
  DEFAULT_TRAIN_CONFIG,
  trainNetwork,
  validateTrainConfig,
  type TrainConfig
} from '../../../../src/main/engine/training/train'
import { syntheticDataset } from '../../../helpers/syntheticDataset'

beforeAll(async () => {
  await initBackend('cpu')
})

/** A 3×3 grey image with pixels 1 … 9 (as bytes), row by row. */
const image = {
  images: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]),
  labels: Uint8Array.of(0),
  count: 1
}
const shape = { height: 3, width: 3, channels: 1 }
const px = (out: Float32Array) => Array.from(out, (v) => Math.round(v * 255))

describe('random crop with zero padding and horizontal flip', () => {
  it('crops the padded image at the drawn offset, zeros outside the image', () => {
    const out = new Float32Array(9)
    // Padding 1, crop corner (0, 2) of the 5×5 padded image: out(y, x) = in(y − 1, x + 1).
    writeAugmented(image, 0, shape, 1, { top: 0, left: 2, flip: false }, out, 0)
    expect(px(out)).toEqual([0, 0, 0, 2, 3, 0, 5, 6, 0])
  })

  it('mirrors the crop left–right', () => {
    const out = new Float32Array(9)
    writeAugmented(image, 0, shape, 0, { top: 0, left: 0, flip: true }, out, 0)
    expect(px(out)).toEqual([3, 2, 1, 6, 5, 4, 9, 8, 7])
    // Both: the crop of the first case, mirrored.
    writeAugmented(image, 0, shape, 1, { top: 0, left: 2, flip: true }, out, 0)
    expect(px(out)).toEqual([0, 0, 0, 0, 3, 2, 0, 6, 5])
  })

  it('the centre crop without a flip is the image itself', () => {
    const out = new Float32Array(9)
    writeAugmented(image, 0, shape, 2, { top: 2, left: 2, flip: false }, out, 0)
    expect(px(out)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('draws offsets in [0, 2p] and flips about half the time, from the seed alone', () => {
    const settings = { cropPadding: 4, flip: true }
    const rng = mulberry32(11)
    const draws = Array.from({ length: 2000 }, () => drawAugment(settings, rng))
    const again = mulberry32(11)
    expect(Array.from({ length: 2000 }, () => drawAugment(settings, again))).toEqual(draws)
    expect(new Set(draws.map((d) => d.top))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8]))
    const flips = draws.filter((d) => d.flip).length
    expect(flips).toBeGreaterThan(900)
    expect(flips).toBeLessThan(1100)
    // No flip asked, none drawn; no padding, the crop is the image.
    const plain = drawAugment({ cropPadding: 0, flip: false }, mulberry32(1))
    expect(plain).toEqual({ top: 0, left: 0, flip: false })
  })

  it('a batch is the images augmented in order, one draw each', () => {
    const ds = syntheticDataset({ size: 6, train: 4 })
    const settings = { cropPadding: 2, flip: true }
    const batch = augmentedBatch(ds.train, [3, 1], ds, settings, mulberry32(5))
    const rng = mulberry32(5)
    const expected = new Float32Array(72)
    writeAugmented(ds.train, 3, ds, 2, drawAugment(settings, rng), expected, 0)
    writeAugmented(ds.train, 1, ds, 2, drawAugment(settings, rng), expected, 36)
    expect(batch.shape).toEqual([2, 6, 6, 1])
    expect(batch.dataSync()).toEqual(expected)
    batch.dispose()
  })
})

describe('training with SGD, a schedule and augmentation', () => {
  const ds = syntheticDataset({ size: 8, train: 96, validation: 48 })
  const config: TrainConfig = {
    ...DEFAULT_TRAIN_CONFIG,
    epochs: 3,
    batchSize: 16,
    optimizer: 'sgd',
    learningRate: 0.05,
    momentum: 0.9,
    nesterov: true,
    weightDecay: 5e-4,
    schedule: 'cosine',
    augment: { cropPadding: 2, flip: true },
    valLimit: 48,
    deltaLimit: 16,
    patience: 10
  }

  async function weights(seed: number): Promise<{ w: Float32Array[]; rates: number[] }> {
    const net = buildModel('cnn', [8, 8, 1], 3, { seed: 1 })
    const out = await trainNetwork(net, ds, { ...config, seed }, undefined)
    const w = net.trainableVariables().map((v) => v.dataSync().slice() as Float32Array)
    net.dispose()
    return { w, rates: out.history.map((h) => h.learningRate) }
  }

  it('gives bit-identical weights from the same seed, other weights from another', async () => {
    const before = tf.memory().numTensors
    const a = await weights(4)
    const b = await weights(4)
    const c = await weights(5)
    a.w.forEach((w, i) => expect(w).toEqual(b.w[i]))
    expect(a.w.some((w, i) => w.some((v, k) => v !== c.w[i]![k]))).toBe(true)
    // The cosine schedule over three epochs: 0.05, 0.05·(1 + cos(π/3))/2, 0.05·(1 + cos(2π/3))/2.
    expect(a.rates[0]).toBe(0.05)
    expect(a.rates[1]).toBeCloseTo(0.0375, 12)
    expect(a.rates[2]).toBeCloseTo(0.0125, 12)
    // No tensor outlives the trainings (optimiser buffers included).
    expect(tf.memory().numTensors).toBe(before)
  })

  it('refuses settings outside their limits, naming them', () => {
    expect(() => validateTrainConfig({ ...config, momentum: 1.5 })).toThrow(/momentum/)
    expect(() => validateTrainConfig({ ...config, schedule: 'step', milestones: [] })).toThrow(
      /milestone/
    )
    expect(() =>
      validateTrainConfig({ ...config, augment: { cropPadding: 40, flip: false } })
    ).toThrow(/cropPadding/)
    expect(() => validateTrainConfig({ ...config, momentum: 0, nesterov: true })).toThrow(
      /nesterov/
    )
  })
})
