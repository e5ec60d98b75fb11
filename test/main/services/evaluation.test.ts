/**
 * The robustness evaluation as a job on a tiny project (linear 8x8 models, 3 classes): the run
 * stores its request verbatim and the evaluation; it reopens after the project is closed; a
 * cancelled evaluation is recorded as cancelled; a re-run replays the stored request to the
 * same numbers; bad requests are refused before any run is recorded; no tensor is left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EvaluationRequest } from '../../../src/contract/evaluation'
import { parseArgs } from '../../../src/contract/requests'
import { tf } from '../../../src/main/engine/tf'
import { initBackend } from '../../../src/main/engine/backend'
import { getRun, listRuns, openProject } from '../../../src/main/store'
import { runEvaluation, type EvaluationOutcome } from '../../../src/main/services/evaluation/run'
import { evaluationView } from '../../../src/main/services/evaluation/view'
import { evaluationJson } from '../../../src/main/services/evaluation/summary'
import { JobCancelledError } from '../../../src/main/services/hooks'
import { runJob } from '../../../src/main/services/jobServices'
import { replayOf } from '../../../src/main/services/runs'
import { tinyProject, type TinyProject } from './fixtures'

await initBackend('cpu')

/** Everything but the wall time: what a replay must reproduce exactly. */
const numbers = (o: EvaluationOutcome) => JSON.stringify({ ...o.evaluation, seconds: 0 })

describe('robustness evaluation service on a tiny project', () => {
  let t: TinyProject
  let request: EvaluationRequest
  let outcome: EvaluationOutcome

  beforeAll(async () => {
    t = tinyProject()
    request = parseArgs('evaluation.run', {
      datasetId: t.datasetId,
      modelIds: [t.sourceId, t.ordinaryId, t.orthogonalId],
      sourceId: t.sourceId,
      ensembleIds: [t.sourceId, t.ordinaryId],
      epsilons: [0.3, 0.05],
      sampleCount: 40,
      seed: 2,
      pgd: { steps: 3, restarts: 2 },
      apgd: { steps: 10 },
      square: { queries: 30 }
    })
    const before = tf.memory().numTensors
    outcome = await runEvaluation(t.project, request)
    // Models, images and every attack's tensors are released.
    expect(tf.memory().numTensors).toBe(before)
  })
  afterAll(() => t.cleanup())

  it('measures every model on the same 40 images: the source, which labelled them, is right on all', () => {
    const e = outcome.evaluation
    expect(e.samples).toBe(40)
    expect(e.epsilons).toEqual([0.05, 0.3])
    expect(e.threats).toEqual(['transfer', 'ensemble', 'pgd', 'apgd-ce', 'apgd-dlr', 'square'])
    const source = e.models[0]!
    expect(source.clean).toMatchObject({ count: 40, total: 40, value: 1 })
    for (const m of e.models) {
      for (const at of m.byEpsilon) {
        const correct = m.clean.count
        let alive = correct
        for (const th of at.threats) {
          expect(th.robust.total).toBe(40)
          if (th.basis === 'standalone') {
            // Standalone: ran on every correctly classified image.
            expect(th.ranOn).toBe(correct)
            expect(th.robust.count).toBe(correct - th.fooled)
          } else {
            // Cascade: ran only on the images nothing before had fooled.
            expect(th.ranOn).toBeLessThanOrEqual(alive)
          }
          alive = Math.min(alive, th.robust.count)
          expect(at.worst.count).toBeLessThanOrEqual(th.robust.count)
        }
        expect(at.worst.count).toBe(alive)
      }
      // A linear model at ε = 30 %: white-box PGD fools far more than at 5 %.
      const [small, large] = m.byEpsilon
      expect(large!.worst.count).toBeLessThan(small!.worst.count + 1)
    }
    expect(source.byEpsilon[1]!.worst.count).toBeLessThan(20)
  })

  it('stores the request verbatim and the settings it resolved to', () => {
    const run = getRun(t.project.db, outcome.runId)!
    expect(run.kind).toBe('robustness-evaluation')
    expect(run.status).toBe('done')
    expect(run.seed).toBe(2)
    expect(run.modelIds).toEqual([t.sourceId, t.ordinaryId, t.orthogonalId])
    const config = run.config as { request: unknown; resolved: Record<string, unknown> }
    expect(config.request).toEqual(request)
    expect(config.resolved).toMatchObject({
      epsilons: [0.05, 0.3],
      sampleCount: 40,
      pgd: { steps: 3, restarts: 2 },
      apgd: { steps: 10, restarts: 1 },
      square: { queries: 30, pInit: 0.8 },
      checks: true,
      referenceId: t.sourceId
    })
    // The attacks ran with what was asked (the engine's record of each threat).
    const threats = outcome.evaluation.models[0]!.byEpsilon[0]!.threats
    expect(threats.find((x) => x.threat === 'square')!.config.queries).toBe(30)
    expect(threats.find((x) => x.threat === 'pgd')!.config.restarts).toBe(2)
  })

  it('reopens after the project is closed: the view has the same numbers, verdicts and flags', () => {
    t.project.close()
    const p = openProject(t.path)
    try {
      const view = evaluationView(p, getRun(p.db, outcome.runId)!)
      expect(view.samples).toBe(40)
      expect(view.source).toEqual({ modelId: t.sourceId, name: 'source' })
      expect(view.ensemble.map((m) => m.modelId)).toEqual([t.sourceId, t.ordinaryId])
      expect(view.models.map((m) => m.modelId)).toEqual([t.sourceId, t.ordinaryId, t.orthogonalId])
      expect(view.models.map((m) => m.kind)).toEqual(['reference', 'ordinary', 'orthogonal'])
      for (const [j, m] of view.models.entries()) {
        const stored = outcome.evaluation.models[j]!
        expect(m.clean.count).toBe(stored.clean.count)
        expect(m.byEpsilon.map((e) => e.worst.count)).toEqual(
          stored.byEpsilon.map((e) => e.worst.count)
        )
        // The verdict states the clean accuracy it was computed from.
        expect(m.verdict[0]).toBe(
          `On clean images it is right on ${Math.round(100 * m.clean.value)} % of 40 (95 % CI ${Math.round(100 * m.clean.ci95[0])}–${Math.round(100 * m.clean.ci95[1])} %).`
        )
        // The accuracy-cost flag is up exactly when the model trails the reference by more than 5 points.
        const cost = view.reference!.clean.value - m.clean.value
        expect(m.flags.some((f) => f.code === 'accuracy-cost')).toBe(cost > 0.05 + 1e-9)
        // Cascade threats are labelled as such; white-box PGD carries its settings.
        expect(m.byEpsilon[0]!.threats.find((x) => x.threat === 'pgd')!.label).toBe(
          'White-box PGD (3 steps × 2 restarts)'
        )
        expect(
          m.byEpsilon[0]!.threats.filter((x) => x.basis === 'cascade').map((x) => x.threat)
        ).toEqual(['apgd-ce', 'apgd-dlr', 'square'])
      }
      // The orthogonal model (λ = 30 against the source) is the verdict's subject as a method.
      const orthogonal = view.models[2]!
      expect(orthogonal.verdict.join(' ')).toMatch(/Orthogonal training \(λ = 30\)/)
      expect(orthogonal.verdict.join(' ')).toMatch(/transferred from the reference "source"/)
      expect(view.settings).toContain(
        'Square: 30 queries per image, p_init 0.8 (AutoAttack uses 5,000)'
      )
    } finally {
      p.close()
      t.project = openProject(t.path)
    }
  })

  it('gives the issue’s JSON shape with the project’s model ids and flags as "code: sentence"', () => {
    const json = evaluationJson(outcome.runId, outcome.evaluation)
    expect(Object.keys(json).sort()).toEqual(['epsilons', 'models', 'runId', 'samples', 'threats'])
    expect(json.epsilons).toEqual([0.05, 0.3])
    const m = json.models[1]!
    expect(m.modelId).toBe(t.ordinaryId)
    expect(Object.keys(m.robustAccuracy)).toEqual(['0.05', '0.3'])
    expect(Object.keys(m.robustAccuracy['0.05']!)).toEqual([
      'transfer',
      'ensemble',
      'pgd',
      'apgd-ce',
      'apgd-dlr',
      'square',
      'worst'
    ])
    const stored = outcome.evaluation.models[1]!.byEpsilon[0]!
    expect(m.robustAccuracy['0.05']!.worst).toBe(stored.worst.value)
    expect(m.ci95['0.05']!.worst).toEqual(stored.worst.ci95)
    for (const f of m.flags)
      expect(f).toMatch(
        /^(accuracy-cost|gradient-masking|gradient-free-stronger|more-iterations-weaker|white-box-weaker-than-transfer): \S/
      )
  })

  it('re-runs from the stored request to the same numbers', async () => {
    const replay = replayOf(t.project, outcome.runId)
    expect(replay.kind).toBe('robustness-evaluation')
    expect(replay.args).toEqual(request)
    const again = await runJob(replay, t.project)
    expect(again.runId).not.toBe(outcome.runId)
    const rerun = getRun(t.project.db, again.runId)!
    const stored = (rerun.results as { evaluation: EvaluationOutcome['evaluation'] }).evaluation
    expect(JSON.stringify({ ...stored, seconds: 0 })).toBe(numbers(outcome))
  })

  it('records a cancelled run when cancelled mid-evaluation, and keeps no tensors', async () => {
    const controller = new AbortController()
    const before = tf.memory().numTensors
    const stages: string[] = []
    await expect(
      runEvaluation(t.project, request, {
        signal: controller.signal,
        onProgress: (p) => {
          stages.push(p.stage)
          // Cancel once the first model has been attacked.
          if (/White-box PGD/.test(p.stage)) controller.abort()
        }
      })
    ).rejects.toBeInstanceOf(JobCancelledError)
    expect(stages.some((s) => /White-box PGD on "source" at ε = 5 %/.test(s))).toBe(true)
    expect(stages.some((s) => /ε = 30 %/.test(s))).toBe(false)
    const last = listRuns(t.project.db, { kind: 'robustness-evaluation' })[0]!
    expect(last.status).toBe('cancelled')
    expect(last.error).toBeNull()
    expect(tf.memory().numTensors).toBe(before)
  })

  it('refuses a collapsed model, an unknown one and a transfer threat without a source, recording nothing', async () => {
    const before = listRuns(t.project.db).length
    await expect(
      runEvaluation(t.project, { ...request, modelIds: [t.collapsedId] })
    ).rejects.toThrow(/"collapsed".*collapsed.*evaluated model/)
    await expect(runEvaluation(t.project, { ...request, ensembleIds: [999] })).rejects.toThrow(
      /model 999 does not exist in this project/
    )
    expect(() =>
      parseArgs('evaluation.run', { datasetId: 1, modelIds: [1], threats: ['transfer'] })
    ).toThrow(/sourceId: the "transfer" threat needs a source model/)
    expect(() =>
      parseArgs('evaluation.run', { datasetId: 1, modelIds: [1], epsilons: [0.03, 0] })
    ).toThrow(/epsilons\[1\]: must be greater than 0/)
    expect(() => parseArgs('evaluation.run', { datasetId: 1, modelIds: [1, 1] })).toThrow(
      /modelIds: lists a model twice/
    )
    expect(() =>
      parseArgs('evaluation.run', { datasetId: 1, modelIds: [1], square: { queries: 100_001 } })
    ).toThrow(/square\.queries: must be between 1 and 100000/)
    expect(listRuns(t.project.db).length).toBe(before)
  })
})
