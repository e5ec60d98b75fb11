/**
 * `ortholens demo`: the one-command audit on the built-in sample (SPEC §2.9). It trains a
 * reference, an ordinary retrained model (another seed) and an orthogonal model (λ = 30)
 * against the reference, and prints a Table 6.1-style table: δ to the reference and
 * validation accuracy for each.
 */
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { backendInfo } from '../engine/backend'
import type { ArchitectureId } from '../engine/models'
import type { TrainConfig } from '../engine/training/train'
import { createProject, type ProjectDb } from '../store'
import { importDataset } from '../services/datasets'
import { similarityReport, trainModel, type TrainResult } from '../services/models'
import { log, pct, progressPrinter, table } from './output'

export interface DemoOptions {
  projectPath?: string
  arch: ArchitectureId
  epochs: number
  trainSamples: number
  lambda: number
  penalty: TrainConfig['penalty']
  /** Validation images for the δ / accuracy table. */
  samples: number
  json: boolean
  quiet: boolean
}

export const DEMO_DEFAULTS: Omit<DemoOptions, 'json' | 'quiet'> = {
  arch: 'cnn',
  epochs: 6,
  trainSamples: 20_000,
  lambda: 30,
  penalty: 'squared',
  samples: 1000
}

export interface DemoModelRow {
  role: 'reference' | 'ordinary' | 'orthogonal'
  modelId: number
  name: string
  lambda: number
  seed: number
  status: string
  valAccuracy: number
  /** δ to the reference, mean ± std over the validation subset (NaN for the reference). */
  delta: { mean: number; std: number; meanAbs: number }
  trainSeconds: number
}

export interface DemoSummary {
  project: string
  backend: string
  arch: ArchitectureId
  config: Omit<DemoOptions, 'json' | 'quiet' | 'projectPath'>
  models: DemoModelRow[]
  seconds: number
}

function defaultProjectPath(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)
  return resolve('ortholens-demo', `demo-${stamp}.ortholens`)
}

export async function runDemo(opts: DemoOptions): Promise<DemoSummary> {
  const started = performance.now()
  const path = resolve(opts.projectPath ?? defaultProjectPath())
  mkdirSync(dirname(path), { recursive: true })
  const backend = await backendInfo()
  log(opts.quiet, `Ortholens demo — backend: ${backend.name} (${backend.detail}); project: ${path}`)
  const project: ProjectDb = createProject(path, { name: 'Ortholens demo audit' })
  try {
    const progress = progressPrinter(opts.quiet)
    const { datasetId, summary } = await importDataset(project, { source: 'builtin' }, { onProgress: progress })
    log(opts.quiet, `Dataset: ${summary.name}, ${summary.trainCount} training / ${summary.validationCount} validation images`)

    const base: Partial<TrainConfig> = {
      epochs: opts.epochs,
      trainSamples: opts.trainSamples,
      evalEvery: 1,
      patience: 2
    }
    const train = async (role: DemoModelRow['role'], seed: number, lambda: number, referenceModelId?: number) => {
      log(opts.quiet, `\nTraining the ${role} model (seed ${seed}, λ = ${lambda}${lambda > 0 ? `, penalty ${opts.penalty}` : ''})`)
      const result = await trainModel(
        project,
        {
          name: `${opts.arch} ${role}${lambda > 0 ? ` λ=${lambda}` : ''}`,
          datasetId,
          arch: opts.arch,
          referenceModelId,
          config: { ...base, seed, lambda, penalty: opts.penalty }
        },
        { onProgress: progress }
      )
      if (result.status !== 'ready') {
        log(opts.quiet, `  ! ${role} model ended as ${result.status}${result.message ? `: ${result.message}` : ''}`)
      }
      return result
    }
    const reference = await train('reference', 1, 0)
    const ordinary = await train('ordinary', 2, 0)
    const orthogonal = await train('orthogonal', 3, opts.lambda, reference.modelId)

    const rows: DemoModelRow[] = []
    const rowOf = async (role: DemoModelRow['role'], r: TrainResult, seed: number, lambda: number) => {
      const sim =
        role === 'reference'
          ? undefined
          : await similarityReport(project, { modelA: reference.modelId, modelB: r.modelId, datasetId, samples: opts.samples })
      rows.push({
        role,
        modelId: r.modelId,
        name: `${opts.arch} ${role}`,
        lambda,
        seed,
        status: r.status,
        valAccuracy: r.valAccuracy,
        delta: sim ? { mean: sim.mean, std: sim.std, meanAbs: sim.meanAbs } : { mean: NaN, std: NaN, meanAbs: NaN },
        trainSeconds: r.outcome.seconds
      })
    }
    await rowOf('reference', reference, 1, 0)
    await rowOf('ordinary', ordinary, 2, 0)
    await rowOf('orthogonal', orthogonal, 3, opts.lambda)

    if (!opts.json) {
      console.log('\nTable 6.1-style summary (δ to the reference over ' + opts.samples + ' validation images)')
      console.log(
        table(
          ['Model-1', 'Model-2', 'λ', 'Similarity δ (mean ± std)', 'mean |δ|', 'Val. acc.', 'status', 'train s'],
          rows.map((r) => [
            'reference',
            r.role,
            r.lambda,
            Number.isFinite(r.delta.mean) ? `${r.delta.mean.toFixed(4)} ± ${r.delta.std.toFixed(4)}` : '— (itself)',
            Number.isFinite(r.delta.meanAbs) ? r.delta.meanAbs.toFixed(4) : '—',
            pct(r.valAccuracy),
            r.status,
            r.trainSeconds.toFixed(0)
          ])
        )
      )
    }
    const { json: _j, quiet: _q, projectPath: _p, ...config } = opts
    return {
      project: path,
      backend: backend.name,
      arch: opts.arch,
      config,
      models: rows,
      seconds: (performance.now() - started) / 1000
    }
  } finally {
    project.close()
  }
}
