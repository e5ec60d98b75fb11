/**
 * Issue 19: a training that meets a full disk cannot record its end, so its run stays
 * 'running' and its model 'training'. Only the worker thread that ran it can tell it from a
 * live one, and the worker lives as long as the project is open: the job bodies reconcile
 * such runs after a failed job and before the next one, so the run is cleared once space is
 * freed, without reopening the project or restarting the app. The full disk is made as
 * recovery.test.ts makes it: the worker's connection refuses every write (query_only).
 *
 * The bodies run in this thread (as the worker runs them), on the worker's own connection.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../src/main/engine/backend'
import { closeProjects, jobRunners, workerProject } from '../../../src/main/jobs/runners'
import type { WorkerHooks } from '../../../src/main/jobs/messages'
import {
  createProject,
  getRun,
  listModels,
  listRuns,
  openProject,
  saveDataset
} from '../../../src/main/store'
import { syntheticDataset } from '../../helpers/syntheticDataset'

const dir = mkdtempSync(join(tmpdir(), 'ortholens-reconcile-'))
const path = join(dir, 'p.ortholens')
let datasetId = 0

beforeAll(async () => {
  await initBackend('cpu')
  const p = createProject(path, { name: 'reconcile' })
  datasetId = saveDataset(p.writable(), {
    ...syntheticDataset({ train: 60, validation: 30 }),
    name: 'tiny'
  })
  p.close()
})
afterAll(() => {
  closeProjects()
  rmSync(dir, { recursive: true, force: true })
})

function hooks(onProgress: WorkerHooks['onProgress'] = () => undefined): WorkerHooks {
  return { onProgress, signal: new AbortController().signal, log: () => undefined }
}

/** What another connection (the window's) reads. */
function seen(): { runs: { kind: string; status: string }[]; models: string[] } {
  const p = openProject(path, { readonly: true })
  try {
    return {
      runs: listRuns(p.db).map((r) => ({ kind: r.kind, status: r.status })),
      models: listModels(p.db).map((m) => m.status)
    }
  } finally {
    p.close()
  }
}

describe('a run stuck by a full disk is cleared by the worker, without a reopen', () => {
  it('by the next job once space is freed; the failed job reports its own error', async () => {
    const conn = workerProject(path)
    const full = (on: boolean): void =>
      void conn.writable().pragma(`query_only = ${on ? 'ON' : 'OFF'}`)
    // The disk fills once training has begun: no checkpoint, progress or end can be written.
    let filled = false
    const error = await jobRunners
      .train(
        path,
        {
          name: 'stuck',
          datasetId,
          architecture: 'cnn',
          lambda: 0,
          penaltyForm: 'squared',
          epochs: 5,
          batchSize: 16
        },
        hooks((p) => {
          if (!filled && /epoch/i.test(p.stage)) {
            filled = true
            full(true)
          }
        })
      )
      .catch((e: unknown) => e)
    expect(filled).toBe(true)
    // The write that met the full disk, not a later one that failed after it.
    expect((error as { code?: string }).code).toBe('SQLITE_READONLY')
    // The disk is still full: the job could neither finish its run nor have it reconciled.
    const train = listRuns(conn.db, { kind: 'train' })
    expect(train.map((r) => r.status)).toEqual(['running'])
    expect(seen().models).toEqual(['training'])

    // Space is freed. The next job (here one that fails at once: a folder that does not
    // exist) clears the stuck run, and its own failure records its own nothing.
    full(false)
    await expect(
      jobRunners['import-dataset'](
        path,
        { source: { kind: 'imageFolder', path: join(dir, 'gone') } },
        hooks()
      )
    ).rejects.toThrow(/gone/)
    expect(getRun(conn.db, train[0]!.id)!.status).toBe('interrupted')
    const after = seen()
    expect(after.runs).toEqual([{ kind: 'train', status: 'interrupted' }])
    // No checkpoint was saved before the disk filled: the model is failed, not left training.
    expect(after.models).toEqual(['failed'])
  })

  it('a job that fails on its own leaves its run failed and nothing else touched', async () => {
    const before = seen()
    await expect(
      jobRunners.similarity(path, { datasetId, modelA: 9999, modelB: 9998 }, hooks())
    ).rejects.toThrow('model 9999 does not exist in this project')
    expect(seen()).toEqual(before)
  })
})
