/**
 * The window's project connection and the job worker's are two connections to one file. A
 * reopen on the main side (open, save-as continuing in the copy, a second window) must not
 * mark a run the worker is still training as 'interrupted': runs record their owner process
 * and only orphans (owner gone) are marked. A dead owner's run in the same file is the control.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { JobQueue, type Emit } from '../../../src/main/jobs/queue'
import type { EventMap, EventName } from '../../../src/contract/events'
import type { Args } from '../../../src/contract/requests'
import { createProject, createRun, getRun, listRuns, openProject } from '../../../src/main/store'
import { importDataset } from '../../../src/main/services/datasets'

const dir = mkdtempSync(join(tmpdir(), 'ortholens-owner-'))
let queue: JobQueue | undefined

afterAll(async () => {
  await queue?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('run ownership across the window and the job worker', () => {
  it('reopening the project while the worker trains leaves the training running; an orphan is marked', async () => {
    const path = join(dir, 'owner.ortholens')
    const main = createProject(path, { name: 'owner' })
    const { datasetId } = await importDataset(main, { source: { kind: 'builtin' } })

    const events: { name: EventName; payload: EventMap[EventName] }[] = []
    const emit: Emit = (name, payload) => void events.push({ name, payload })
    queue = new JobQueue({ projectPath: path, emit })
    const args: Args<'models.train'> = {
      name: 'Long reference',
      datasetId,
      architecture: 'cnn',
      lambda: 0,
      penaltyForm: 'squared',
      epochs: 500,
      trainLimit: 256
    }
    const job = queue.enqueue('train', args, 'train')
    // The training run exists once a step has been reported.
    await waitUntil(() =>
      events.some(
        (e) =>
          e.name === 'job.progress' &&
          /Training/.test((e.payload as EventMap['job.progress']).job.stage)
      )
    )
    const training = listRuns(main.db, { kind: 'train' })
    expect(training).toHaveLength(1)
    expect(training[0]!.status).toBe('running')
    // A run left by a process that no longer exists (pid far above any pid_max), written after
    // the worker's own open so that only the reopen below can mark it.
    const orphan = createRun(main.writable(), {
      kind: 'attack-sweep',
      owner: `${hostname()}:2147483646`,
      config: {},
      backend: 'cpu'
    })

    // The window reopens the same file (as projects.open does) while the worker trains.
    const reopened = openProject(path)
    try {
      expect(reopened.interruptedRunIds).toEqual([orphan])
      expect(getRun(reopened.db, training[0]!.id)!.status).toBe('running')
      expect(getRun(reopened.db, orphan)!.status).toBe('interrupted')
    } finally {
      reopened.close()
    }

    expect(queue.cancel(job.id)).toBe(true)
    await waitUntil(() =>
      events.some(
        (e) => e.name === 'job.cancelled' || e.name === 'job.failed' || e.name === 'job.finished'
      )
    )
    expect(events.find((e) => e.name === 'job.cancelled')).toBeDefined()
    // The worker finished the run itself: cancelled, never interrupted.
    expect(getRun(main.db, training[0]!.id)!.status).toBe('cancelled')
    main.close()
  })
})

async function waitUntil(cond: () => boolean, timeoutMs = 90_000): Promise<void> {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}
