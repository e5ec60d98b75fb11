/**
 * Rename and delete through the IPC contract, as the window calls them: the dependents list,
 * the refusal code without confirmation, and a job queued in the window on a model blocking
 * its delete (the store cannot see a job that has not started).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Session, type HandlerContext, type Host } from '../../../src/main/ipc/context'
import { dispatch } from '../../../src/main/ipc/registry'
import { initBackend } from '../../../src/main/engine/backend'
import { similarityReport } from '../../../src/main/services/models'
import { openProject } from '../../../src/main/store'
import { tinyProject, type TinyProject } from '../services/fixtures'

await initBackend('cpu')

const countingWorker = { url: new URL('../jobs/fixtures/countingWorker.ts', import.meta.url) }
let t: TinyProject
let ctx: HandlerContext
let similarityRun: number

beforeEach(async () => {
  t = tinyProject()
  similarityRun = (
    await similarityReport(t.project, {
      datasetId: t.datasetId,
      modelA: t.sourceId,
      modelB: t.ordinaryId,
      valLimit: 8
    })
  ).runId
  t.project.close()
  const host: Host = {
    emit: () => undefined,
    pickPath: async (_p, typed) => (typed ? [typed] : null),
    nativeDialogs: false,
    settingsDir: t.dir,
    workerEntry: countingWorker
  }
  ctx = { host, session: new Session(host) }
  await ctx.session.attach(openProject(t.path))
})
afterEach(async () => {
  await ctx.session.detach()
  t.cleanup()
})

describe('rename and delete over the contract', () => {
  it('lists dependents, refuses without confirmation, deletes with it', async () => {
    const deps = await dispatch('models.dependents', { modelId: t.ordinaryId }, ctx)
    expect(deps).toMatchObject({
      ok: true,
      value: {
        target: { kind: 'model', name: 'ordinary' },
        models: [],
        runs: [{ id: similarityRun, kind: 'similarity' }],
        blockers: []
      }
    })
    const refused = await dispatch('models.delete', { modelId: t.ordinaryId }, ctx)
    expect(refused).toMatchObject({ ok: false, error: { code: 'has-dependents' } })
    const done = await dispatch(
      'models.delete',
      { modelId: t.ordinaryId, withDependents: true },
      ctx
    )
    expect(done).toEqual({ ok: true, value: { datasets: 0, models: 1, runs: 1, galleryImages: 0 } })
    const list = (await dispatch('models.list', {}, ctx)) as { ok: true; value: { id: number }[] }
    expect(list.value.map((m) => m.id)).not.toContain(t.ordinaryId)
    await expect(dispatch('models.delete', { modelId: t.ordinaryId }, ctx)).resolves.toMatchObject({
      ok: false,
      error: { code: 'not-found' }
    })
  })

  it('a job queued on a model blocks its delete until it is gone', async () => {
    const jobs = ctx.session.jobs!
    // The counting worker's long "training" holds the lane; the sweep waits behind it.
    const running = jobs.enqueue(
      'train',
      { name: 'x', datasetId: t.datasetId, architecture: 'cnn', epochs: 100000 },
      'long'
    )
    const queued = jobs.enqueue(
      'attack-sweep',
      { datasetId: t.datasetId, sourceId: t.sourceId },
      'Sweep from source'
    )
    const deps = (await dispatch('models.dependents', { modelId: t.sourceId }, ctx)) as {
      ok: true
      value: { blockers: string[] }
    }
    expect(deps.value.blockers).toEqual([
      '"Sweep from source" is queued on it; wait for it or cancel it first.'
    ])
    await expect(
      dispatch('models.delete', { modelId: t.sourceId, withDependents: true }, ctx)
    ).resolves.toMatchObject({
      ok: false,
      error: { code: 'busy' }
    })
    jobs.cancel(queued.id)
    jobs.cancel(running.id)
    const after = (await dispatch('models.dependents', { modelId: t.sourceId }, ctx)) as {
      ok: true
      value: { blockers: string[] }
    }
    expect(after.value.blockers).toEqual([])
  })

  it('renames, with a suffix when the name is taken', async () => {
    await expect(
      dispatch('datasets.rename', { datasetId: t.datasetId, name: 'Fashion' }, ctx)
    ).resolves.toEqual({
      ok: true,
      value: { name: 'Fashion' }
    })
    await expect(
      dispatch('models.rename', { modelId: t.ordinaryId, name: 'source' }, ctx)
    ).resolves.toMatchObject({
      ok: true,
      value: { name: 'source (2)', warning: expect.stringContaining('already exists') }
    })
    await expect(
      dispatch('models.rename', { modelId: t.ordinaryId, name: '' }, ctx)
    ).resolves.toMatchObject({
      ok: false,
      error: { code: 'invalid-args' }
    })
  })

  it('deletes a run with its gallery count in the list first', async () => {
    await expect(
      dispatch('results.dependents', { runId: similarityRun }, ctx)
    ).resolves.toMatchObject({
      ok: true,
      value: {
        target: { kind: 'run', name: `run #${similarityRun} (similarity)` },
        galleryImages: 0
      }
    })
    await expect(dispatch('results.delete', { runId: similarityRun }, ctx)).resolves.toMatchObject({
      ok: true,
      value: { runs: 1 }
    })
  })
})
