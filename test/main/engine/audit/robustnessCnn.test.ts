/**
 * The evaluation on a real, trained cnn (a quick one: 1,500 Fashion-MNIST images, two epochs)
 * rather than toy models: APGD must be at least as strong as PGD on it, the cascade must not
 * lose what PGD found, and the live tensor count must stay flat across APGD and Square
 * iterations of a real network.
 */
import { describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import type { Tensor4D } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import { buildModel } from '../../../../src/main/engine/models'
import { loadBuiltinSample } from '../../../../src/main/engine/data/builtinSample'
import type { ImageDataset } from '../../../../src/main/engine/data/types'
import { DEFAULT_TRAIN_CONFIG, trainNetwork } from '../../../../src/main/engine/training/train'
import { runAttack } from '../../../../src/main/engine/attacks'
import { sampleBatch } from '../../../../src/main/engine/audit/sampling'
import { runRobustnessEvaluation } from '../../../../src/main/engine/audit/robustness'

await initBackend('cpu')

const full = loadBuiltinSample()
const per = 28 * 28
const ds: ImageDataset = {
  ...full,
  train: {
    images: full.train.images.subarray(0, 1500 * per),
    labels: full.train.labels.subarray(0, 1500),
    count: 1500
  },
  validation: {
    images: full.validation.images.subarray(0, 400 * per),
    labels: full.validation.labels.subarray(0, 400),
    count: 400
  }
}
const net = buildModel('cnn', [28, 28, 1], 10, { seed: 1, id: 'cnn', name: 'cnn' })
await trainNetwork(
  net,
  ds,
  { ...DEFAULT_TRAIN_CONFIG, epochs: 2, trainLimit: 0, valLimit: 200, deltaLimit: 1 },
  undefined
)

const classesOf = (x: Tensor4D) =>
  tf.tidy(() => Array.from(tf.argMax(net.predictLogits(x), 1).dataSync()))

describe('attacks on a trained cnn', () => {
  const { x: all, y: allLabels } = sampleBatch(
    ds,
    Array.from({ length: 120 }, (_, i) => i)
  )
  const labels = Array.from(allLabels.dataSync())
  const correct = classesOf(all)
    .flatMap((p, i) => (p === labels[i] ? [i] : []))
    .slice(0, 40)
  const x = tf.gather(all, correct) as Tensor4D
  const y = tf.tensor1d(
    correct.map((i) => labels[i]!),
    'int32'
  )
  const fooled = async (id: string, config: object) => {
    const adv = await runAttack(id, net, x, y, { epsilon: 0.04, seed: 1, ...config })
    const predicted = classesOf(adv)
    adv.dispose()
    return predicted.filter((p, k) => p !== labels[correct[k]!]).length
  }

  it('APGD-CE (100 iterations) fools at least as many images as PGD-10 with a random start', async () => {
    expect(correct).toHaveLength(40)
    const pgd = await fooled('pgd', {})
    expect(pgd).toBeGreaterThan(0) // the case is not trivial either way
    expect(pgd).toBeLessThan(40)
    const apgd = await fooled('apgd-ce', {})
    expect(apgd).toBeGreaterThanOrEqual(pgd)
    expect(await fooled('apgd-dlr', {})).toBeGreaterThan(0)
  })

  it('keeps the live tensor count flat across APGD and Square iterations of the network', async () => {
    for (const [id, config] of [
      ['apgd-dlr', { steps: 30 }],
      ['square', { queries: 40 }]
    ] as const) {
      const counts: number[] = []
      const before = tf.memory().numTensors
      const adv = await runAttack(
        id,
        net,
        x,
        y,
        { epsilon: 0.01, ...config },
        { onProgress: () => counts.push(tf.memory().numTensors) }
      )
      expect(tf.memory().numTensors, id).toBe(before + 1)
      expect(counts.length, id).toBeGreaterThan(20)
      expect(new Set(counts.slice(0, -1)).size, id).toBe(1)
      adv.dispose()
    }
  })

  it('the evaluation’s worst case is no better than PGD or APGD alone on the same images', async () => {
    const before = tf.memory().numTensors
    const result = await runRobustnessEvaluation(
      ds,
      { models: [net] },
      {
        epsilons: [0.04],
        sampleCount: 60,
        seed: 2,
        threats: ['pgd', 'apgd-ce', 'square'],
        square: { queries: 100 },
        checks: { samples: 30 }
      }
    )
    expect(tf.memory().numTensors).toBe(before)
    const [m] = result.models
    const e = m!.byEpsilon[0]!
    const pgd = e.threats.find((t) => t.threat === 'pgd')!
    expect(pgd.fooled).toBeGreaterThan(0)
    expect(e.worst.count).toBeLessThanOrEqual(pgd.robust.count)
    // An honest network: PGD fools every image at ε = 100 % and no masking flag is raised.
    expect(m!.checks.largeEpsilon!.success.value).toBe(1)
    expect(m!.flags).toEqual([])
  })
})
