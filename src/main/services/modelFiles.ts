/**
 * Models out of a project (SPEC §2.3–2.4): a model trained in the app (or imported from TF.js)
 * written as an ONNX file (opset 17, NCHW input in [0, 1], logits out: what PyTorch, ONNX
 * Runtime and every converter read) or as a TensorFlow.js Layers folder. Each export is checked
 * by reading it back before it is written, and recorded as a run, so the project keeps where a
 * model went. Imports live in modelImport.ts.
 */
import { statSync } from 'node:fs'
import { extname, join } from 'node:path'
import type { StoredRunConfig } from '../../contract/jobs'
import type { ModelExportRequest } from '../../contract/requests'
import { backendInfo } from '../engine/backend'
import { exportLayersModel } from '../engine/models/layersFormat'
import { exportOnnxModel } from '../engine/models/onnx'
import { createRun, finishRun, getDatasetSummary, loadModel, type ProjectDb } from '../store'
import { loadNetwork } from './models'
import { closeFailedRun } from './runFailure'

export interface ModelExportResult {
  runId: number
  format: 'onnx' | 'layers'
  /** Every file written: the .onnx file, or model.json first and then its weight files. */
  files: string[]
  /** Largest |logit difference| between the written model read back and the stored one. */
  maxAbsDiff: number
  /** TF.js Layers: the model.json and the weight files (as `files`, split; what scripts read). */
  modelJson?: string
  weightFiles?: string[]
}

/** Where an ONNX export goes: the path itself (a .onnx file), or `<name>.onnx` inside a folder. */
export function onnxExportPath(path: string, modelName: string): string {
  let isDir = false
  try {
    isDir = statSync(path).isDirectory()
  } catch {
    // A new file.
  }
  if (isDir) return join(path, `${modelName.replace(/[^\w.-]+/g, '_') || 'model'}.onnx`)
  if (extname(path).toLowerCase() !== '.onnx')
    throw new RangeError(`An ONNX export is one file ending in .onnx, got ${path}`)
  return path
}

/** Writes a stored model in the request's format ('layers' unless it says 'onnx'). */
export async function exportModelFiles(
  project: ProjectDb,
  request: ModelExportRequest
): Promise<ModelExportResult> {
  const db = project.writable()
  const { modelId } = request
  const format = request.format ?? 'layers'
  const record = loadModel(project.db, modelId)
  const purpose = `exported to ${format === 'onnx' ? 'ONNX' : 'TF.js'} (export the file it was imported from instead)`
  const net = loadNetwork(project, modelId, purpose)
  const config: StoredRunConfig<'model-export'> = { request, resolved: { format } }
  const runId = createRun(db, {
    kind: 'model-export',
    config,
    backend: (await backendInfo()).name,
    datasetId: record.datasetId ?? undefined,
    modelIds: [modelId]
  })
  try {
    let result: ModelExportResult
    if (format === 'onnx') {
      const file = onnxExportPath(request.path, record.name)
      const ds =
        record.datasetId !== null ? getDatasetSummary(project.db, record.datasetId) : undefined
      const classNames = ds?.classNames.length === net.numClasses ? ds.classNames : undefined
      const out = exportOnnxModel(net, file, classNames ? { classNames } : {})
      result = { runId, format, files: [out.file], maxAbsDiff: out.maxAbsDiff }
    } else {
      const out = await exportLayersModel(net, request.path, { metadata: { modelId } })
      result = {
        runId,
        format,
        files: [out.modelJson, ...out.weightFiles],
        maxAbsDiff: out.maxAbsDiff,
        modelJson: out.modelJson,
        weightFiles: out.weightFiles
      }
    }
    finishRun(db, runId, { status: 'done', results: result })
    return result
  } catch (err) {
    throw closeFailedRun(db, runId, err)
  } finally {
    net.dispose()
  }
}
