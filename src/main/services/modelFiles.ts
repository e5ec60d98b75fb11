/**
 * Models in and out of a project as TensorFlow.js Layers files (SPEC §2.3). Both directions
 * are recorded as runs, so the project keeps where an imported model came from and where a
 * model was exported to.
 */
import { basename, dirname } from 'node:path'
import type { StoredRunConfig } from '../../contract/jobs'
import type { ModelExportRequest, ModelImportRequest } from '../../contract/requests'
import { uniqueName } from '../../contract/naming'
import { backendInfo } from '../engine/backend'
import { networkFromArchitecture } from '../engine/models'
import { exportLayersModel, importLayersModel } from '../engine/models/layersFormat'
import {
  createRun,
  finishRun,
  getDatasetSummary,
  listModels,
  loadModel,
  saveModel,
  type ProjectDb
} from '../store'
import { loadNetwork } from './models'
import { closeFailedRun } from './runFailure'

export interface ModelExportResult {
  runId: number
  modelJson: string
  weightFiles: string[]
  /** Largest |logit difference| between the written model and the stored one (self-check). */
  maxAbsDiff: number
}

export interface ModelImportResult {
  modelId: number
  runId: number
  inputShape: [number, number, number]
  numClasses: number
  parameterCount: number
  warnings: string[]
}

/** Writes a stored model as model.json + weights into the request's folder. */
export async function exportModelFiles(
  project: ProjectDb,
  request: ModelExportRequest
): Promise<ModelExportResult> {
  const db = project.writable()
  const { modelId, path: dir } = request
  const record = loadModel(project.db, modelId)
  const config: StoredRunConfig<'model-export'> = { request, resolved: {} }
  const runId = createRun(db, {
    kind: 'model-export',
    config,
    backend: (await backendInfo()).name,
    datasetId: record.datasetId ?? undefined,
    modelIds: [modelId]
  })
  try {
    const net = loadNetwork(project, modelId)
    try {
      const out = await exportLayersModel(net, dir, { metadata: { modelId } })
      finishRun(db, runId, { status: 'done', results: out })
      return { runId, ...out }
    } finally {
      net.dispose()
    }
  } catch (err) {
    throw closeFailedRun(db, runId, err)
  }
}

/** The name an imported model gets when the request gives none: its folder's. */
export function importedModelName(path: string): string {
  return basename(path) === 'model.json' ? basename(dirname(path)) : basename(path)
}

/**
 * Imports a Layers model as a ready model of the project. With a dataset, open input sizes
 * are taken from it and a model for other images or another class count is refused.
 */
export async function importModelFiles(
  project: ProjectDb,
  request: ModelImportRequest
): Promise<ModelImportResult> {
  const db = project.writable()
  const wanted = request.name ?? importedModelName(request.path)
  if (wanted.trim() === '') throw new RangeError('An imported model needs a name')
  // The same model imported twice gets "… (2)": two models never share a name in the lists.
  const named = uniqueName(
    wanted,
    listModels(project.db).map((m) => m.name),
    'model'
  )
  const req = { ...request, name: named.name }
  const backend = (await backendInfo()).name
  const config: StoredRunConfig<'model-import'> = { request, resolved: { name: req.name } }
  try {
    const ds =
      req.datasetId !== undefined ? getDatasetSummary(project.db, req.datasetId) : undefined
    if (req.datasetId !== undefined && !ds)
      throw new RangeError(`No dataset with id ${req.datasetId}`)
    const imported = await importLayersModel(req.path, ds ? { inputShape: ds.shape } : {})
    const { architecture, weights, warnings } = imported
    if (ds) {
      if (architecture.inputShape.join('x') !== ds.shape.join('x')) {
        throw new RangeError(
          `The model takes ${architecture.inputShape.join('x')} images, dataset "${ds.name}" has ${ds.shape.join('x')}`
        )
      }
      if (architecture.numClasses !== ds.classNames.length) {
        throw new RangeError(
          `The model predicts ${architecture.numClasses} classes, dataset "${ds.name}" has ${ds.classNames.length}`
        )
      }
    }
    const net = networkFromArchitecture(architecture, { id: 'import', name: req.name })
    const parameterCount = net.parameterCount()
    net.dispose()
    const modelId = saveModel(db, {
      name: req.name,
      architecture,
      weights,
      datasetId: req.datasetId,
      trainingConfig: { imported: imported.modelJson, weightFiles: imported.weightFiles, warnings },
      status: 'ready'
    })
    const runId = createRun(db, {
      kind: 'model-import',
      config,
      backend,
      datasetId: req.datasetId,
      modelIds: [modelId]
    })
    const result: ModelImportResult = {
      modelId,
      runId,
      inputShape: architecture.inputShape,
      numClasses: architecture.numClasses,
      parameterCount,
      warnings: named.warning ? [named.warning, ...warnings] : warnings
    }
    finishRun(db, runId, { status: 'done', results: { ...result, modelJson: imported.modelJson } })
    return result
  } catch (err) {
    // A refused import still leaves a trace of what was tried and why it failed.
    const runId = createRun(db, { kind: 'model-import', config, backend, datasetId: req.datasetId })
    throw closeFailedRun(db, runId, err)
  }
}
