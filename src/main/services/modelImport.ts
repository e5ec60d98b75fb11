/**
 * Importing a model into a project (SPEC §2.3, §2.11): an ONNX file with its declared
 * preprocessing or a TF.js Layers model, checked against the dataset picked (images and
 * classes, the one rule of compatibility.ts) and evaluated on its validation images, so the
 * analyst sees at once whether the declared preprocessing is right (a wrong mean/std or
 * channel order shows as near-chance accuracy).
 *
 * Two steps, so that a refused import writes nothing (the project file stays byte-identical):
 * prepareModelImport only reads (the file, the dataset) and may run on a read-only project;
 * commitModelImport stores the model and its run in one transaction. The job runs both on one
 * connection; the command line reads with a read-only open and writes with a second one.
 */
import type { ModelImportView } from '../../contract/entities'
import type { StoredRunConfig } from '../../contract/jobs'
import type { ModelImportRequest } from '../../contract/requests'
import { uniqueName } from '../../contract/naming'
import { backendInfo } from '../engine/backend'
import { range, seededShuffle } from '../engine/data/split'
import { datasetMismatch, modelFromStored } from '../engine/models'
import { accuracy } from '../engine/training/evaluate'
import {
  createRun,
  finishRun,
  getDatasetSummary,
  inTransaction,
  listModels,
  saveModel,
  type ProjectDb,
  RecordNotFoundError
} from '../store'
import { datasetFitOf, IncompatibleModelError } from './compatibility'
import { datasetOf } from './datasets'
import type { JobHooks } from './hooks'
import { importedModelName, readModelFile, type ReadModel } from './modelFileRead'

/** Validation images of the accuracy check unless the request says otherwise. */
export const DEFAULT_IMPORT_EVAL_IMAGES = 1000
/** Seed of the draw of those images (the explain studies' default, so the draws agree). */
const EVAL_SEED = 7

/** A model read, checked and evaluated, ready to be stored. */
export interface PreparedModelImport {
  request: ModelImportRequest
  name: string
  model: ReadModel
  evaluation: ModelImportView['evaluation']
}

export interface ModelImportResult {
  modelId: number
  runId: number
  name: string
  format: ReadModel['format']
  inputShape: [number, number, number]
  numClasses: number
  parameterCount: number
  warnings: string[]
  evaluation: ModelImportView['evaluation']
}

/**
 * Reads the model file, checks it against the request's dataset and measures its accuracy
 * there. Writes nothing: `project` may be opened read-only.
 */
export async function prepareModelImport(
  project: ProjectDb,
  request: ModelImportRequest,
  hooks: JobHooks = {}
): Promise<PreparedModelImport> {
  const name = request.name ?? importedModelName(request.path)
  if (name.trim() === '') throw new RangeError('An imported model needs a name')
  const summary =
    request.datasetId !== undefined ? getDatasetSummary(project.db, request.datasetId) : undefined
  if (request.datasetId !== undefined && !summary)
    throw new RecordNotFoundError('dataset', request.datasetId)
  hooks.onProgress?.({ fraction: 0.05, stage: `Reading ${request.path}` })
  const model = await readModelFile(request, summary?.shape)
  if (!summary) return { request, name, model, evaluation: null }

  const mismatch = datasetMismatch(
    { name, inputShape: model.inputShape, numClasses: model.numClasses },
    datasetFitOf(summary)
  )
  if (mismatch) throw new IncompatibleModelError(mismatch, 'datasetId')
  hooks.onProgress?.({ fraction: 0.5, stage: `Measuring its accuracy on "${summary.name}"` })
  const ds = datasetOf(project, summary.id)
  const indices = seededShuffle(range(ds.validation.count), EVAL_SEED).slice(
    0,
    request.evalLimit ?? DEFAULT_IMPORT_EVAL_IMAGES
  )
  const loaded = modelFromStored(model.architecture, model.weights, { id: 'import-check', name })
  try {
    return {
      request,
      name,
      model,
      evaluation: {
        datasetId: summary.id,
        datasetName: summary.name,
        accuracy: accuracy(loaded, ds, ds.validation, indices),
        images: indices.length
      }
    }
  } finally {
    loaded.dispose()
  }
}

/** Stores a prepared import: the ready model and its 'model-import' run land together. */
export async function commitModelImport(
  project: ProjectDb,
  prepared: PreparedModelImport
): Promise<ModelImportResult> {
  const db = project.writable()
  const { request, model, evaluation } = prepared
  const backend = (await backendInfo()).name
  return inTransaction(db, () => {
    // The same model imported twice gets "… (2)": two models never share a name in the lists.
    // Decided here, in the write transaction, since the command line prepares on another
    // connection.
    const named = uniqueName(
      prepared.name,
      listModels(db).map((m) => m.name),
      'model'
    )
    const name = named.name
    const config: StoredRunConfig<'model-import'> = {
      request,
      resolved: {
        name,
        format: model.format,
        inputShape: model.inputShape,
        numClasses: model.numClasses,
        ...('preprocessing' in model.architecture
          ? { preprocessing: model.architecture.preprocessing }
          : {}),
        evalImages: evaluation?.images ?? 0
      }
    }
    const modelId = saveModel(db, {
      name,
      architecture: model.architecture,
      weights: model.weights,
      datasetId: request.datasetId,
      trainingConfig: model.origin,
      status: 'ready',
      ...(evaluation
        ? {
            metrics: {
              valAccuracy: evaluation.accuracy,
              accuracyImages: evaluation.images,
              evaluatedOn: evaluation.datasetId
            }
          }
        : {})
    })
    const runId = createRun(db, {
      kind: 'model-import',
      config,
      backend,
      datasetId: request.datasetId,
      modelIds: [modelId]
    })
    const result: ModelImportResult = {
      modelId,
      runId,
      name,
      format: model.format,
      inputShape: model.inputShape,
      numClasses: model.numClasses,
      parameterCount: model.parameterCount,
      warnings: named.warning ? [named.warning, ...model.warnings] : model.warnings,
      evaluation
    }
    finishRun(db, runId, { status: 'done', results: { ...result, source: model.origin } })
    return result
  })
}

/**
 * Imports a model as a ready model of the project (the 'model-import' job). A refused import
 * (a bad file, a model that does not fit the dataset) stores nothing, not even a failed run.
 */
export async function importModel(
  project: ProjectDb,
  request: ModelImportRequest,
  hooks: JobHooks = {}
): Promise<ModelImportResult> {
  const prepared = await prepareModelImport(project, request, hooks)
  const result = await commitModelImport(project, prepared)
  hooks.onProgress?.({ fraction: 1, stage: `Imported "${result.name}"` })
  return result
}
