/**
 * An experiment plan killed with SIGKILL in the middle (the command line in a child process,
 * killed while it trains its third model) keeps what it finished: on the next open its run is
 * interrupted, its finished models are intact, and `ortholens plan resume` removes the cut
 * model, trains the rest and evaluates. The resumed plan ends with the very weights an
 * uninterrupted plan of the same request gives (every slot trains from its own seed).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../../helpers/cli'
import { loadBuiltinSample } from '../../../src/main/engine/data/builtinSample'
import {
  createProject,
  getRun,
  listModels,
  listRuns,
  loadModel,
  openProject,
  saveDataset
} from '../../../src/main/store'

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..')
const dir = mkdtempSync(join(tmpdir(), 'ortholens-plan-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** λ 0 and 5, two seeds, a trained reference: five small cnn models, PGD at 2 and 8 %. */
const PLAN = [
  '--dataset',
  '1',
  '--arch',
  'cnn',
  '--reference',
  'new',
  '--lambdas',
  '0,5',
  '--seeds',
  '2',
  '--epochs',
  '2',
  '--train-samples',
  '192',
  '--val-samples',
  '64',
  '--batch',
  '32',
  '--attacks',
  'pgd',
  '--epsilons',
  '2,8',
  '--samples',
  '24',
  '--name',
  'K'
]

const sample = loadBuiltinSample()

function newProject(name: string): string {
  const file = join(dir, `${name}.ortholens`)
  const p = createProject(file, { name })
  saveDataset(p.writable(), sample)
  p.close()
  return file
}

/** Runs `ortholens plan` in a child process and SIGKILLs it once it trains model `k`. */
function planAndKill(file: string, k: number): Promise<string> {
  return new Promise((done, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/main/cli/index.ts', 'plan', file, ...PLAN, '--backend', 'cpu'],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ORTHOLENS_THREADS: '1' }
      }
    )
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      const seen = [...stderr.matchAll(/Model (\d+) of 5/g)].map((m) => Number(m[1]))
      if (seen.some((m) => m >= k)) child.kill('SIGKILL')
    })
    child.on('error', reject)
    child.on('exit', (code, signal) =>
      signal === 'SIGKILL' ? done(stderr) : reject(new Error(`plan exited with ${code}: ${stderr}`))
    )
  })
}

async function cli<T>(args: string[]): Promise<{ code: number; out: T }> {
  const { code, out } = await runCli([...args, '--json'])
  return { code, out: JSON.parse(out) as T }
}

interface Slot {
  key: string
  modelId: number | null
  attempt: number | null
  status: string
}
type PlanJson = {
  planRunId: number
  status: string
  rows: {
    lambda: number
    models: number[]
    accuracy: { n: number } | null
    fooling: Record<string, Record<string, { n: number; ci95: number[] }>>
  }[]
  models: { modelId: number; name: string }[]
  reference: { modelId: number }
}

const weightsOf = (file: string, ids: number[]): Float32Array[] => {
  const p = openProject(file, { readonly: true })
  try {
    return ids.map((id) => loadModel(p.db, id).weights.data)
  } finally {
    p.close()
  }
}

describe('a plan killed with SIGKILL', () => {
  it('keeps its finished models and completes on resume, as an uninterrupted plan would', async () => {
    const file = newProject('killed')
    await planAndKill(file, 3)

    // The next open finds the plan and the cut training interrupted.
    const p = openProject(file)
    const plan = listRuns(p.db, { kind: 'plan' })[0]!
    expect(plan.status).toBe('interrupted')
    const slots = (getRun(p.db, plan.id)!.results as { slots: Slot[] }).slots
    const done = slots.filter((s) => s.modelId !== null)
    const cut = slots.find((s) => s.modelId === null && s.attempt !== null)
    expect(done.length).toBeGreaterThanOrEqual(2)
    expect(cut).toBeDefined()
    expect(listModels(p.db).find((m) => m.id === cut!.attempt)?.status).not.toBe('ready')
    expect(listModels(p.db).some((m) => m.status === 'training')).toBe(false)
    p.close()
    const finishedIds = done.map((s) => s.modelId!)
    const before = weightsOf(file, finishedIds)

    const resumed = await cli<PlanJson>(['plan', 'resume', file, '--run', String(plan.id)])
    expect(resumed.code).toBe(0)
    expect(resumed.out.planRunId).toBe(plan.id)
    expect(resumed.out.status).toBe('done')

    const q = openProject(file, { readonly: true })
    const after = getRun(q.db, plan.id)!.results as { slots: Slot[]; removedAttempts: number[] }
    // The finished models kept their ids and weights; the cut one was removed and redone.
    after.slots.forEach((s, i) => {
      expect(s.status).toBe('ready')
      if (slots[i]!.modelId !== null) expect(s.modelId).toBe(slots[i]!.modelId)
    })
    expect(after.removedAttempts).toEqual([cut!.attempt])
    const models = listModels(q.db)
    // Five models in all, every one ready: the cut one left no trace (its id may be reused).
    expect(models.map((m) => m.status)).toEqual(['ready', 'ready', 'ready', 'ready', 'ready'])
    q.close()
    weightsOf(file, finishedIds).forEach((w, i) => expect(w).toEqual(before[i]))
    // Table 6.2 rows: two seeds per λ, and the evaluation over the same 24 images.
    expect(resumed.out.rows.map((r) => [r.lambda, r.models.length, r.accuracy?.n])).toEqual([
      [0, 2, 2],
      [5, 2, 2]
    ])
    const pgd = resumed.out.rows[1]!.fooling.pgd!
    expect(Object.keys(pgd)).toEqual(['0.02', '0.08'])
    expect(pgd['0.08']!.n).toBe(2)
    expect(pgd['0.08']!.ci95).toHaveLength(2)

    // The same request, never interrupted, in another project: the same weights, slot by slot.
    const clean = newProject('clean')
    const straight = await cli<PlanJson>(['plan', clean, ...PLAN])
    expect(straight.code).toBe(0)
    const slotIds = (f: string, runId: number) => {
      const r = openProject(f, { readonly: true })
      try {
        return (getRun(r.db, runId)!.results as { slots: Slot[] }).slots.map((s) => s.modelId!)
      } finally {
        r.close()
      }
    }
    const a = weightsOf(file, slotIds(file, plan.id))
    const b = weightsOf(clean, slotIds(clean, straight.out.planRunId))
    a.forEach((w, i) => expect(w, `slot ${i}`).toEqual(b[i]))
    expect(straight.out.rows).toEqual(
      resumed.out.rows.map((r) => ({
        ...r,
        models: expect.any(Array),
        trainSeconds: expect.anything()
      }))
    )
    // Two plans of five models and a child process on a loaded two-core machine.
  }, 600_000)
})
