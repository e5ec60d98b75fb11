import { describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import type { Tensor2D, Tensor4D } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import { runAttack } from '../../../../src/main/engine/attacks'
import { runRobustnessEvaluation } from '../../../../src/main/engine/audit/robustness'
import { evaluationSummary } from '../../../../src/main/engine/audit/robustnessSummary'
import type {
  RobustnessConfig,
  RobustnessProgress
} from '../../../../src/main/engine/audit/robustnessTypes'
import type { Classifier } from '../../../../src/main/engine/models/types'
import { classes, dataset, images, model } from './fixtures'

// Top level, not beforeAll: the fixtures below are built while the suite is collected.
await initBackend('cpu')

const source = model(1, 'source')
const target = model(2, 'target')
const other = model(3, 'other')
const ds = dataset(source, 60)
const config: RobustnessConfig = {
  epsilons: [0.05, 0.02],
  sampleCount: 40,
  seed: 4,
  batchSize: 16,
  pgd: { steps: 5, restarts: 2 },
  apgd: { steps: 10 },
  square: { queries: 60 },
  checks: { samples: 20 }
}

/** A model that rounds its input to 4 levels first: its gradient is zero everywhere. */
function rounding(inner: Classifier): Classifier {
  return {
    ...inner,
    id: `${inner.id}-rounding`,
    name: `${inner.name} (rounds its input)`,
    predictLogits: (x: Tensor4D) =>
      tf.tidy(() => inner.predictLogits(tf.div(tf.round(tf.mul(x, 3)), 3) as Tensor4D) as Tensor2D)
  }
}

describe('runRobustnessEvaluation', () => {
  it('measures every threat model as a brute force does, cascades, and applies the worst-case rule', async () => {
    const before = tf.memory().numTensors
    const progress: RobustnessProgress[] = []
    const result = await runRobustnessEvaluation(
      ds,
      { models: [target, other], source, ensemble: [source, other] },
      config,
      {
        onProgress: (p) => progress.push(p)
      }
    )
    expect(tf.memory().numTensors).toBe(before)
    expect(result.epsilons).toEqual([0.02, 0.05])
    expect(result.threats).toEqual(['transfer', 'ensemble', 'pgd', 'apgd-ce', 'apgd-dlr', 'square'])
    expect(result.samples).toBe(40)
    expect(progress.at(-1)!.completed).toBe(progress.at(-1)!.total)

    const x = images(ds, result.sampleIndices)
    const labels = result.sampleIndices.map((i) => ds.validation.labels[i]!)
    const y = tf.tensor1d(labels, 'int32')
    for (const m of result.models) {
      const net = m.id === 'target' ? target : other
      const correct = classes(net, x).map((p, i) => p === labels[i])
      expect(m.clean.count).toBe(correct.filter(Boolean).length)
      expect(m.clean.value).toBeCloseTo(m.clean.count / 40, 12)
      for (const e of m.byEpsilon) {
        const at = (t: string) => e.threats.find((r) => r.threat === t)!
        // Transfer: PGD crafted on the source, shown to this model.
        const adv = await runAttack('pgd', source, x, y, { epsilon: e.epsilon, batchSize: 16 })
        const fooledByTransfer = classes(net, adv).filter(
          (p, i) => correct[i] && p !== labels[i]
        ).length
        adv.dispose()
        expect(at('transfer').fooled, `${m.id} ${e.epsilon}`).toBe(fooledByTransfer)
        expect(at('transfer').robust.count).toBe(m.clean.count - fooledByTransfer)
        // Standalone threats ran on every correct image; the cascade on what survived before.
        for (const t of ['transfer', 'ensemble', 'pgd']) expect(at(t).ranOn).toBe(m.clean.count)
        const union = new Set([
          ...e.fooledBy.transfer!,
          ...e.fooledBy.ensemble!,
          ...e.fooledBy.pgd!
        ])
        expect(at('apgd-ce').ranOn).toBe(m.clean.count - union.size)
        expect(at('apgd-dlr').ranOn).toBe(at('apgd-ce').ranOn - at('apgd-ce').fooled)
        expect(at('square').ranOn).toBe(at('apgd-dlr').ranOn - at('apgd-dlr').fooled)
        expect(e.worst.count).toBe(at('square').ranOn - at('square').fooled)
        expect(e.robustSamples).toHaveLength(e.worst.count)
        for (const p of e.robustSamples) expect(correct[p]).toBe(true)
        for (const r of e.threats) expect(e.worst.value).toBeLessThanOrEqual(r.robust.value)
        for (const fooled of Object.values(e.fooledBy))
          for (const p of fooled!) expect(correct[p]).toBe(true)
        expect(at('pgd').config.restarts).toBe(2)
        expect(at('square').config.queries).toBe(60)
      }
      // A linear model's gradients are honest: no masking flag.
      expect(m.flags.filter((f) => f.code !== 'accuracy-cost')).toEqual([])
      expect(m.checks.largeEpsilon!.success.value).toBe(1)
    }
    // White-box beats transfer on these models at the larger ε.
    const t5 = result.models[0]!.byEpsilon[1]!
    expect(t5.worst.value).toBeLessThan(t5.threats[0]!.robust.value)

    const summary = evaluationSummary(result)
    expect(summary.models[0]!.robustAccuracy['0.05']).toEqual(
      Object.fromEntries([
        ...t5.threats.map((r) => [r.threat, r.robust.value]),
        ['worst', t5.worst.value]
      ])
    )
    expect(summary.models[0]!.ci95['0.05']!.worst).toEqual(t5.worst.ci95)
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary)
    tf.dispose([x, y])
  })

  it('raises the masking flag on a model that rounds its input (zero gradients)', async () => {
    const masked = rounding(target)
    const result = await runRobustnessEvaluation(
      ds,
      { models: [masked, target] },
      { ...config, threats: ['pgd', 'square'], epsilons: [0.05] }
    )
    const [m, honest] = result.models
    expect(m!.checks.largeEpsilon!.success.value).toBeLessThan(0.98)
    expect(m!.flags.map((f) => f.code)).toContain('gradient-masking')
    expect(honest!.flags.map((f) => f.code)).not.toContain('gradient-masking')
  })

  it('flags the accuracy cost against the reference', async () => {
    const result = await runRobustnessEvaluation(
      ds,
      { models: [target, source], reference: source },
      { ...config, threats: ['pgd'], checks: false }
    )
    const [t, s] = result.models
    expect(result.reference!.clean.value).toBe(1) // the labels are the source's own predictions
    expect(t!.clean.value).toBeLessThan(0.95)
    expect(t!.flags.map((f) => f.code)).toEqual(['accuracy-cost'])
    expect(s!.flags).toEqual([])
    expect(t!.checks).toEqual({})
  })

  it('checks its configuration up front, naming the bad setting', async () => {
    const models = { models: [target] }
    await expect(runRobustnessEvaluation(ds, models, { threats: ['transfer'] })).rejects.toThrow(
      /"transfer" threat needs a source model/
    )
    await expect(runRobustnessEvaluation(ds, models, { threats: ['ensemble'] })).rejects.toThrow(
      /"ensemble" threat needs/
    )
    await expect(
      runRobustnessEvaluation(ds, models, { threats: ['nope' as never] })
    ).rejects.toThrow(/unknown threat "nope"/)
    await expect(runRobustnessEvaluation(ds, models, { epsilons: [0] })).rejects.toThrow(
      /every ε must be a number in \(0, 1\]/
    )
    await expect(runRobustnessEvaluation(ds, models, { apgd: { steps: 0 } })).rejects.toThrow(
      /Attack "apgd-ce": parameter "steps"/
    )
    await expect(runRobustnessEvaluation(ds, models, { square: { queries: -1 } })).rejects.toThrow(
      /"queries"/
    )
    await expect(runRobustnessEvaluation(ds, models, { pgd: { restarts: 0 } })).rejects.toThrow(
      /"pgd.restarts"/
    )
    await expect(runRobustnessEvaluation(ds, { models: [target, target] })).rejects.toThrow(
      /distinct ids/
    )
    // Without a source or ensemble the default is every white-box and query threat.
    const r = await runRobustnessEvaluation(ds, models, {
      ...config,
      sampleCount: 5,
      checks: false
    })
    expect(r.threats).toEqual(['pgd', 'apgd-ce', 'apgd-dlr', 'square'])
  })

  it('cancels with an AbortError and leaves no tensors', async () => {
    const before = tf.memory().numTensors
    const controller = new AbortController()
    const run = runRobustnessEvaluation(ds, { models: [target, other], source }, config, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'attacking' && p.threat === 'pgd') controller.abort()
      }
    })
    await expect(run).rejects.toMatchObject({ name: 'AbortError' })
    expect(tf.memory().numTensors).toBe(before)
  })
})
