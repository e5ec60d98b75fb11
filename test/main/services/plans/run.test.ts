/**
 * Plans through the services: a real small plan with white-box evaluation (counts consistent
 * with the worst case per image, no tensor left behind), cancelled in its third model and
 * resumed to completion on the same run; a collapsed model refused as a reference by the train
 * service, the plan, the command line and the window's requests, with the project file
 * untouched; and the sweep's roles from each model's lineage when the source is not the
 * orthogonal model's reference (Figure 6.7's case).
 */
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PlanRequest } from '../../../../src/contract/plans'
import { main } from '../../../../src/main/cli/index'
import { initBackend } from '../../../../src/main/engine/backend'
import { tf } from '../../../../src/main/engine/tf'
import { Session, type HandlerContext, type Host } from '../../../../src/main/ipc/context'
import { dispatch } from '../../../../src/main/ipc/registry'
import { runAttackSweep } from '../../../../src/main/services/audits/sweep'
import { JobCancelledError } from '../../../../src/main/services/hooks'
import { trainModel } from '../../../../src/main/services/models'
import { resumePlan, runPlan } from '../../../../src/main/services/plans/run'
import type { PlanState } from '../../../../src/main/services/plans/state'
import { planResult } from '../../../../src/main/services/plans/table'
import { buildReportHtml, writeReport } from '../../../../src/main/services/report'
import {
  createProject,
  getRun,
  listModels,
  listRuns,
  saveDataset
} from '../../../../src/main/store'
import { syntheticDataset } from '../../../helpers/syntheticDataset'
import { tinyProject, type TinyProject } from '../fixtures'

await initBackend('cpu')

const dir = mkdtempSync(join(tmpdir(), 'ortholens-plans-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('a small plan through the services', () => {
  const file = join(dir, 'plan.ortholens')
  const project = createProject(file, { name: 'plan' })
  const datasetId = saveDataset(project.writable(), syntheticDataset({ train: 96, validation: 60 }))
  afterAll(() => project.close())
  const request: PlanRequest = {
    name: 'S',
    datasetId,
    architectures: ['cnn'],
    lambdas: [0, 30],
    seeds: 2,
    training: { epochs: 2, batchSize: 16, valLimit: 60 },
    evaluation: { attacks: ['pgd'], epsilons: [0.1, 0.3], sampleCount: 20, whiteBox: true }
  }
  let runId = 0

  it('stops as cancelled in its third model, keeping the two it finished', async () => {
    const controller = new AbortController()
    const err = await runPlan(project, request, {
      signal: controller.signal,
      onProgress: (p) => {
        if (/^Model 3 of 5/.test(p.stage)) controller.abort()
      }
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(JobCancelledError)
    runId = listRuns(project.db, { kind: 'plan' })[0]!.id
    const plan = getRun(project.db, runId)!
    expect(plan.status).toBe('cancelled')
    const state = plan.results as PlanState
    expect(state.slots.map((s) => s.status)).toEqual([
      'ready',
      'ready',
      'pending',
      'pending',
      'pending'
    ])
    expect(state.slots[2]!.attempt).not.toBeNull()
    // The plan's run lists the models it finished.
    expect(plan.modelIds).toEqual([state.slots[0]!.modelId, state.slots[1]!.modelId])
  })

  it('resumes on the same run to the end, with white-box and worst-case counts that agree', async () => {
    const before = tf.memory().numTensors
    const outcome = await resumePlan(project, { planRunId: runId })
    // Every model and every evaluation released its tensors.
    expect(tf.memory().numTensors).toBe(before)
    expect(outcome).toMatchObject({ runId, status: 'done', trained: 5, total: 5 })
    const run = getRun(project.db, runId)!
    expect(run.status).toBe('done')
    const state = run.results as PlanState
    expect(state.removedAttempts).toHaveLength(1)
    const evaluation = state.evaluations[0]!
    expect(evaluation.kind).toBe('reference')
    // The reference crafts; every finished, healthy model is a target (a collapsed one is not).
    const healthy = state.slots.filter((s) => s.status === 'ready').map((s) => s.modelId)
    expect(evaluation.modelIds).toEqual(healthy)
    for (const cell of evaluation.cells) {
      // The source's own perturbation is its white-box one.
      expect(cell.counts[0]!.whiteBox).toBe(cell.counts[0]!.transfer)
      for (const c of cell.counts) {
        const worst = evaluation.worstCase
          .find((w) => w.epsilon === cell.epsilon)!
          .counts.find((w) => w.modelId === c.modelId)!.fooled
        // An image counts in the worst case once any attack run on it fooled the model.
        expect(worst).toBeGreaterThanOrEqual(Math.max(c.transfer, c.whiteBox!))
        expect(worst).toBeLessThanOrEqual(
          Math.min(evaluation.sampleCount, c.transfer + c.whiteBox!)
        )
      }
    }
    const r = planResult(run, listModels(project.db))
    expect(r.rows.map((x) => x.lambda)).toEqual([0, 30])
    for (const row of r.rows) {
      expect(Object.keys(row.fooling.pgd!)).toEqual(['0.1', '0.3'])
      expect(Object.keys(row.whiteBox.pgd!)).toEqual(['0.1', '0.3'])
      expect(Object.keys(row.worstCase)).toEqual(['0.1', '0.3'])
      expect(row.worstCase['0.3']!.mean).toBeGreaterThanOrEqual(row.fooling.pgd!['0.3']!.mean)
    }
    // Each model is a normal model with its own training run and settings.
    const orth = listModels(project.db).find((m) => m.name === 'S · cnn λ=30 · seed 2')!
    expect(orth.referenceModelId).toBe(state.referenceId)
    expect(orth.status).toBe('ready')
  })

  it('goes into the HTML report as Table 6.2 and Figure 6.6 (error bars), with its CSVs', () => {
    const html = buildReportHtml(project)
    expect(html).toContain('id="plan-table"')
    expect(html).toContain('Experiment plans: λ and seeds (Table 6.2)')
    expect(html).toMatch(/Figure 6\.6 — plan “S”: crafted on S · reference \(cnn\)/)
    // Error bars: a vertical stroke with two caps per point of the figure.
    expect(html).toMatch(/<path d="M[\d.]+ [\d.]+V[\d.]+M/)
    const r = planResult(getRun(project.db, runId)!, listModels(project.db))
    const cell = r.rows[0]!.fooling.pgd!['0.3']!
    const shown = `${(100 * cell.mean).toFixed(1)} ± ${(100 * cell.std!).toFixed(1)} <small>[${(100 * cell.ci95![0]).toFixed(1)}–${(100 * cell.ci95![1]).toFixed(1)}]</small>`
    expect(html).toContain(shown)
    const out = join(dir, 'csv')
    const { files } = writeReport(project, join(dir, 'report.html'), { csvDir: out })
    expect(files).toContain(join(out, `plan-${runId}-table.csv`))
    expect(files).toContain(join(out, `plan-${runId}-figures.csv`))
  })

  it('refuses to resume a plan that is done', async () => {
    await expect(resumePlan(project, { planRunId: runId })).rejects.toThrow(/already complete/)
  })
})

describe('a collapsed model cannot be a reference', () => {
  let t: TinyProject
  let hash = ''
  const digest = () => createHash('sha256').update(readFileSync(t.path)).digest('hex')
  beforeAll(() => {
    t = tinyProject()
  })
  afterAll(() => t.cleanup())

  it('is refused by the train service and the plan, naming the model and why', async () => {
    const train = trainModel(t.project, {
      name: 'against noise',
      datasetId: t.datasetId,
      architecture: 'cnn',
      referenceId: t.collapsedId,
      lambda: 30
    })
    await expect(train).rejects.toThrow(
      /"collapsed" \(id \d+\) is collapsed and cannot be used as the reference: its training collapsed/
    )
    await expect(
      runPlan(t.project, {
        datasetId: t.datasetId,
        architectures: ['cnn'],
        referenceId: t.collapsedId,
        lambdas: [30],
        seeds: 1
      })
    ).rejects.toThrow(/cannot be used as the reference/)
    expect(listModels(t.project.db)).toHaveLength(4)
  })

  it('is refused by the command line, leaving the project file byte-identical', async () => {
    t.project.close()
    hash = digest()
    const args = [
      '--dataset',
      String(t.datasetId),
      '--reference',
      String(t.collapsedId),
      '--backend',
      'cpu',
      '--quiet'
    ]
    await expect(
      main(['train', t.path, '--arch', 'cnn', '--name', 'x', '--lambda', '30', ...args])
    ).rejects.toThrow(/collapsed and cannot be used as the reference/)
    await expect(
      main(['plan', t.path, '--arch', 'cnn', '--lambdas', '30', '--seeds', '1', ...args])
    ).rejects.toThrow(/collapsed and cannot be used as the reference/)
    expect(digest()).toBe(hash)
  })

  it('is refused by the window’s requests before anything is queued', async () => {
    const host: Host = {
      emit: () => undefined,
      pickPath: async (_purpose, typed) => (typed ? [typed] : null),
      nativeDialogs: false,
      settingsDir: join(dir, 'settings')
    }
    const ctx: HandlerContext = { host, session: new Session(host) }
    try {
      await dispatch('system.pickPath', { purpose: 'project-open', typedPath: t.path }, ctx)
      expect((await dispatch('projects.open', { path: t.path }, ctx)).ok).toBe(true)
      const train = await dispatch(
        'models.train',
        {
          name: 'x',
          datasetId: t.datasetId,
          architecture: 'cnn',
          referenceId: t.collapsedId,
          lambda: 30
        },
        ctx
      )
      expect(train).toMatchObject({
        ok: false,
        error: {
          code: 'invalid-args',
          where: 'referenceId',
          message: expect.stringMatching(/collapsed/)
        }
      })
      const plan = await dispatch(
        'plans.run',
        {
          datasetId: t.datasetId,
          architectures: ['cnn'],
          referenceId: t.collapsedId,
          lambdas: [5],
          seeds: 2
        },
        ctx
      )
      expect(plan).toMatchObject({
        ok: false,
        error: { code: 'invalid-args', where: 'referenceId' }
      })
      expect(await dispatch('jobs.list', {}, ctx)).toEqual({ ok: true, value: [] })
    } finally {
      await ctx.session.detach()
    }
  })
})

describe('roles in a sweep come from each model’s own lineage', () => {
  let t: TinyProject
  beforeAll(() => {
    t = tinyProject()
  })
  afterAll(() => t.cleanup())

  it('with the ordinary model as the source, the orthogonal target stays orthogonal to its reference', async () => {
    const sweep = await runAttackSweep(t.project, {
      datasetId: t.datasetId,
      sourceId: t.ordinaryId,
      targetIds: [t.sourceId, t.orthogonalId],
      attacks: ['fgsm'],
      epsilons: [0, 0.1],
      sampleCount: 20,
      gallerySamples: 0
    })
    const kinds = Object.fromEntries(sweep.curves.map((c) => [c.modelId, [c.kind, c.orthogonalTo]]))
    expect(kinds[t.ordinaryId]).toEqual(['source', null])
    // The thesis' reference is an ordinary model here; the orthogonal model is orthogonal to it,
    // not to the source that crafted the perturbations.
    expect(kinds[t.sourceId]).toEqual(['ordinary', null])
    expect(kinds[t.orthogonalId]).toEqual(['orthogonal', t.sourceId])
    // Every point says how many images it rests on and its interval.
    const p = sweep.curves[0]!.points[1]!
    expect(p.total).toBe(sweep.sampleCount)
    expect(p.fooled! / p.total!).toBe(p.foolingRatio)
  })
})
