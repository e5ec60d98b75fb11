/**
 * Issue 16: an import's run records how long the import took, not 0.0 s. The run is written
 * once the images are read, so its start must be taken when the reading begins.
 */
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { importDataset } from '../../../src/main/services/datasets'
import { createProject, createRun, finishRun, getRun } from '../../../src/main/store'
import { makeTempDir } from '../engine/data/importers/fixtures'

const { dir, cleanup } = makeTempDir('import-duration')
afterAll(cleanup)

/** Holds the thread for `ms` (a progress hook is synchronous). */
function hold(ms: number): void {
  const end = Date.now() + ms
  while (Date.now() < end) {
    // busy wait: the import's own work, made long enough to measure
  }
}

describe('import durations', () => {
  it('a run given its start time measures from it', () => {
    const project = createProject(join(dir, 'a.ortholens'), { name: 'a' })
    const startedAt = new Date(Date.now() - 5_000).toISOString()
    const id = createRun(project.writable(), {
      kind: 'import',
      config: {},
      backend: 'cpu',
      startedAt
    })
    finishRun(project.writable(), id, { status: 'done', results: {} })
    const run = getRun(project.db, id)!
    expect(run.startedAt).toBe(startedAt)
    expect(run.durationMs).toBeGreaterThanOrEqual(5_000)
    project.close()
  })

  it('an import counts the reading of its images, which happens before the run is written', async () => {
    const project = createProject(join(dir, 'b.ortholens'), { name: 'b' })
    // 300 ms spent while "reading": a run started when it is written would say about 0 s.
    const out = await importDataset(
      project,
      { source: { kind: 'builtin' }, maxPerClass: 2 },
      { onProgress: (p) => (p.fraction === 0 ? hold(300) : undefined) }
    )
    const run = getRun(project.db, out.runId)!
    expect(run.durationMs).toBeGreaterThanOrEqual(300)
    project.close()
  })
})
