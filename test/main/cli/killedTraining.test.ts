/**
 * A training killed with SIGKILL (no chance to write anything more) leaves no phantom: the
 * next open marks its run interrupted and its model stopped, and a model that had passed a
 * validation check is offered as usable, with its checkpoint, as after a cancel.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { toModelSummary } from '../../../src/main/ipc/mappers'
import {
  createProject,
  listDatasets,
  listModels,
  listRuns,
  openProject,
  saveDataset
} from '../../../src/main/store'
import { loadBuiltinSample } from '../../../src/main/engine/data/builtinSample'

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..')
const dir = mkdtempSync(join(tmpdir(), 'ortholens-killed-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Runs `ortholens train` and SIGKILLs it once its progress reaches `epoch`. */
function trainAndKill(file: string, epoch: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/main/cli/index.ts',
        'train',
        file,
        '--dataset',
        '1',
        '--arch',
        'cnn',
        '--name',
        'Killed',
        '--epochs',
        '500',
        '--train-samples',
        '256',
        '--val-samples',
        '64',
        '--batch',
        '32',
        '--patience',
        '1000',
        '--backend',
        'cpu'
      ],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ORTHOLENS_THREADS: '1' }
      }
    )
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      const seen = [...stderr.matchAll(/epoch (\d+)\/500/g)].map((m) => Number(m[1]))
      if (seen.some((e) => e >= epoch)) child.kill('SIGKILL')
    })
    child.on('error', reject)
    child.on('exit', (code, signal) =>
      signal === 'SIGKILL'
        ? resolvePromise(stderr)
        : reject(new Error(`train exited with ${code}: ${stderr}`))
    )
  })
}

describe('a training killed with SIGKILL', () => {
  it('reopens with no model training and no run running, and the model usable from its checkpoint', async () => {
    const file = join(dir, 'killed.ortholens')
    const p = createProject(file, { name: 'killed' })
    // Fashion-MNIST: learnable in one short epoch (random images would stop at chance level).
    saveDataset(p.writable(), loadBuiltinSample())
    p.close()
    await trainAndKill(file, 4)

    const reopened = openProject(file)
    try {
      expect(reopened.interruptedRunIds).toHaveLength(1)
      expect(listRuns(reopened.db).filter((r) => r.status === 'running')).toEqual([])
      const model = listModels(reopened.db).find((m) => m.name === 'Killed')!
      // The store's reconciliation on open: stopped early with a checkpoint is 'cancelled'.
      expect(model.status).toBe('cancelled')
      const summary = toModelSummary(model, listDatasets(reopened.db))
      expect(summary.checkpoint!.epoch).toBeGreaterThanOrEqual(1)
      expect(summary.usable).toBe(true)
      // Epochs recorded before the kill: at least the ones it had reported as finished.
      expect(summary.epochsRun).toBeGreaterThanOrEqual(3)
      expect(summary.epochsPlanned).toBe(500)
      expect(summary.accuracy).toBe(summary.checkpoint!.valAccuracy)
      expect(summary.accuracyImages).toBe(64)
    } finally {
      reopened.close()
    }
  })
})
