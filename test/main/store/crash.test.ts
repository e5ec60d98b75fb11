import { spawn } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createProject, openProject } from '../../../src/main/store/open'
import { listDatasets, loadDataset } from '../../../src/main/store/repos/datasets'
import { listModelHistory, listModels, loadModel } from '../../../src/main/store/repos/models'
import { listRuns } from '../../../src/main/store/repos/runs'
import { quickCheck } from '../../../src/main/store/repos/schema'
import { floats, makeDataset, sidecars, tempDir } from './helpers'

let dir: string
let cleanup: () => void
beforeEach(() => ({ dir, cleanup } = tempDir()))
afterEach(() => cleanup())

const here = fileURLToPath(new URL('.', import.meta.url))
const repoRoot = resolve(here, '../../..')
const writer = resolve(here, 'fixtures/crash-writer.ts')

/** Runs the writer and SIGKILLs it once it reports being inside its big transaction. */
function runAndKillMidTransaction(path: string): Promise<{ stdout: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, path], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      if (stdout.includes('in-transaction\n')) child.kill('SIGKILL')
    })
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited with ${code}: ${stderr}`))
      else resolvePromise({ stdout })
    })
  })
}

describe('a process killed in the middle of a transaction', () => {
  it('loses nothing committed and leaves a project that opens', async () => {
    const path = join(dir, 'crash.ortho')
    createProject(path, { name: 'crash' }).close()

    const { stdout } = await runAndKillMidTransaction(path)
    expect(stdout).toBe('committed\nin-transaction\n')
    // The kill left the WAL behind, holding the committed work (and maybe spilled pages of
    // the uncommitted transaction).
    expect(existsSync(path + '-wal')).toBe(true)
    expect(statSync(path + '-wal').size).toBeGreaterThan(0)

    // Read-only first: sees exactly the committed state, marks nothing.
    const ro = openProject(path, { readonly: true })
    expect(listDatasets(ro.db).map((d) => d.trainCount)).toEqual([40])
    expect(listRuns(ro.db)[0]!.status).toBe('running')
    ro.close()

    const p = openProject(path)
    expect(quickCheck(p.db)).toEqual([])
    expect(listDatasets(p.db)).toHaveLength(1)
    expect(loadDataset(p.db, listDatasets(p.db)[0]!.id)).toEqual(makeDataset(40, 10, [4, 5, 3], 21))
    const [model] = listModels(p.db)
    expect(model!.name).toBe('committed')
    expect(loadModel(p.db, model!.id).weights.data).toEqual(floats(64, 4))
    expect(listModelHistory(p.db, model!.id).map((h) => h.epoch)).toEqual([1])
    expect(p.db.prepare('SELECT count(*) AS n FROM dataset_chunks').get()).toEqual({ n: 2 })
    const runs = listRuns(p.db)
    expect(runs.map((r) => r.status)).toEqual(['interrupted'])
    expect(p.interruptedRunIds).toEqual([runs[0]!.id])
    p.close()
    expect(sidecars(path)).toEqual([])
  })
})
