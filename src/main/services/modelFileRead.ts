/**
 * Reading a model file, before anything touches a project: an ONNX file (PyTorch's
 * torch.onnx.export, tf2onnx, skl2onnx …) with its declared preprocessing, or a TF.js Layers
 * model. The engine parses, builds and probes it (a differentiable graph with finite logits);
 * what comes back is ready to be stored. A bad file fails here with the engine's message (what
 * and where), so a refused import has written nothing.
 */
import { statSync } from 'node:fs'
import { basename, dirname, extname } from 'node:path'
import type { DeclaredPreprocessing } from '../../contract/entities'
import type { ModelFormat } from '../../contract/names'
import type { ModelImportRequest, OnnxPreprocessingRequest } from '../../contract/requests'
import { importLayersModel } from '../engine/models/layersFormat'
import {
  importOnnxModel,
  type OnnxArchitecture,
  type OnnxPreprocessing
} from '../engine/models/onnx'
import type { ModelArchitecture, SerializedWeights } from '../engine/models'

/** A model file read and checked, not yet stored. */
export interface ReadModel {
  format: ModelFormat
  architecture: ModelArchitecture | OnnxArchitecture
  weights: SerializedWeights
  inputShape: [number, number, number]
  numClasses: number
  parameterCount: number
  warnings: string[]
  /** Where it came from, as the project records it (the model's training config). */
  origin: Record<string, unknown> & { imported: string; format: ModelFormat }
}

/**
 * The format of a path: a folder or a .json file is a TF.js Layers model; anything else is read
 * as ONNX (whose parser says so clearly when it is not one).
 */
export function modelFormatOf(path: string): ModelFormat {
  if (extname(path).toLowerCase() === '.json') return 'layers'
  try {
    if (statSync(path).isDirectory()) return 'layers'
  } catch {
    // A missing path is reported by the importer, with its name.
  }
  return 'onnx'
}

/** The name an imported model gets when the request gives none: its file's, or its folder's. */
export function importedModelName(path: string): string {
  const file = basename(path)
  if (file === 'model.json') return basename(dirname(path))
  return extname(file).toLowerCase() === '.onnx' ? file.slice(0, -5) : file
}

/** The request's preprocessing in the engine's terms (absent fields stay absent: the file's). */
export function enginePreprocessing(p: OnnxPreprocessingRequest): Partial<OnnxPreprocessing> {
  const out: Partial<OnnxPreprocessing> = {}
  if (p.layout) out.layout = p.layout
  if (p.size) out.size = [p.size.height, p.size.width]
  if (p.channels !== undefined) out.channels = p.channels
  if (p.channelOrder) out.channelOrder = p.channelOrder
  if (p.valueScale !== undefined) out.valueScale = p.valueScale
  if (p.mean) out.mean = p.mean
  if (p.std) out.std = p.std
  if (p.classNames) out.classNames = p.classNames
  return out
}

/** The engine's preprocessing as the window shows it. */
export function declaredPreprocessing(p: Partial<OnnxPreprocessing>): DeclaredPreprocessing {
  return {
    layout: p.layout ?? 'NCHW',
    size: p.size ? { height: p.size[0], width: p.size[1] } : null,
    channels: p.channels ?? null,
    channelOrder: p.channelOrder ?? 'RGB',
    valueScale: p.valueScale ?? 1,
    mean: p.mean ?? [0],
    std: p.std ?? [1],
    classNames: p.classNames ?? null
  }
}

/**
 * Reads and checks the request's model file. `datasetShape` fills a Layers model's open input
 * size. Throws the engine's error (OnnxImportError, LayersFormatError) naming file and place.
 */
export async function readModelFile(
  request: Pick<ModelImportRequest, 'path' | 'preprocessing'>,
  datasetShape?: [number, number, number]
): Promise<ReadModel> {
  const format = modelFormatOf(request.path)
  if (format === 'layers') {
    if (request.preprocessing) {
      throw new RangeError(
        'Preprocessing is declared for ONNX models only: a TF.js Layers model takes [0, 1] images, as it was trained in TF.js'
      )
    }
    const m = await importLayersModel(
      request.path,
      datasetShape ? { inputShape: datasetShape } : {}
    )
    const a = m.architecture
    return {
      format,
      architecture: a,
      weights: m.weights,
      inputShape: a.inputShape,
      numClasses: a.numClasses,
      parameterCount: m.weights.data.length,
      warnings: m.warnings,
      origin: { imported: m.modelJson, format, weightFiles: m.weightFiles, warnings: m.warnings }
    }
  }
  const m = importOnnxModel(request.path, {
    preprocessing: enginePreprocessing(request.preprocessing ?? {})
  })
  const a = m.architecture
  return {
    format,
    architecture: a,
    weights: m.weights,
    inputShape: a.inputShape,
    numClasses: a.numClasses,
    parameterCount: m.info.parameterCount,
    warnings: m.warnings,
    origin: {
      imported: request.path,
      format,
      producer: m.info.producer,
      opset: m.info.opset,
      irVersion: m.info.irVersion,
      operators: m.info.operators,
      featureStages: m.info.featureStages,
      defaultStage: m.info.defaultStage ?? null,
      acceptsAnyInputSize: m.info.acceptsAnyInputSize,
      warnings: m.warnings
    }
  }
}
