/** Store records → contract entities (JSON blobs become typed fields). */
import type { DatasetSummary, ModelSummary, RunSummary } from '../../contract/entities'
import type { OnnxArchitecture } from '../engine/models/onnx'
import { classCounts } from '../engine/data/split'
import type { ProjectDb, RunRecord, StoredDataset, StoredModel, StoredRun } from '../store'
import { fittingDatasetIds, modelFitOf } from '../services/compatibility'
import { datasetOf } from '../services/datasets'
import { accuracyCostOf } from '../services/evaluation/accuracyCost'
import { declaredPreprocessing } from '../services/modelFileRead'
import { isImported, isUsable, trainingOf } from '../services/modelRoles'

export function toDatasetSummary(project: ProjectDb, d: StoredDataset): DatasetSummary {
  const ds = datasetOf(project, d.id)
  return {
    id: d.id,
    name: d.name,
    classNames: d.classNames,
    height: d.shape[0],
    width: d.shape[1],
    channels: d.shape[2],
    trainCount: d.trainCount,
    validationCount: d.validationCount,
    classCounts: {
      train: classCounts(ds.train, d.classNames.length),
      validation: classCounts(ds.validation, d.classNames.length)
    },
    provenance: d.provenance,
    createdAt: d.createdAt
  }
}

type Json = Record<string, unknown>

/**
 * The validation images `m`'s accuracy rests on: what an import's check recorded, else the
 * cap of a training's accuracy checks, at most its dataset's validation split.
 */
function accuracyImages(m: StoredModel, datasets: readonly StoredDataset[]): number | null {
  const recorded = ((m.metrics ?? {}) as Json).accuracyImages
  if (typeof recorded === 'number') return recorded
  const validationCount = datasets.find((d) => d.id === m.datasetId)?.validationCount
  if (validationCount === undefined || isImported(m)) return null
  const config = (m.trainingConfig ?? {}) as { resolved?: { valLimit?: unknown } }
  const cap = config.resolved?.valLimit
  // The engine reads a cap of 0 as "all".
  return typeof cap === 'number' && cap > 0 ? Math.min(cap, validationCount) : validationCount
}

function epochsPlanned(m: StoredModel): number | null {
  const config = (m.trainingConfig ?? {}) as { resolved?: { epochs?: unknown }; epochs?: unknown }
  const epochs = config.resolved?.epochs ?? config.epochs
  return typeof epochs === 'number' ? epochs : null
}

/**
 * `m` as the window lists it. `datasets` are the project's: the summary says which of them the
 * model fits, by the rule every service enforces, and how many validation images its accuracy
 * rests on; `models` (the project's) give its reference's accuracy for the accuracy-cost flag.
 */
export function toModelSummary(
  m: StoredModel,
  datasets: readonly StoredDataset[],
  models: readonly StoredModel[] = []
): ModelSummary {
  const arch = (m.architecture ?? {}) as Json
  const metrics = (m.metrics ?? {}) as Json
  const delta = metrics.delta as { mean?: number } | undefined
  const collapse = metrics.collapse as { message?: string } | undefined
  const num = (v: unknown): number | null =>
    typeof v === 'number' && Number.isFinite(v) ? v : null
  const training = trainingOf(m)
  return {
    id: m.id,
    name: m.name,
    architecture: String(arch.arch ?? 'model'),
    datasetId: m.datasetId,
    // A training cut by a crash has no final metrics; its checkpoint's accuracy is the model's.
    accuracy: num(metrics.valAccuracy) ?? m.checkpoint?.valAccuracy ?? null,
    lambda: training.lambda,
    penaltyForm: training.penaltyForm,
    referenceId: m.referenceModelId,
    deltaToReference: num(delta?.mean),
    collapse:
      m.status === 'collapsed'
        ? (collapse?.message ?? 'Training collapsed (accuracy near chance or vanishing gradients)')
        : null,
    accuracyCost: accuracyCostOf(m, models, datasets),
    status: m.status,
    usable: isUsable(m),
    checkpoint: m.checkpoint,
    epochsRun: m.epochsRecorded,
    epochsPlanned: epochsPlanned(m),
    accuracyImages: accuracyImages(m, datasets),
    origin: isImported(m) ? 'imported' : 'trained',
    createdAt: m.createdAt,
    ...shapeAndFormat(m, datasets)
  }
}

type ShapeAndFormat = Pick<
  ModelSummary,
  | 'inputShape'
  | 'numClasses'
  | 'fitsDatasets'
  | 'exportFormats'
  | 'featureStages'
  | 'defaultStage'
  | 'onnx'
>

/** What a model takes and gives, where it fits, how it exports, and an ONNX import's record. */
function shapeAndFormat(m: StoredModel, datasets: readonly StoredDataset[]): ShapeAndFormat {
  const fit = modelFitOf(m)
  const known = typeof fit === 'string' ? null : fit
  const arch = m.architecture as Partial<OnnxArchitecture>
  const config = (m.trainingConfig ?? {}) as Json
  const stages = Array.isArray(config.featureStages)
    ? config.featureStages.filter((x): x is string => typeof x === 'string')
    : null
  const isOnnx =
    arch.arch === 'onnx' && arch.preprocessing !== undefined && arch.source !== undefined
  return {
    inputShape: known?.inputShape ?? null,
    numClasses: known?.numClasses ?? null,
    fitsDatasets: fittingDatasetIds(m, datasets),
    exportFormats: isOnnx ? [] : ['onnx', 'layers'],
    featureStages: stages,
    defaultStage:
      typeof config.defaultStage === 'string' ? config.defaultStage : (stages?.at(-1) ?? null),
    onnx: isOnnx
      ? {
          file: arch.source!.file,
          producer: arch.source!.producer,
          opset: arch.source!.opset,
          preprocessing: declaredPreprocessing(arch.preprocessing!)
        }
      : null
  }
}

export function toRunSummary(r: StoredRun | RunRecord): RunSummary {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    config: r.config as Record<string, unknown>,
    result: 'results' in r ? (r.results ?? null) : null,
    backend: r.backend,
    seed: r.seed,
    modelIds: r.modelIds,
    datasetId: r.datasetId,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    durationMs: r.durationMs,
    error: r.error
  }
}
