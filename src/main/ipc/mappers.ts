/** Store records → contract entities (JSON blobs become typed fields). */
import type { DatasetSummary, ModelSummary, RunSummary } from '../../contract/entities'
import { classCounts } from '../engine/data/split'
import type { ProjectDb, RunRecord, StoredDataset, StoredModel, StoredRun } from '../store'
import { datasetOf } from '../services/datasets'
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

/** The validation images a training's accuracy checks used: its cap, at most the split. */
function accuracyImages(m: StoredModel, validationCount: number | undefined): number | null {
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
 * A stored model as the window shows it. `validationCount` (of its dataset, when still there)
 * says how many images its accuracy rests on.
 */
export function toModelSummary(m: StoredModel, validationCount?: number): ModelSummary {
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
    status: m.status,
    usable: isUsable(m),
    checkpoint: m.checkpoint,
    epochsRun: m.epochsRecorded,
    epochsPlanned: epochsPlanned(m),
    accuracyImages: accuracyImages(m, validationCount),
    origin: isImported(m) ? 'imported' : 'trained',
    createdAt: m.createdAt
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
