/**
 * Job bodies, one per JobKind: each opens the project file in this worker (its own SQLite
 * connection; WAL lets it write while the main side reads) and calls the application
 * services shared with the CLI. Arguments were validated by the IPC layer before queueing.
 */
import type { Args } from '../../contract/requests'
import { openProject, type ProjectDb } from '../store'
import { importDataset } from '../services/datasets'
import { similarityReport, trainModel } from '../services/models'
import type { JobHooks, JobRunners } from './messages'

const projects = new Map<string, ProjectDb>()

/**
 * One read-write connection per project file per worker, kept open between jobs so the
 * services' dataset cache stays warm.
 */
function project(path: string): ProjectDb {
  let p = projects.get(path)
  if (!p || p.closed) {
    p = openProject(path)
    projects.set(path, p)
  }
  return p
}

/** Closes this worker's connections (the queue is shutting the worker down). */
export function closeProjects(): void {
  for (const p of projects.values()) if (!p.closed) p.close()
  projects.clear()
}

function serviceHooks(hooks: JobHooks) {
  return {
    signal: hooks.signal,
    onProgress: (p: { fraction: number; stage: string; etaSeconds?: number; metrics?: Record<string, number> }) =>
      hooks.onProgress(p)
  }
}

const num = (id: string): number => Number(id)

export const jobRunners: JobRunners = {
  'import-dataset': async (path, raw, hooks) => {
    const args = raw as Args<'datasets.import'>
    const src = args.source
    const result = await importDataset(
      project(path),
      {
        source: src.kind,
        path: src.kind === 'builtin' ? undefined : src.kind === 'idx' ? src.paths[0] : src.path,
        name: args.name,
        options: {
          ...(args.validationFraction !== undefined ? { validationFraction: args.validationFraction, split: 'seeded' } : {}),
          ...(args.seed !== undefined ? { splitSeed: args.seed } : {}),
          ...(args.resize ? { size: args.resize } : {}),
          ...(args.maxPerClass ? { maxPerClass: args.maxPerClass } : {}),
          ...(args.onBadFile ? { onBadFile: args.onBadFile } : {})
        }
      },
      serviceHooks(hooks)
    )
    return { datasetId: String(result.datasetId) }
  },

  train: async (path, raw, hooks) => {
    const a = raw as Args<'models.train'>
    const result = await trainModel(
      project(path),
      {
        name: a.name,
        datasetId: num(a.datasetId),
        arch: a.architecture,
        referenceModelId: a.referenceId === null ? undefined : num(a.referenceId),
        config: {
          epochs: a.epochs,
          lambda: a.lambda,
          penalty: a.penaltyForm,
          ...(a.batchSize !== undefined ? { batchSize: a.batchSize } : {}),
          ...(a.learningRate !== undefined ? { learningRate: a.learningRate } : {}),
          ...(a.validateEvery !== undefined ? { evalEvery: a.validateEvery } : {}),
          ...(a.trainLimit !== undefined ? { trainSamples: a.trainLimit } : {}),
          ...(a.seed !== undefined ? { seed: a.seed } : {})
        }
      },
      serviceHooks(hooks)
    )
    return { modelId: String(result.modelId), runId: String(result.runId), status: result.status, message: result.message }
  },

  similarity: async (path, raw) => {
    const a = raw as Args<'models.similarity'>
    const r = await similarityReport(project(path), {
      modelA: num(a.a),
      modelB: num(a.b),
      datasetId: num(a.datasetId),
      ...(a.limit ? { samples: a.limit } : {})
    })
    return { a: a.a, b: a.b, mean: r.mean, std: r.std, count: r.count, runId: String(r.runId) }
  }
}
