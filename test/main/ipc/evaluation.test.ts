/**
 * The evaluation's channels driven through `dispatch`, as the window sends them: 'evaluation.run'
 * queues the job with its request verbatim and refuses a model of another shape before queueing;
 * 'evaluation.result' reads a stored run back with verdicts; Results → Re-run queues the stored
 * request again; the CSV export and the model list's accuracy-cost field. The job queue is a
 * recorder (no worker starts); the evaluation itself runs in-process.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobInfo, ModelSummary } from '../../../src/contract/entities'
import type { EvaluationView } from '../../../src/contract/evaluation'
import { Session, type HandlerContext, type Host } from '../../../src/main/ipc/context'
import { dispatch } from '../../../src/main/ipc/registry'
import { initBackend } from '../../../src/main/engine/backend'
import { createRun, finishRun, saveModel } from '../../../src/main/store'
import { runEvaluation } from '../../../src/main/services/evaluation/run'
import { LINEAR, linear, tinyProject, type TinyProject } from '../services/fixtures'

const queued: { kind: string; args: unknown }[] = []
let ctx: HandlerContext
let t: TinyProject
let misfit = 0

beforeAll(async () => {
  await initBackend('cpu')
  t = tinyProject()
  // A model of 4x4 images: it cannot run on the 8x8 dataset.
  const net = linear(9, 'small')
  misfit = saveModel(t.project.writable(), {
    name: 'four-by-four',
    architecture: { ...LINEAR, inputShape: [4, 4, 1] },
    weights: net.exportWeights(),
    status: 'ready'
  })
  net.dispose()
  t.project.close()
  const host: Host = {
    emit: () => undefined,
    pickPath: async (_purpose, typed) => (typed ? [typed] : null),
    nativeDialogs: false,
    settingsDir: join(t.dir, 'settings')
  }
  ctx = { host, session: new Session(host) }
  ctx.session.allow([t.path, join(t.dir, 'out.csv')])
  expect((await dispatch('projects.open', { path: t.path }, ctx)).ok).toBe(true)
  await ctx.session.jobs!.close()
  const enqueue = (kind: string, args: unknown, label: string): JobInfo => {
    queued.push({ kind, args })
    return {
      id: `job-${queued.length}`,
      kind,
      label,
      status: 'queued',
      fraction: 0,
      stage: '',
      etaSeconds: null,
      queuedAt: ''
    } as JobInfo
  }
  ctx.session.jobs = {
    enqueue,
    enqueueJob: (job: { kind: string; args: unknown }, label: string) =>
      enqueue(job.kind, job.args, label),
    close: async () => undefined
  } as never
})

afterAll(async () => {
  await ctx?.session.detach()
  t.cleanup()
})

describe('evaluation channels', () => {
  it('queue the evaluation with its request as sent, and refuse a model that does not fit before queueing', async () => {
    const args = {
      datasetId: t.datasetId,
      modelIds: [t.ordinaryId],
      sourceId: t.sourceId,
      epsilons: [0.05],
      sampleCount: 10
    }
    const ok = await dispatch('evaluation.run', args, ctx)
    expect(ok).toMatchObject({
      ok: true,
      value: {
        kind: 'robustness-evaluation',
        label: 'Robustness evaluation of “ordinary” over 10 images of “tiny”'
      }
    })
    expect(queued.at(-1)).toEqual({ kind: 'robustness-evaluation', args })
    const before = queued.length
    const refused = await dispatch(
      'evaluation.run',
      { ...args, ensembleIds: [t.sourceId, misfit] },
      ctx
    )
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'invalid-args', where: 'ensembleIds' }
    })
    expect((refused as { error: { message: string } }).error.message).toMatch(
      /four-by-four.*ensemble member/
    )
    const invalid = await dispatch('evaluation.run', { ...args, threats: ['ensemble'] }, ctx)
    expect(invalid).toMatchObject({
      ok: false,
      error: {
        code: 'invalid-args',
        message: 'ensembleIds: the "ensemble" threat needs ensemble models'
      }
    })
    expect(queued.length).toBe(before)
  })

  it('read a stored evaluation back with verdicts; re-run queues its request again; CSV exports it', async () => {
    const project = ctx.session.project!
    const request = {
      datasetId: t.datasetId,
      modelIds: [t.ordinaryId, t.orthogonalId],
      sourceId: t.sourceId,
      threats: ['transfer' as const, 'pgd' as const],
      epsilons: [0.2],
      sampleCount: 16,
      pgd: { steps: 2, restarts: 1 },
      checks: false
    }
    const { runId, evaluation } = await runEvaluation(project, request)
    const reply = await dispatch('evaluation.result', { runId }, ctx)
    expect(reply.ok).toBe(true)
    const view = (reply as { value: EvaluationView }).value
    expect(view.runId).toBe(runId)
    expect(view.models.map((m) => m.modelId)).toEqual([t.ordinaryId, t.orthogonalId])
    expect(view.models[1]!.byEpsilon[0]!.worst.count).toBe(
      evaluation.models[1]!.byEpsilon[0]!.worst.count
    )
    expect(view.models[1]!.verdict[0]).toMatch(/^On clean images it is right on \d+ % of 16/)
    expect(view.levels).toEqual({ protects: 0.9, partly: 0.5 })

    const rerun = await dispatch('results.rerun', { runId }, ctx)
    expect(rerun).toMatchObject({ ok: true, value: { kind: 'robustness-evaluation' } })
    expect(queued.at(-1)).toEqual({ kind: 'robustness-evaluation', args: request })

    const csv = await dispatch('results.exportCsv', { runId, path: join(t.dir, 'out.csv') }, ctx)
    expect(csv.ok).toBe(true)
    const lines = readFileSync(join(t.dir, 'out.csv'), 'utf8').trim().split('\n')
    // Two models × (clean, transfer, pgd, worst).
    expect(lines).toHaveLength(1 + 2 * 4)
    expect(lines[0]).toMatch(/^model_id,model,epsilon,threat,basis/)

    // A run of another kind, and a cancelled evaluation, are refused by name.
    const db = project.writable()
    const cancelled = createRun(db, {
      kind: 'robustness-evaluation',
      config: { request, resolved: {} },
      seed: 0,
      backend: 'cpu',
      datasetId: t.datasetId,
      modelIds: []
    })
    finishRun(db, cancelled, { status: 'cancelled', results: {} })
    const other = createRun(db, {
      kind: 'similarity',
      config: {},
      seed: 0,
      backend: 'cpu',
      datasetId: t.datasetId,
      modelIds: []
    })
    expect(await dispatch('evaluation.result', { runId: other }, ctx)).toMatchObject({
      ok: false,
      error: {
        code: 'not-found',
        message: `Run ${other} is a similarity run, not robustness-evaluation`
      }
    })
    expect(await dispatch('evaluation.result', { runId: cancelled }, ctx)).toMatchObject({
      ok: false,
      error: { code: 'not-found', message: `Run ${cancelled} has no results (cancelled)` }
    })
  })

  it('list the accuracy-cost field on every model', async () => {
    const reply = await dispatch('models.list', {}, ctx)
    const models = (reply as { value: ModelSummary[] }).value
    // The fixture's models share a stored accuracy: none is flagged, each says so.
    expect(models.map((m) => m.accuracyCost)).toEqual(models.map(() => null))
  })
})
