/** Store records → contract entities (JSON blobs become typed fields). */
import type { DatasetSummary, ModelSummary, RunSummary } from '../../contract/entities'
import { classCounts } from '../engine/data/split'
import type { ProjectDb, RunRecord, StoredDataset, StoredModel, StoredRun } from '../store'
import { datasetOf } from '../services/datasets'
import { isImported, trainingOf } from '../services/modelRoles'

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

export function toModelSummary(m: StoredModel): ModelSummary {
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
    accuracy: num(metrics.valAccuracy),
    lambda: training.lambda,
    penaltyForm: training.penaltyForm,
    referenceId: m.referenceModelId,
    deltaToReference: num(delta?.mean),
    collapse:
      m.status === 'collapsed'
        ? (collapse?.message ?? 'Training collapsed (accuracy near chance or vanishing gradients)')
        : null,
    status: m.status,
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
