import { describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import { runAttack } from '../../../../src/main/engine/attacks'
import { foolingRatio, runTransfer } from '../../../../src/main/engine/audit/transfer'
import { classes, dataset, images, model } from './fixtures'

// Top level, not beforeAll: the fixtures below are built while the suite is collected.
await initBackend('cpu')

describe('runTransfer', () => {
  const source = model(1, 'source')
  const target = model(2, 'target')
  const ortho = model(3, 'ortho')
  const ds = dataset(source)
  const config = {
    attacks: [{ id: 'fgsm' }, { id: 'ifgsm', config: { steps: 3 } }],
    epsilons: [0, 0.02, 0.08],
    sampleCount: 1000,
    seed: 3,
    batchSize: 4,
    gallerySamples: 3
  }

  it('counts fooling only over samples correct on every model, as a brute force does', async () => {
    const before = tf.memory().numTensors
    const result = await runTransfer(ds, source, [target, ortho], config)
    expect(tf.memory().numTensors).toBe(before)
    const n = result.selection.indices.length
    expect(n).toBeLessThan(ds.validation.count) // the models disagree on the rest
    const x = images(ds, result.selection.indices)
    const y = tf.tensor1d(result.selection.labels, 'int32')
    for (const cell of result.cells) {
      for (const f of cell.fooling) expect(f.total).toBe(n)
      if (cell.epsilon === 0) {
        for (const f of cell.fooling) expect(f.fooled).toBe(0)
        continue
      }
      const adv = await runAttack(cell.attackId, source, x, y, {
        epsilon: cell.epsilon,
        steps: cell.config.steps === 1 ? undefined : 3
      })
      for (const m of [source, target, ortho]) {
        const pred = classes(m, adv)
        const fooled = pred.filter((p, k) => p !== result.selection.labels[k]).length
        expect(
          foolingRatio(result, cell.attackId, cell.epsilon, m.id),
          `${cell.attackId} ${cell.epsilon} ${m.id}`
        ).toBeCloseTo(fooled / n, 10)
      }
      adv.dispose()
    }
    // The source is fooled by its own strong attack.
    expect(foolingRatio(result, 'ifgsm', 0.08, 'source')).toBeGreaterThan(0.5)
  })

  it('fills the gallery with images in the ε-ball and honest 8-bit verdicts', async () => {
    const result = await runTransfer(ds, source, [target], config)
    expect(result.gallery).toHaveLength(3)
    for (const g of result.gallery) {
      expect(g.clean.every((p) => p.predicted === g.label)).toBe(true)
      expect(g.adversarial).toHaveLength(6)
      for (const a of g.adversarial) {
        let maxDelta = 0
        a.image.forEach((v, i) => (maxDelta = Math.max(maxDelta, Math.abs(v - g.original[i]!))))
        expect(maxDelta).toBeLessThanOrEqual(a.epsilon + 1e-6)
        const rounded = tf.tensor4d(
          a.image.map((v) => Math.round(v * 255) / 255),
          [1, 8, 8, 3]
        )
        for (const p of a.predictions) {
          const m = p.modelId === 'source' ? source : target
          expect(p.predictedRounded).toBe(classes(m, rounded)[0])
          expect(p.fooledRounded).toBe(p.predictedRounded !== g.label)
          expect(p.fooled).toBe(p.predicted !== g.label)
          expect(p.confidence).toBeGreaterThan(1 / 3 - 1e-6)
        }
        rounded.dispose()
      }
    }
  })

  it('checks the config up front and can be cancelled', async () => {
    await expect(
      runTransfer(ds, source, [target], { attacks: [{ id: 'mifgsm', config: { decay: -1 } }] })
    ).rejects.toThrow(/"decay"/)
    await expect(
      runTransfer(ds, source, [target], { attacks: [{ id: 'fgsm' }], epsilons: [-0.1] })
    ).rejects.toThrow(/ε/)
    const controller = new AbortController()
    const run = runTransfer(ds, source, [target], config, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'attacking' && p.completed === 2) controller.abort()
      }
    })
    await expect(run).rejects.toMatchObject({ name: 'AbortError' })
  })
})
