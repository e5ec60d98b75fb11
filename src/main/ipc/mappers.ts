/** Store records → contract entities (ids become strings; JSON blobs become typed fields). */
import type { DatasetSummary, ModelSummary, PenaltyForm, RunSummary } from '../../contract/entities'
import { classCounts } from '../engine/data/split'
import type { ImageDataset } from '../engine/data/types'
import {
  loadDataset,
  type DatasetSummary as StoreDataset,
  type ModelSummary as StoreModel,
  type ProjectDb,
  type RunRecord,
  type RunSummary as StoreRun
} from '../store'

const datasetCache = new Map<string, ImageDataset>()
const CACHE_LIMIT = 4

/**
 * A dataset's pixels for previews and class counts, kept for the few most recent ones:
 * datasets never change once saved, so the cache cannot go stale (ids are not reused).
 */
export function cachedDataset(project: ProjectDb, id: number): ImageDataset {
  const key = `${project.path}#${id}`
  let ds = datasetCache.get(key)
  if (!ds) {
    ds = loadDataset(project.db, id)
    datasetCache.set(key, ds)
    while (datasetCache.size > CACHE_LIMIT) datasetCache.delete(datasetCache.keys().next().value!)
  }
  return ds
}

export function toDatasetSummary(project: ProjectDb, d: StoreDataset): DatasetSummary {
  const ds = cachedDataset(project, d.id)
  return {
    id: String(d.id),
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

export function toModelSummary(m: StoreModel): ModelSummary {
  const arch = (m.architecture ?? {}) as Json
  const config = m.trainingConfig as Json | undefined
  const metrics = (m.metrics ?? {}) as Json
  const delta = metrics.delta as { mean?: number } | undefined
  const collapse = metrics.collapse as { message?: string } | undefined
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
  return {
    id: String(m.id),
    name: m.name,
    architecture: String(arch.arch ?? 'model'),
    datasetId: m.datasetId === null ? null : String(m.datasetId),
    accuracy: num(metrics.valAccuracy),
    lambda: num(config?.lambda) ?? 0,
    penaltyForm: (config?.penalty as PenaltyForm | undefined) ?? null,
    referenceId: m.referenceModelId === null ? null : String(m.referenceModelId),
    deltaToReference: num(delta?.mean),
    collapse:
      m.status === 'collapsed'
        ? (collapse?.message ?? 'Training collapsed (accuracy near chance or vanishing gradients)')
        : null,
    status: m.status,
    // An imported model's trainingConfig records where it came from (modelFiles.ts), not a training.
    origin: !config || 'imported' in config ? 'imported' : 'trained',
    createdAt: m.createdAt
  }
}

export function toRunSummary(r: StoreRun | RunRecord): RunSummary {
  return {
    id: String(r.id),
    kind: r.kind,
    status: r.status,
    config: r.config as Record<string, unknown>,
    result: 'results' in r ? (r.results ?? null) : null,
    backend: r.backend,
    seed: r.seed,
    modelIds: r.modelIds.map(String),
    datasetId: r.datasetId === null ? null : String(r.datasetId),
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    durationMs: r.durationMs,
    error: r.error
  }
}
