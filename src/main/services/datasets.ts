/**
 * Datasets in a project: the built-in sample and the importers, written to the project only
 * after the whole import succeeded (a failed import leaves the project unchanged), and the one
 * cache of loaded datasets every service and handler reads pixels through.
 */
import type { DatasetImportRequest } from '../../contract/requests'
import type { StoredRunConfig } from '../../contract/jobs'
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
  type StoredDataset,
  type ProjectDb
} from '../store'
import type { JobHooks } from './hooks'
import { openWithImporter } from './importers'

export interface ImportResult {
  datasetId: number
  runId: number
  summary: StoredDataset
  trainClassCounts: number[]
  validationClassCounts: number[]
}

/** Imports a dataset and stores it, with the run that records the request, in one transaction. */
export async function importDataset(
  project: ProjectDb,
  request: DatasetImportRequest,
  hooks: JobHooks = {}
): Promise<ImportResult> {
  const db = project.writable()
  let ds: ImageDataset
  if (request.source.kind === 'builtin') {
    hooks.onProgress?.({ fraction: 0, stage: 'Reading the built-in Fashion-MNIST sample' })
    ds = loadBuiltinSample()
  } else {
    ds = await openWithImporter(request, hooks)
  }
  if (request.name) ds = { ...ds, name: request.name }
  hooks.onProgress?.({ fraction: 0.9, stage: 'Saving into the project' })
  const counts = {
    trainClassCounts: classCounts(ds.train, ds.classNames.length),
    validationClassCounts: classCounts(ds.validation, ds.classNames.length)
  }
  const backend = (await backendInfo()).name
  const config: StoredRunConfig<'import-dataset'> = {
    request,
    resolved: {
      name: ds.name,
      shape: [ds.height, ds.width, ds.channels],
      classNames: ds.classNames
    }
  }
  // The dataset and the run that records its import land together or not at all; a failed
  // import (which throws before this point) leaves the project untouched.
  const { datasetId, runId } = inTransaction(db, () => {
    const id = saveDataset(db, ds)
    const run = createRun(db, { kind: 'import', config, backend, datasetId: id })
    finishRun(db, run, {
      status: 'done',
      results: { datasetId: id, name: ds.name, ...counts, provenance: ds.provenance }
    })
    return { datasetId: id, runId: run }
  })
  const summary = listDatasets(project.db).find((d) => d.id === datasetId)!
  hooks.onProgress?.({ fraction: 1, stage: 'Imported' })
  return { datasetId, runId, summary, ...counts }
}

const cache = new Map<string, ImageDataset>()
/** Datasets kept in memory per process: the few most recent (a dataset can be hundreds of MB). */
const CACHE_LIMIT = 4

/**
 * A dataset's pixels, kept for the few most recent ones per process: datasets never change once
 * saved and ids are not reused, so the cache cannot go stale.
 */
export function datasetOf(project: ProjectDb, id: number): ImageDataset {
  const key = `${project.path}#${id}`
  let ds = cache.get(key)
  if (ds) {
    // Most recently used last, so the oldest is the first key.
    cache.delete(key)
  } else {
    ds = loadDataset(project.db, id)
  }
  cache.set(key, ds)
  while (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!)
  return ds
}
