/**
 * Datasets in a project: the built-in sample and the importers, written to the project only
 * after the whole import succeeded (a failed import leaves the project unchanged).
 */
import { loadBuiltinSample } from '../engine/data/builtinSample'
import { classCounts } from '../engine/data/split'
import type { ImageDataset } from '../engine/data/types'
import { backendInfo } from '../engine/backend'
import {
  createRun,
  finishRun,
  inTransaction,
  listDatasets,
  loadDataset,
  saveDataset,
  type DatasetSummary,
  type ProjectDb
} from '../store'
import type { JobHooks } from './hooks'

export interface ImportRequest {
  /** 'builtin' for the Fashion-MNIST sample, else an importer id (imageFolder, cifar10, idx). */
  source: string
  path?: string
  name?: string
  options?: Record<string, unknown>
}

export interface ImportResult {
  datasetId: number
  summary: DatasetSummary
  trainClassCounts: number[]
  validationClassCounts: number[]
}

/** Imports a dataset and stores it in the project in one transaction. */
export async function importDataset(project: ProjectDb, req: ImportRequest, hooks: JobHooks = {}): Promise<ImportResult> {
  const db = project.writable()
  let ds: ImageDataset
  if (req.source === 'builtin') {
    hooks.onProgress?.({ fraction: 0, stage: 'Reading the built-in Fashion-MNIST sample' })
    ds = loadBuiltinSample()
  } else {
    const { openWithImporter } = await import('./importers')
    ds = await openWithImporter(req, hooks)
  }
  if (req.name) ds = { ...ds, name: req.name }
  hooks.onProgress?.({ fraction: 0.9, stage: 'Saving into the project' })
  const counts = {
    trainClassCounts: classCounts(ds.train, ds.classNames.length),
    validationClassCounts: classCounts(ds.validation, ds.classNames.length)
  }
  const backend = (await backendInfo()).name
  // The dataset and the run that records its import land together or not at all; a failed
  // import (which throws before this point) leaves the project untouched.
  const datasetId = inTransaction(db, () => {
    const id = saveDataset(db, ds)
    const runId = createRun(db, { kind: 'import', config: { request: req }, backend, datasetId: id })
    finishRun(db, runId, { status: 'done', results: { datasetId: id, name: ds.name, ...counts, provenance: ds.provenance } })
    return id
  })
  const summary = listDatasets(project.db).find((d) => d.id === datasetId)!
  hooks.onProgress?.({ fraction: 1, stage: 'Imported' })
  return { datasetId, summary, ...counts }
}

const cache = new Map<string, ImageDataset>()

/** Loads a dataset, memoised per project file and id (datasets are immutable once saved). */
export function datasetOf(project: ProjectDb, id: number): ImageDataset {
  const key = `${project.path}#${id}`
  let ds = cache.get(key)
  if (!ds) {
    ds = loadDataset(project.db, id)
    cache.set(key, ds)
  }
  return ds
}
