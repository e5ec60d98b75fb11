/**
 * One request from the window or the command line to the run record and back: a model
 * trained from the command line with settings the window's slider cannot reach (λ = 150, the
 * absolute penalty, patience 1) re-runs to bit-identical weights with `ortholens rerun`, and
 * from the window's Re-run (the job worker); a model trained from the window (IPC handler →
 * job queue → worker) re-runs to bit-identical weights from the command line. Weights are
 * compared as the exported TF.js weight files, byte for byte.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { EventMap } from '../../../src/contract/events'
import type { JobResults } from '../../../src/contract/jobs'
import type { TrainRequest } from '../../../src/contract/requests'
import { main } from '../../../src/main/cli/index'
import { initBackend } from '../../../src/main/engine/backend'
import { Session, type HandlerContext, type Host } from '../../../src/main/ipc/context'
import { dispatch } from '../../../src/main/ipc/registry'
import { getRun, openProject } from '../../../src/main/store'

await initBackend('cpu')

const dir = mkdtempSync(join(tmpdir(), 'ortholens-rerun-'))
const file = join(dir, 'rerun.ortholens')
/** Small enough for seconds on the cpu backend: 256 images, 1 epoch, 64 validation images. */
const SMALL = ['--epochs', '1', '--train-samples', '256', '--val-samples', '64', '--batch', '32']

/** Runs the CLI with --json on the cpu backend; returns the exit code and the parsed output. */
async function cli<T>(args: string[]): Promise<{ code: number; out: T }> {
  const lines: string[] = []
  const spy = vi
    .spyOn(console, 'log')
    .mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')))
  try {
    const code = await main([...args, '--backend', 'cpu', '--quiet', '--json'])
    return { code, out: JSON.parse(lines.join('\n')) as T }
  } finally {
    spy.mockRestore()
  }
}

/** The model's weights as `model export` writes them: the bytes of every weight file. */
async function exportedWeights(modelId: number): Promise<Buffer> {
  const out = join(dir, `export-${modelId}`)
  const { out: r } = await cli<{ weightFiles: string[] }>([
    'model',
    'export',
    file,
    '--model',
    String(modelId),
    '--out',
    out
  ])
  expect(r.weightFiles.length).toBeGreaterThan(0)
  return Buffer.concat(r.weightFiles.map((f) => readFileSync(f)))
}

function storedRequest(runId: number): unknown {
  const p = openProject(file, { readonly: true })
  try {
    return (getRun(p.db, runId)!.config as { request: unknown }).request
  } finally {
    p.close()
  }
}

type Trained = { modelId: number; runId: number; status: string }
let referenceId = 0
let cliTrained: Trained

beforeAll(async () => {
  await cli(['project', 'create', file])
  const ds = await cli<{ datasetId: number }>(['dataset', 'import', file, '--source', 'builtin'])
  expect(ds.out.datasetId).toBe(1)
  const ref = await cli<Trained>([
    'train',
    file,
    '--dataset',
    '1',
    '--arch',
    'cnn',
    '--name',
    'Reference',
    '--seed',
    '1',
    ...SMALL
  ])
  referenceId = ref.out.modelId
  const ortho = await cli<Trained>([
    'train',
    file,
    '--dataset',
    '1',
    '--arch',
    'cnn',
    '--name',
    'Orthogonal λ=150',
    '--reference',
    String(referenceId),
    '--lambda',
    '150',
    '--penalty',
    'absolute',
    '--patience',
    '1',
    '--seed',
    '2',
    ...SMALL
  ])
  cliTrained = ortho.out
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('re-running a stored request', () => {
  it('stores the command line request exactly as the window would send it', () => {
    expect(storedRequest(cliTrained.runId)).toEqual({
      name: 'Orthogonal λ=150',
      datasetId: 1,
      architecture: 'cnn',
      referenceId,
      lambda: 150,
      penaltyForm: 'absolute',
      patience: 1,
      seed: 2,
      epochs: 1,
      trainLimit: 256,
      valLimit: 64,
      batchSize: 32
    } satisfies TrainRequest)
  })

  it('`ortholens rerun` of a command-line training gives bit-identical weights', async () => {
    const { code, out } = await cli<{
      rerunOf: number
      kind: string
      request: TrainRequest
      result: JobResults['train']
    }>(['rerun', file, '--run', String(cliTrained.runId)])
    expect(code).toBe(cliTrained.status === 'ready' ? 0 : 3)
    expect(out).toMatchObject({
      rerunOf: cliTrained.runId,
      kind: 'train',
      request: { lambda: 150, penaltyForm: 'absolute', patience: 1 }
    })
    expect(out.result.modelId).not.toBe(cliTrained.modelId)
    expect(out.request.name).toBe('Orthogonal λ=150 (re-run)')
    expect(out.result.status).toBe(cliTrained.status)
    const original = await exportedWeights(cliTrained.modelId)
    expect((await exportedWeights(out.result.modelId)).equals(original)).toBe(true)
    // The comparison can fail: the reference (another seed, λ = 0) has other weights.
    expect((await exportedWeights(referenceId)).equals(original)).toBe(false)
    // The re-run's record holds the same request but for the name.
    expect(storedRequest(out.result.runId)).toEqual({
      ...(storedRequest(cliTrained.runId) as object),
      name: 'Orthogonal λ=150 (re-run)'
    })
  })

  it('a window training (IPC → job worker) re-runs from the command line, and the window re-runs a command-line one, bit-identically', async () => {
    const finished = new Map<string, unknown>()
    const failed = new Map<string, string>()
    const host: Host = {
      emit: (name, payload) => {
        if (name === 'job.finished') {
          const p = payload as EventMap['job.finished']
          finished.set(p.job.id, p.result)
        }
        if (name === 'job.failed') {
          const p = payload as EventMap['job.failed']
          failed.set(p.job.id, p.error.message)
        }
      },
      pickPath: async (_purpose, typed) => (typed ? [typed] : null),
      nativeDialogs: false,
      settingsDir: join(dir, 'settings')
    }
    const ctx: HandlerContext = { host, session: new Session(host) }
    const done = async <T>(jobId: string): Promise<T> => {
      while (!finished.has(jobId)) {
        if (failed.has(jobId)) throw new Error(failed.get(jobId))
        await new Promise((r) => setTimeout(r, 50))
      }
      return finished.get(jobId) as T
    }
    // The worker computes on the backend the command line uses (the env reaches the worker).
    const backend = process.env.ORTHOLENS_BACKEND
    process.env.ORTHOLENS_BACKEND = 'cpu'
    let windowTrained: JobResults['train']
    let windowRerun: JobResults['train']
    try {
      ctx.session.allow([file])
      expect((await dispatch('projects.open', { path: file }, ctx)).ok).toBe(true)
      const request: TrainRequest = {
        name: 'From the window',
        datasetId: 1,
        architecture: 'cnn',
        referenceId,
        lambda: 150,
        penaltyForm: 'absolute',
        patience: 1,
        epochs: 1,
        trainLimit: 256,
        valLimit: 64,
        batchSize: 32,
        seed: 3
      }
      const train = await dispatch('models.train', request, ctx)
      expect(train.ok).toBe(true)
      windowTrained = await done<JobResults['train']>((train as { value: { id: string } }).value.id)
      const rerun = await dispatch('results.rerun', { runId: cliTrained.runId }, ctx)
      expect(rerun).toMatchObject({ ok: true, value: { kind: 'train' } })
      windowRerun = await done<JobResults['train']>((rerun as { value: { id: string } }).value.id)
      expect(storedRequest(windowTrained.runId)).toEqual(request)
    } finally {
      await ctx.session.detach()
      if (backend === undefined) delete process.env.ORTHOLENS_BACKEND
      else process.env.ORTHOLENS_BACKEND = backend
    }
    expect(
      (await exportedWeights(windowRerun.modelId)).equals(await exportedWeights(cliTrained.modelId))
    ).toBe(true)
    const { out } = await cli<{ result: JobResults['train'] }>([
      'rerun',
      file,
      '--run',
      String(windowTrained.runId)
    ])
    expect(
      (await exportedWeights(out.result.modelId)).equals(
        await exportedWeights(windowTrained.modelId)
      )
    ).toBe(true)
  })

  it('refuses what cannot be replayed, naming why', async () => {
    await expect(cli(['rerun', file, '--run', '1'])).rejects.toThrow(
      /Runs of kind "import" cannot be re-run/
    )
    await expect(cli(['rerun', file, '--run', '999'])).rejects.toThrow(
      /^run 999 does not exist in this project$/
    )
    await expect(cli(['rerun', file])).rejects.toThrow(/--run is required/)
  })
})
