/**
 * Datasets in a project: the built-in sample and the importers, written to the project only
 * after the whole import succeeded (a failed import leaves the project unchanged), and the one
 * cache of loaded datasets every service and handler reads pixels through.
 */
import type { DatasetImportRequest } from '../../contract/requests'
import type { StoredRunConfig } from '../../contract/jobs'
import { uniqueName } from '../../contract/naming'
import { loadBuiltinSample } from '../engine/data/builtinSample'
import { DEFAULT_SPLIT_SEED } from '../engine/data/importers/assemble'
import { capPerClass, classCounts, gatherSplit } from '../engine/data/split'
import { imageSize, type ImageDataset, type ImageSplit } from '../engine/data/types'
import { backendInfo } from '../engine/backend'
import {
  createRun,
  finishRun,
  getDatasetSummary,
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
  /** Why the name differs from the one asked (the folder was imported before …). */
  warnings: string[]
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
  // The run is written once the images are read; its duration starts here (issue 16: not 0.0 s).
  const startedAt = new Date().toISOString()
  let ds: ImageDataset
  if (request.source.kind === 'builtin') {
    hooks.onProgress?.({ fraction: 0, stage: 'Reading the built-in Fashion-MNIST sample' })
    ds = loadBuiltinSample()
    if (request.maxPerClass)
      ds = capEachSplit(ds, request.maxPerClass, request.seed ?? DEFAULT_SPLIT_SEED)
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
  // The same folder imported twice gets "… (2)": two datasets never share a name in the lists.
  const { datasetId, runId, warnings } = inTransaction(db, () => {
    const named = uniqueName(
      ds.name,
      listDatasets(project.db).map((d) => d.name),
      'dataset'
    )
    ds = { ...ds, name: named.name }
    config.resolved.name = named.name
    const id = saveDataset(db, ds)
    const run = createRun(db, { kind: 'import', config, backend, datasetId: id, startedAt })
    finishRun(db, run, {
      status: 'done',
      results: { datasetId: id, name: ds.name, ...counts, provenance: ds.provenance }
    })
    return { datasetId: id, runId: run, warnings: named.warning ? [named.warning] : [] }
  })
  const summary = listDatasets(project.db).find((d) => d.id === datasetId)!
  hooks.onProgress?.({ fraction: 1, stage: 'Imported' })
  return { datasetId, runId, summary, warnings, ...counts }
}

/**
 * At most `maxPerClass` images of each class in each split, drawn at random (seeded), as the
 * importers cap a source that ships its own split (importers/assemble.ts): the built-in
 * sample keeps its training and validation parts, each capped.
 */
function capEachSplit(ds: ImageDataset, maxPerClass: number, seed: number): ImageDataset {
  const size = imageSize(ds)
  const cap = (split: ImageSplit): ImageSplit =>
    gatherSplit(
      split.images,
      split.labels,
      capPerClass(split.labels.subarray(0, split.count), ds.classNames.length, maxPerClass, seed),
      size
    )
  return {
    ...ds,
    train: cap(ds.train),
    validation: cap(ds.validation),
    provenance: { ...ds.provenance, maxPerClass, splitSeed: seed }
  }
}

const cache = new Map<string, ImageDataset>()
/** Datasets kept in memory per process: the few most recent (a dataset can be hundreds of MB). */
const CACHE_LIMIT = 4

/**
 * A dataset's pixels, kept for the few most recent ones per process: datasets never change once
 * saved, and the key holds the creation time, so an id reused after a delete cannot hit a
 * stale entry.
 */
export function datasetOf(project: ProjectDb, id: number): ImageDataset {
  // Keyed by creation time too: SQLite may give a deleted dataset's id to the next import
  // (INTEGER PRIMARY KEY reuses the largest id once its row is gone), and a worker's cache
  // never hears of a delete made by the window.
  const created = getDatasetSummary(project.db, id)?.createdAt ?? ''
  const key = `${project.path}#${id}#${created}`
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
