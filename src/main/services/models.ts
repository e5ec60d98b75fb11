/**
 * Models in a project: training (ordinary or orthogonal), loading a stored model (a Network or
 * an imported ONNX model), and the similarity report (Tables 6.1 / 6.2). Both take the contract's request as
 * it came (window, command line or re-run) and store it with the run.
 */
import type { SimilarityResult } from '../../contract/entities'
import type { StoredRunConfig } from '../../contract/jobs'
import type { SimilarityRequest, TrainRequest } from '../../contract/requests'
import { uniqueName } from '../../contract/naming'
import { backendInfo } from '../engine/backend'
import {
  buildModel,
  isNetwork,
  modelFromStored,
  type LoadedModel,
  type Network
} from '../engine/models'
import {
  DEFAULT_TRAIN_CONFIG,
  trainNetwork,
  type EpochRecord,
  type TrainConfig,
  type TrainOutcome
} from '../engine/training/train'
import {
  accuracy,
  histogram,
  similarityDeltas,
  summariseSimilarity,
  type SimilarityStats
} from '../engine/training/evaluate'
import { range, seededShuffle } from '../engine/data/split'
import {
  appendModelHistory,
  createRun,
  finishRun,
  listModels,
  loadModel,
  saveCheckpoint,
  saveModel,
  updateModelMetrics,
  updateModelStatus,
  updateModelWeights,
  updateRunProgress,
  type ModelStatus,
  type ProjectDb
} from '../store'
import { requireRequestFits } from './compatibility'
import { datasetOf } from './datasets'
import type { JobHooks } from './hooks'
import { closeFailedRun } from './runFailure'
import { requireUsable } from './modelRoles'
import { ratioInterval } from './intervals'

export interface TrainResult {
  modelId: number
  runId: number
  /** The model's name: the one asked, with "(2)" when another model had it (see warnings). */
  name: string
  warnings: string[]
  status: ModelStatus
  outcome: Omit<TrainOutcome, 'history'>
  valAccuracy: number
  /** Validation images `valAccuracy` rests on. */
  accuracyImages: number
  /** δ to the reference on the validation subset, when there is a reference. */
  delta?: SimilarityStats
  message?: string
}

/**
 * Loads a stored model for inference, whatever its origin: a Network (trained here or imported
 * from TF.js Layers) or an OnnxModel (imported ONNX). Both are staged classifiers, so
 * predictions, attacks, saliency and the reference of orthogonal training work on either.
 */
export function loadClassifier(project: ProjectDb, modelId: number): LoadedModel {
  const record = loadModel(project.db, modelId)
  try {
    return modelFromStored(record.architecture, record.weights, {
      id: `model-${modelId}`,
      name: record.name
    })
  } catch (err) {
    throw new Error(
      `Model "${record.name}" (id ${modelId}) cannot be loaded: ${(err as Error).message}`,
      { cause: err }
    )
  }
}

/**
 * Loads a stored model that must be a Network (trained further, or exported to the Layers or
 * ONNX format): an imported ONNX model is refused with a message saying so.
 */
export function loadNetwork(project: ProjectDb, modelId: number, purpose = 'used here'): Network {
  const model = loadClassifier(project, modelId)
  if (isNetwork(model)) return model
  model.dispose()
  throw new RangeError(
    `Model "${model.name}" (id ${modelId}) is an imported ONNX model and cannot be ${purpose}`
  )
}

/** The object without its undefined entries (they must not override a default). */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

const statusOf: Record<TrainOutcome['status'], ModelStatus> = {
  completed: 'ready',
  'early-stopped': 'ready',
  cancelled: 'cancelled',
  collapsed: 'collapsed'
}

/**
 * Every setting a training runs with: the request's, the engine's defaults for the rest. The
 * names are the same on both sides; only δ's sample count is derived (at most the validation
 * cap, at most the engine's default).
 */
export function resolveTrainConfig(request: TrainRequest): TrainConfig {
  const { name: _name, datasetId: _d, architecture: _a, referenceId: _r, ...settings } = request
  const given = defined(settings)
  const config: TrainConfig = {
    ...DEFAULT_TRAIN_CONFIG,
    ...given,
    // SGD's momentum defaults to He et al.'s 0.9 (torch's own default, 0, is plain SGD).
    momentum: request.momentum ?? (request.optimizer === 'sgd' ? 0.9 : 0),
    augment: { ...DEFAULT_TRAIN_CONFIG.augment, ...defined(request.augment ?? {}) }
  }
  if (request.valLimit !== undefined)
    config.deltaLimit = Math.min(DEFAULT_TRAIN_CONFIG.deltaLimit, request.valLimit)
  return config
}

/** Told when the model row and its run exist (a plan records which model a slot is training). */
export interface TrainObserver {
  onStarted?(modelId: number, runId: number): void
}

/**
 * Trains a new model and keeps everything in the project as it goes: the model row (status
 * 'training'), per-epoch history, the best checkpoint, and a run with the request and the
 * resolved settings.
 */
export async function trainModel(
  project: ProjectDb,
  request: TrainRequest,
  hooks: JobHooks = {},
  observer: TrainObserver = {}
): Promise<TrainResult> {
  const db = project.writable()
  const ds = datasetOf(project, request.datasetId)
  const config = resolveTrainConfig(request)
  if (config.lambda > 0 && request.referenceId === undefined) {
    throw new RangeError('Orthogonal training (λ > 0) needs a reference model')
  }
  const backend = (await backendInfo()).name
  requireRequestFits(project, request)
  // A collapsed (or unfinished) model's gradients mean nothing: it cannot be a reference.
  if (request.referenceId !== undefined) requireUsable(project, request.referenceId, 'reference')
  const named = uniqueName(
    request.name,
    listModels(project.db).map((m) => m.name),
    'model'
  )
  const modelName = named.name
  const reference =
    request.referenceId !== undefined ? loadClassifier(project, request.referenceId) : undefined
  const net = buildModel(
    request.architecture,
    [ds.height, ds.width, ds.channels],
    ds.classNames.length,
    {
      seed: config.seed,
      name: modelName
    }
  )
  const stored: StoredRunConfig<'train'> = { request, resolved: { ...config } }
  const modelId = saveModel(db, {
    name: modelName,
    architecture: net.architecture,
    weights: net.exportWeights(),
    datasetId: request.datasetId,
    referenceModelId: request.referenceId,
    trainingConfig: stored,
    status: 'training'
  })
  // The run names the reference (if any) and the model it trains, so that a run interrupted
  // by a crash releases the model from 'training' when the project is next opened.
  const runId = createRun(db, {
    kind: 'train',
    config: stored,
    seed: config.seed,
    backend,
    datasetId: request.datasetId,
    modelIds: [...(request.referenceId !== undefined ? [request.referenceId] : []), modelId]
  })
  let lastProgressWrite = 0
  try {
    observer.onStarted?.(modelId, runId)
    const outcome = await trainNetwork(net, ds, config, reference, {
      signal: hooks.signal,
      onStep: (p) => {
        const stage = `Training "${modelName}": epoch ${p.epoch}/${config.epochs}, step ${p.step}/${p.stepsPerEpoch}`
        hooks.onProgress?.({
          fraction: p.fraction,
          stage,
          etaSeconds: p.etaSeconds,
          metrics: {
            loss: p.metrics.loss,
            accuracy: p.metrics.accuracy,
            ...(Number.isFinite(p.metrics.delta) ? { delta: p.metrics.delta } : {})
          }
        })
        const now = Date.now()
        if (now - lastProgressWrite > 1000) {
          updateRunProgress(db, runId, { fraction: p.fraction, stage })
          lastProgressWrite = now
        }
      },
      onEpoch: (r: EpochRecord) => {
        appendModelHistory(db, modelId, {
          epoch: r.epoch,
          trainLoss: r.trainLoss,
          trainAccuracy: r.trainAccuracy,
          valAccuracy: r.valAccuracy,
          delta: r.valDelta?.mean ?? (Number.isFinite(r.trainDelta) ? r.trainDelta : undefined),
          penalty: Number.isFinite(r.penalty) ? r.penalty : undefined,
          seconds: r.seconds,
          extra: {
            crossEntropy: r.crossEntropy,
            trainDelta: r.trainDelta,
            valDelta: r.valDelta,
            learningRate: r.learningRate
          }
        })
      },
      onCheckpoint: (weights, r) => {
        saveCheckpoint(db, modelId, { epoch: r.epoch, valAccuracy: r.valAccuracy!, weights })
        updateModelWeights(db, modelId, weights)
      }
    })
    const status = statusOf[outcome.status]
    // The network now holds the best checkpoint (or, after a collapse, the broken weights,
    // kept for diagnosis but flagged so that nothing uses them as a healthy model).
    const last = outcome.history[outcome.history.length - 1]
    let delta: SimilarityStats | undefined
    let valAccuracy = outcome.bestValAccuracy
    if (status !== 'collapsed' && outcome.bestEpoch > 0) {
      const bestRecord = outcome.history.find((h) => h.epoch === outcome.bestEpoch)
      delta = bestRecord?.valDelta
    } else {
      valAccuracy = last?.valAccuracy ?? NaN
      delta = last?.valDelta
    }
    if (status === 'collapsed' || outcome.bestEpoch === 0)
      updateModelWeights(db, modelId, net.exportWeights())
    const metrics = {
      valAccuracy,
      // The validation images the accuracy rests on (its Wilson interval needs them).
      accuracyImages:
        config.valLimit > 0 ? Math.min(config.valLimit, ds.validation.count) : ds.validation.count,
      delta: delta ? { mean: delta.mean, std: delta.std, meanAbs: delta.meanAbs } : undefined,
      bestEpoch: outcome.bestEpoch,
      epochsRun: outcome.epochsRun,
      seconds: outcome.seconds,
      collapse: outcome.collapse
    }
    updateModelMetrics(db, modelId, metrics)
    updateModelStatus(db, modelId, status)
    const { history: _history, ...summary } = outcome
    finishRun(db, runId, {
      status: outcome.status === 'cancelled' ? 'cancelled' : 'done',
      results: { modelId, status, ...metrics, history: outcome.history }
    })
    return {
      modelId,
      runId,
      name: modelName,
      warnings: named.warning ? [named.warning] : [],
      status,
      outcome: summary,
      valAccuracy,
      accuracyImages: metrics.accuracyImages,
      delta,
      message: outcome.collapse?.message
    }
  } catch (err) {
    // A full disk refuses this write too; the run is still closed (or left for the worker to
    // mark interrupted, which releases the model), and the job reports its own error.
    try {
      updateModelStatus(db, modelId, 'failed')
    } catch {
      // See closeFailedRun.
    }
    throw closeFailedRun(db, runId, err)
  } finally {
    net.dispose()
    reference?.dispose()
  }
}

/** δ mean ± std between two models over a validation subset (Tables 6.1 / 6.2). */
export async function similarityReport(
  project: ProjectDb,
  request: SimilarityRequest
): Promise<SimilarityResult> {
  const db = project.writable()
  const ds = datasetOf(project, request.datasetId)
  const seed = request.seed ?? 7
  const indices = seededShuffle(range(ds.validation.count), seed).slice(0, request.valLimit ?? 1000)
  requireRequestFits(project, request)
  const a = loadClassifier(project, request.modelA)
  const b = loadClassifier(project, request.modelB)
  const config: StoredRunConfig<'similarity'> = {
    request,
    resolved: { valLimit: indices.length, seed }
  }
  const runId = createRun(db, {
    kind: 'similarity',
    config,
    seed,
    backend: (await backendInfo()).name,
    datasetId: request.datasetId,
    modelIds: [request.modelA, request.modelB]
  })
  try {
    const deltas = similarityDeltas(a, b, ds, ds.validation, indices)
    const stats: SimilarityStats = summariseSimilarity(deltas)
    const result: SimilarityResult = {
      runId,
      modelA: request.modelA,
      modelB: request.modelB,
      mean: stats.mean,
      std: stats.std,
      meanAbs: stats.meanAbs,
      count: stats.count,
      accuracyA: accuracy(a, ds, ds.validation, indices),
      accuracyB: accuracy(b, ds, ds.validation, indices),
      // 40 bins of 0.05: fine enough to tell a spread around 0 from one around 0.5.
      histogram: histogram(deltas.deltas, { min: -1, max: 1, bins: 40 })
    }
    // Both accuracies rest on the same `count` images: their Wilson intervals.
    const ciA = ratioInterval(result.accuracyA, result.count)
    const ciB = ratioInterval(result.accuracyB, result.count)
    if (ciA) result.accuracyCi95A = ciA
    if (ciB) result.accuracyCi95B = ciB
    finishRun(db, runId, { status: 'done', results: result })
    return result
  } catch (err) {
    throw closeFailedRun(db, runId, err)
  } finally {
    a.dispose()
    b.dispose()
  }
}
