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
    const thrown = closeFailedRun(db, aborted, Object.assign(new Error('stop'), { name: 'AbortError' }), controller.signal)
    expect(thrown).toBeInstanceOf(JobCancelledError)
    expect(getRun(project.db, aborted)).toMatchObject({ status: 'cancelled', error: null })
    project.close()
    cleanup()
  })
})
