/**
 * A job worker that ends mid-job (it crashed, or it was stopped after the close grace) cannot
 * close its run. The queue tells the store that its thread ended (owner.ts) and reconciles
 * through the window's connection at once: the run 'interrupted', its model 'cancelled' with
 * its best checkpoint, else 'failed' — not 'running' / 'training' until the app restarts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { EventMap, EventName } from '../../../src/contract/events'
import { JobQueue, type Emit } from '../../../src/main/jobs/queue'
import { createProject, listModels, listRuns, type ProjectDb } from '../../../src/main/store'

const fixture = { url: new URL('./fixtures/abandoningWorker.ts', import.meta.url) }
const dir = mkdtempSync(join(tmpdir(), 'ortholens-worker-end-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let queue: JobQueue | undefined
let project: ProjectDb | undefined
afterEach(async () => {
  await queue?.close(0)
  queue = undefined
  project?.close()
  project = undefined
})

/** The training run and model the fixture left, as the window's connection reads them now. */
function state(p: ProjectDb, name: string) {
  const model = listModels(p.db).find((m) => m.name === name)
  const run = listRuns(p.db, { kind: 'train' }).find((r) => r.modelIds.includes(model?.id ?? -1))
  return { model: model?.status, checkpoint: model?.checkpoint ?? null, run: run?.status }
}

function setUp(file: string, reconcile: boolean) {
  const p = createProject(join(dir, file), { name: file })
  project = p
  const events: { name: EventName; payload: EventMap[EventName] }[] = []
  /** What the window would read when the job's failure reaches it. */
  const seenAtFailure: ReturnType<typeof state>[] = []
  const emit: Emit = (name, payload) => {
    events.push({ name, payload })
    if (name === 'job.failed') seenAtFailure.push(state(p, 'crash'))
  }
  queue = new JobQueue({
    projectPath: p.path,
    emit,
    worker: fixture,
    ...(reconcile ? { reconcile: () => p.reconcileInterrupted() } : {})
  })
  return { p, q: queue, events, seenAtFailure }
}

const train = (name: string, epochs: number) => ({
  name,
  datasetId: 1,
  architecture: 'cnn' as const,
  epochs
})

async function waitUntil(cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('a job worker that ends mid-job', () => {
  it('crashed: its run is interrupted and its model failed before the job is reported failed', async () => {
    const { p, q, events, seenAtFailure } = setUp('crash.ortholens', true)
    await expect(q.run('train', train('crash', 1), 'crash')).rejects.toMatchObject({
      code: 'internal',
      message: /worker stopped: exit code 9/
    })
    expect(seenAtFailure).toEqual([{ model: 'failed', checkpoint: null, run: 'interrupted' }])
    expect(state(p, 'crash')).toEqual(seenAtFailure[0])
    const logs = events
      .filter((e) => e.name === 'log')
      .map((e) => (e.payload as EventMap['log']).message)
    expect(logs.some((m) => /job worker stopped before its run \d+ ended/.test(m))).toBe(true)
  })

  it('stopped after the close grace: its run is interrupted, its model kept as stopped early with its checkpoint', async () => {
    const { p, q } = setUp('hang.ortholens', true)
    q.enqueue('train', train('hang', 2), 'hang')
    await waitUntil(() => state(p, 'hang').run === 'running')
    // The worker never reads the cancel: after the grace it is told to shut down, then stopped.
    await q.close(50)
    expect(state(p, 'hang')).toEqual({
      model: 'cancelled',
      checkpoint: { epoch: 1, valAccuracy: 0.5 },
      run: 'interrupted'
    })
  })

  it('without reconciling, the run stays running; the ended thread still lets a later reconcile mark it', async () => {
    const { p, q } = setUp('control.ortholens', false)
    await expect(q.run('train', train('crash', 2), 'crash')).rejects.toMatchObject({
      code: 'internal'
    })
    // The bug this guards against: the run outlives its thread.
    expect(state(p, 'crash')).toMatchObject({ model: 'training', run: 'running' })
    // Another thread of this live process counts as alive, unless the queue said it ended.
    expect(p.reconcileInterrupted()).toHaveLength(1)
    expect(state(p, 'crash')).toMatchObject({ model: 'cancelled', run: 'interrupted' })
  })
})
