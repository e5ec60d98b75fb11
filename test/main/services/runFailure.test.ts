import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { createProject, createRun, getRun } from '../../../src/main/store'
import { JobCancelledError } from '../../../src/main/services/hooks'
import { closeFailedRun } from '../../../src/main/services/runFailure'
import { tempDir } from '../store/helpers'

const { dir, cleanup } = tempDir()

describe('closeFailedRun', () => {
  it('records a failure with its message and an abort as a cancellation', () => {
    const project = createProject(join(dir, 'runs.ortholens'), { name: 'runs' })
    const db = project.writable()
    const failed = createRun(db, { kind: 'attack-sweep', config: {}, backend: 'cpu' })
    const boom = new Error('disk full')
    expect(closeFailedRun(db, failed, boom)).toBe(boom)
    expect(getRun(project.db, failed)).toMatchObject({ status: 'failed', error: 'disk full' })

    const aborted = createRun(db, { kind: 'attack-sweep', config: {}, backend: 'cpu' })
    const controller = new AbortController()
    controller.abort()
    const thrown = closeFailedRun(
      db,
      aborted,
      Object.assign(new Error('stop'), { name: 'AbortError' }),
      controller.signal
    )
    expect(thrown).toBeInstanceOf(JobCancelledError)
    expect(getRun(project.db, aborted)).toMatchObject({ status: 'cancelled', error: null })
    project.close()
  })

  it('returns the job’s own error when the end cannot be written either (a full disk)', () => {
    const project = createProject(join(dir, 'full.ortholens'), { name: 'full' })
    const db = project.writable()
    const run = createRun(db, { kind: 'train', config: {}, backend: 'cpu' })
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })
    db.pragma('query_only = ON')
    expect(closeFailedRun(db, run, full)).toBe(full)
    db.pragma('query_only = OFF')
    // Left for the worker or the next open, which may now mark it (its owner was released).
    expect(getRun(project.db, run)!.status).toBe('running')
    expect(project.reconcileInterrupted()).toEqual([run])
    project.close()
    cleanup()
  })
})
