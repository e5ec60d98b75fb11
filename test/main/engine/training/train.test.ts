import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/main/engine/backend'
import { tf } from '../../../../src/main/engine/tf'
import { buildModel } from '../../../../src/main/engine/models'
import { labelsTensor, toFloatBatch } from '../../../../src/main/engine/data/batches'
import { range } from '../../../../src/main/engine/data/split'
import { trainStep } from '../../../../src/main/engine/training/steps'
import { similarity } from '../../../../src/main/engine/training/evaluate'
import {
  DEFAULT_TRAIN_CONFIG,
  trainNetwork,
  validateTrainConfig
} from '../../../../src/main/engine/training/train'
import { cosinePerSample, penaltyOf } from '../../../../src/main/engine/training/penalty'
import { syntheticDataset } from '../../../helpers/syntheticDataset'

beforeAll(async () => {
  await initBackend('cpu')
})

const ds = syntheticDataset()
const shape: [number, number, number] = [ds.height, ds.width, ds.channels]

describe('similarity δ', () => {
  it('is 1 for a model against itself and below 1 against another model', () => {
    const a = buildModel('cnn', shape, 3, { seed: 1 })
    const b = buildModel('cnn', shape, 3, { seed: 2 })
    const self = similarity(a, a, ds, ds.validation, range(40))
    expect(self.mean).toBeCloseTo(1, 5)
    expect(self.std).toBeLessThan(1e-5)
    expect(self.count).toBe(40)
    const other = similarity(a, b, ds, ds.validation, range(40))
    expect(other.mean).toBeLessThan(0.99)
    expect(other.meanAbs).toBeGreaterThanOrEqual(Math.abs(other.mean) - 1e-9)
    a.dispose()
    b.dispose()
  })

  it('penalty forms follow their definitions', () => {
    const d = tf.tensor1d([0.5, -0.5, 0.2])
    expect(penaltyOf(d, 'signed').dataSync()[0]).toBeCloseTo(0.2 / 3, 6)
    expect(penaltyOf(d, 'absolute').dataSync()[0]).toBeCloseTo(1.2 / 3, 6)
    expect(penaltyOf(d, 'squared').dataSync()[0]).toBeCloseTo((0.25 + 0.25 + 0.04) / 3, 6)
    const g = tf.tensor2d([
      [3, 4],
      [1, 0]
    ])
    const h = tf.tensor2d([
      [4, -3],
      [2, 0]
    ])
    expect(Array.from(cosinePerSample(g, h).dataSync())).toEqual([0, 1])
    tf.dispose([d, g, h])
  })
})

describe('training steps', () => {
  it.each([
    ['cnn', 25],
    ['resnet20', 3]
  ] as const)(
    'keep the live tensor count flat across training steps (%s, %i ordinary + orthogonal pairs)',
    (arch, pairs) => {
      const reference = buildModel(arch, shape, 3, { seed: 1 })
      const net = buildModel(arch, shape, 3, { seed: 2 })
      const optimizer = tf.train.adam(1e-3)
      const x = toFloatBatch(ds.train, range(16), ds)
      const y = labelsTensor(ds.train, range(16))
      // The optimiser creates its slot variables on the first step of each kind.
      trainStep(net, optimizer, x, y)
      trainStep(net, optimizer, x, y, { reference, lambda: 30, form: 'squared' })
      const before = tf.memory().numTensors
      for (let i = 0; i < pairs; i++) {
        trainStep(net, optimizer, x, y)
        const m = trainStep(net, optimizer, x, y, { reference, lambda: 30, form: 'squared' })
        expect(Number.isFinite(m.loss)).toBe(true)
      }
      expect(tf.memory().numTensors).toBe(before)
      tf.dispose([x, y])
      optimizer.dispose()
      net.dispose()
      reference.dispose()
    }
  )
})

describe('training loop', () => {
  it('rejects bad settings with a message naming them', () => {
    expect(() => validateTrainConfig({ ...DEFAULT_TRAIN_CONFIG, epochs: 0 })).toThrow(/epochs/)
    expect(() => validateTrainConfig({ ...DEFAULT_TRAIN_CONFIG, lambda: -1 })).toThrow(/lambda/)
    expect(() =>
      validateTrainConfig({ ...DEFAULT_TRAIN_CONFIG, penaltyForm: 'cubic' as never })
    ).toThrow(/penaltyForm/)
  })

  it('reports a collapsed model (zero weights: no input gradient, chance accuracy) instead of calling it ready', async () => {
    const net = buildModel('cnn', shape, 3, { seed: 4 })
    const w = net.exportWeights()
    net.loadWeights({ manifest: w.manifest, data: new Float32Array(w.data.length) })
    const outcome = await trainNetwork(
      net,
      ds,
      { ...DEFAULT_TRAIN_CONFIG, epochs: 1, batchSize: 32, learningRate: 1e-9 },
      undefined
    )
    expect(outcome.status).toBe('collapsed')
    expect(outcome.collapse?.kind).toMatch(/chance-accuracy|vanishing-gradients/)
    net.dispose()
  })

  it('cancellation stops between steps and keeps the best checkpoint', async () => {
    const net = buildModel('cnn', shape, 3, { seed: 5 })
    const controller = new AbortController()
    let bestWeights: Float32Array | undefined
    const outcome = await trainNetwork(
      net,
      ds,
      { ...DEFAULT_TRAIN_CONFIG, epochs: 10, batchSize: 16, patience: 10 },
      undefined,
      {
        signal: controller.signal,
        onCheckpoint: (weights) => {
          bestWeights = weights.data.slice()
        },
        onEpoch: (r) => {
          if (r.epoch === 2) controller.abort()
        }
      }
    )
    expect(outcome.status).toBe('cancelled')
    expect(outcome.epochsRun).toBe(2)
    expect(bestWeights).toBeDefined()
    // The network holds the best checkpoint, not the weights of the interrupted epoch.
    expect(Array.from(net.exportWeights().data.slice(0, 50))).toEqual(
      Array.from(bestWeights!.slice(0, 50))
    )
    net.dispose()
  })
})
