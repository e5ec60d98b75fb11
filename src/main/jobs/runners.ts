/**
 * Job bodies, one per JobKind: each opens the project file in this worker (its own SQLite
 * connection; WAL lets it write while the main side reads) and calls the application
 * services shared with the CLI. Arguments were validated by the IPC layer before queueing.
 */
import type { Args } from '../../contract/requests'
import { openProject, type ProjectDb } from '../store'
import { importDataset } from '../services/datasets'
import { similarityReport, trainModel } from '../services/models'
import { attackPreviewJob, attackSweepJob, defenseTableJob } from '../services/audits'
import { explainAdversarialSample, explainSamples, saliencyPgdStudy, sanityStudy } from '../services/explain'
import { exportModelFiles, importModelFiles } from '../services/modelFiles'
import type { JobHooks, JobRunners } from './messages'
import { initBackend } from '../engine/backend'
import { DEFAULT_TRAIN_CONFIG } from '../engine/training/train'

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

const bodies: JobRunners = {
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
          ...(a.valLimit !== undefined
            ? { valSamples: a.valLimit, deltaSamples: Math.min(DEFAULT_TRAIN_CONFIG.deltaSamples, a.valLimit) }
            : {}),
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
  },

  'attack-sweep': (path, raw, hooks) =>
    attackSweepJob(project(path), raw as Args<'attacks.sweep'>, serviceHooks(hooks)),

  'defense-table': (path, raw, hooks) =>
    defenseTableJob(project(path), raw as Args<'defenses.table'>, serviceHooks(hooks)),

  // The ε slider: one image, one attack call; runs on the interactive lane.
  'attack-preview': (path, raw) => attackPreviewJob(project(path), raw as Args<'attacks.preview'>),

  // Explanations: the worker computes and stores the run; the window reads it back by run id.
  explain: async (path, raw, hooks) => {
    const a = raw as Args<'explain.samples'>
    const r = await explainSamples(
      project(path),
      {
        datasetId: num(a.datasetId),
        modelIds: a.modelIds.map(num),
        ...(a.sampleIndices ? { sampleIndices: a.sampleIndices } : {}),
        ...(a.count ? { count: a.count } : {}),
        ...(a.methods ? { methods: a.methods } : {}),
        ...(a.seed !== undefined ? { seed: a.seed } : {})
      },
      serviceHooks(hooks)
    )
    return { runId: String(r.runId) }
  },

  'explain-adversarial': async (path, raw, hooks) => {
    const a = raw as Args<'explain.adversarial'>
    const r = await explainAdversarialSample(
      project(path),
      {
        datasetId: num(a.datasetId),
        modelId: num(a.modelId),
        sampleIndices: [a.sampleIndex],
        attack: a.attack,
        epsilon: a.epsilon,
        ...(a.steps ? { steps: a.steps } : {}),
        ...(a.methods ? { methods: a.methods } : {}),
        ...(a.seed !== undefined ? { seed: a.seed } : {})
      },
      serviceHooks(hooks)
    )
    return { runId: String(r.runId) }
  },

  sanity: async (path, raw, hooks) => {
    const a = raw as Args<'explain.sanity'>
    const r = await sanityStudy(
      project(path),
      {
        datasetId: num(a.datasetId),
        modelId: num(a.modelId),
        count: a.count,
        ...(a.methods ? { methods: a.methods } : {}),
        ...(a.seed !== undefined ? { seed: a.seed } : {})
      },
      serviceHooks(hooks)
    )
    return { runId: String(r.runId) }
  },

  'saliency-pgd': async (path, raw, hooks) => {
    const a = raw as Args<'explain.saliencyPgd'>
    const r = await saliencyPgdStudy(
      project(path),
      {
        datasetId: num(a.datasetId),
        sourceModelId: num(a.sourceId),
        targetModelIds: a.targetIds.map(num),
        epsilon: a.epsilon,
        count: a.count,
        ...(a.steps ? { steps: a.steps } : {}),
        ...(a.saliency ? { saliency: a.saliency } : {}),
        ...(a.seed !== undefined ? { seed: a.seed } : {})
      },
      serviceHooks(hooks)
    )
    return { runId: String(r.runId) }
  },

  'model-import': async (path, raw) => {
    const a = raw as { path: string; name: string; datasetId?: string }
    const r = await importModelFiles(project(path), {
      path: a.path,
      name: a.name,
      ...(a.datasetId ? { datasetId: num(a.datasetId) } : {})
    })
    return { modelId: String(r.modelId), runId: String(r.runId), warnings: r.warnings }
  },

  'model-export': async (path, raw) => {
    const a = raw as { modelId: string; path: string }
    const r = await exportModelFiles(project(path), num(a.modelId), a.path)
    return { runId: String(r.runId), files: [r.modelJson, ...r.weightFiles] }
  }
}

/**
 * Every body runs after the compute backend is initialised: services that never ask for the
 * backend's name (the ε preview, explanations) would otherwise meet tf's "backend has not yet
 * been initialized" on a fresh worker.
 */
export const jobRunners: JobRunners = Object.fromEntries(
  Object.entries(bodies).map(([kind, body]) => [
    kind,
    async (path: string, args: unknown, hooks: JobHooks) => {
      await initBackend()
      return body!(path, args, hooks)
    }
  ])
)
