/**
 * A plan's Table 6.2 and Figures 6.6 / 6.7 from a hand-built record: the means, stds and
 * intervals over seeds by hand, collapsed seeds left out and listed, and every target labelled
 * by its own lineage — under a source of another architecture, the λ > 0 models are still
 * orthogonal (to their own reference) and the reference is the reference.
 */
import { describe, expect, it } from 'vitest'
import type { PlanRequest } from '../../../../src/contract/plans'
import { wilsonInterval } from '../../../../src/main/engine/audit/stats'
import { resolvePlan } from '../../../../src/main/services/plans/spec'
import { initialState, type PlanState } from '../../../../src/main/services/plans/state'
import { planResult } from '../../../../src/main/services/plans/table'
import { planTableLines } from '../../../../src/main/services/plans/csv'
import type { RunRecord, StoredModel } from '../../../../src/main/store'

const request: PlanRequest = {
  name: 'P',
  datasetId: 1,
  architectures: ['cnn', 'resnet20'],
  lambdas: [0, 30],
  seeds: 2,
  evaluation: { attacks: ['pgd'], epsilons: [0.05], sampleCount: 100 }
}
const resolved = resolvePlan(request)

/** Slot i trained model i + 1 (ids 1 … 9; 1 is the reference). */
function state(): PlanState {
  const s = initialState(resolved.slots, null)
  s.referenceId = 1
  const set = (i: number, acc: number, delta: [number, number] | null, status = 'ready') =>
    Object.assign(s.slots[i]!, {
      modelId: i + 1,
      status,
      valAccuracy: acc,
      accuracyImages: 2000,
      delta: delta
        ? { mean: delta[0], std: delta[1], meanAbs: Math.abs(delta[0]), count: 500 }
        : null,
      trainSeconds: 40 + i
    })
  set(0, 0.868, null)
  set(1, 0.85, [0.5, 0.2])
  set(2, 0.87, [0.6, 0.1])
  set(3, 0.8, [0.01, 0.05])
  set(4, 0.1, [0, 0], 'collapsed')
  set(5, 0.84, [0.3, 0.1])
  set(6, 0.86, [0.32, 0.1])
  set(7, 0.83, [0.02, 0.04])
  set(8, 0.82, [0.01, 0.04])
  const cell = (counts: [number, number][]) => ({
    attack: 'pgd',
    epsilon: 0.05,
    counts: counts.map(([modelId, transfer]) => ({ modelId, transfer }))
  })
  s.evaluations = [
    {
      sourceId: 1,
      kind: 'reference',
      sampleCount: 100,
      examined: 150,
      modelIds: [1, 2, 3, 4, 6, 7, 8, 9],
      cells: [
        cell([
          [1, 95],
          [2, 60],
          [3, 70],
          [4, 10],
          [6, 40],
          [7, 50],
          [8, 5],
          [9, 15]
        ])
      ],
      worstCase: [],
      seconds: 3
    },
    {
      sourceId: 6,
      kind: 'other-architecture',
      sampleCount: 100,
      examined: 160,
      modelIds: [6, 1, 2, 3, 4, 7, 8, 9],
      cells: [
        cell([
          [6, 90],
          [1, 30],
          [2, 35],
          [3, 25],
          [4, 8],
          [7, 45],
          [8, 12],
          [9, 14]
        ])
      ],
      worstCase: [],
      seconds: 3
    }
  ]
  s.evaluated = true
  s.activeSeconds = 600
  return s
}

const run = {
  id: 7,
  kind: 'plan',
  status: 'done',
  config: { request, resolved: { training: { optimizer: 'adam' } } },
  results: state()
} as unknown as RunRecord

const models = resolved.slots.map(
  (slot, i) =>
    ({
      id: i + 1,
      name: slot.name,
      architecture: { arch: slot.arch },
      datasetId: 1,
      referenceModelId: i === 0 ? null : 1,
      trainingConfig: { resolved: { lambda: slot.lambda } },
      status: i === 4 ? 'collapsed' : 'ready',
      metrics: {},
      parameterCount: 1,
      createdAt: '',
      updatedAt: ''
    }) as StoredModel
)

describe('a plan’s Table 6.2', () => {
  const r = planResult(run, models)

  it('gives δ and accuracy as mean ± std over seeds with t-intervals', () => {
    const cnn0 = r.rows.find((x) => x.arch === 'cnn' && x.lambda === 0)!
    expect(cnn0.models).toEqual([2, 3])
    // δ: mean of 0.5 and 0.6; s = 0.1/√2; within = √((0.2² + 0.1²)/2).
    expect(cnn0.delta!.mean).toBeCloseTo(0.55, 12)
    expect(cnn0.delta!.std).toBeCloseTo(Math.SQRT1_2 * 0.1, 12)
    expect(cnn0.delta!.withinStd).toBeCloseTo(Math.sqrt(0.025), 12)
    // t(0.975, 1) = 12.7062: half-width 12.7062 · 0.0707107/√2 = 0.635310.
    expect(cnn0.delta!.ci95![0]).toBeCloseTo(0.55 - 0.63531, 4)
    expect(cnn0.delta!.images).toBe(500)
    // Accuracy 1700 and 1740 of 2000 images each.
    expect(cnn0.accuracy!.mean).toBeCloseTo(0.86, 12)
    expect(cnn0.accuracy!.method).toBe('seeds-t')
    expect(cnn0.accuracy!.images).toBe(2000)
    expect(cnn0.trainSeconds!.mean).toBe(41.5)
    // PGD at 5 % from the reference: 60 and 70 of 100.
    const pgd = cnn0.fooling.pgd!['0.05']!
    expect(pgd.mean).toBeCloseTo(0.65, 12)
    expect(pgd.n).toBe(2)
    expect(pgd.ci95![1]).toBeLessThanOrEqual(1)
  })

  it('leaves a collapsed seed out of the means and lists it; one seed left takes Wilson', () => {
    const cnn30 = r.rows.find((x) => x.arch === 'cnn' && x.lambda === 30)!
    expect(cnn30.models).toEqual([4])
    expect(cnn30.collapsed).toEqual([5])
    expect(cnn30.accuracy).toMatchObject({ mean: 0.8, std: null, n: 1, method: 'wilson' })
    expect(cnn30.accuracy!.ci95).toEqual(wilsonInterval(1600, 2000))
    expect(cnn30.fooling.pgd!['0.05']!.ci95).toEqual(wilsonInterval(10, 100))
  })

  it('lists the reference with its accuracy interval, and the progress', () => {
    expect(r.reference).toMatchObject({ modelId: 1, valAccuracy: 0.868, accuracyImages: 2000 })
    expect(r.reference!.accuracyCi95).toEqual(wilsonInterval(1736, 2000))
    expect(r.progress).toEqual({ trained: 9, total: 9, evaluated: 2, sources: 2 })
    expect(r.models).toHaveLength(8)
    expect(r.seconds).toBe(600)
  })

  it('writes the table as CSV with every interval', () => {
    const [header, ...lines] = planTableLines(r)
    expect(header!.slice(0, 4)).toEqual(['arch', 'lambda', 'models', 'collapsed'])
    expect(header).toContain('fooling_pgd_0.05_ci95_high')
    expect(lines).toHaveLength(4)
    const col = (name: string) => (header as string[]).indexOf(name)
    expect(lines[0]![col('delta_mean')]).toBeCloseTo(0.55, 12)
    expect(lines[1]![col('collapsed')]).toBe('5')
  })
})

describe('Figures 6.6 and 6.7: roles from each model’s lineage', () => {
  const r = planResult(run, models)

  it('Figure 6.6: the reference is the source; one curve per λ and architecture', () => {
    const f = r.figures.find((x) => x.kind === 'reference')!
    expect(f.sourceId).toBe(1)
    const roles = f.curves.map((c) => [c.role, c.arch, c.lambda])
    expect(roles).toEqual([
      ['source', 'cnn', null],
      ['ordinary', 'cnn', 0],
      ['orthogonal', 'cnn', 30],
      ['ordinary', 'resnet20', 0],
      ['orthogonal', 'resnet20', 30]
    ])
  })

  it('Figure 6.7: under a resnet20 source the cnn λ = 30 model is still orthogonal, to the reference', () => {
    const f = r.figures.find((x) => x.kind === 'other-architecture')!
    expect(f.sourceId).toBe(6)
    expect(f.sourceArch).toBe('resnet20')
    const byLabel = Object.fromEntries(f.curves.map((c) => [c.label, c.role]))
    expect(byLabel).toEqual({
      'P · resnet20 λ=0 · seed 2 (source)': 'source',
      'P · reference (cnn) (reference, ordinary)': 'reference',
      'cnn λ=0 (ordinary, 2 seeds)': 'ordinary',
      'cnn λ=30 (orthogonal to P · reference (cnn))': 'orthogonal',
      'resnet20 λ=0 (ordinary)': 'ordinary',
      'resnet20 λ=30 (orthogonal to P · reference (cnn), 2 seeds)': 'orthogonal'
    })
    const orth = f.curves.find((c) => c.arch === 'cnn' && c.role === 'orthogonal')!
    expect(orth.points[0]!.stat.mean).toBeCloseTo(0.08, 12)
  })
})
