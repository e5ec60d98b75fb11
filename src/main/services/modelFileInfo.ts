/**
 * A model file read without importing it (the 'model-inspect' job): what the import form shows
 * and starts from. For ONNX: producer, opset, the input as declared and the preprocessing the
 * file implies (an Ortholens export stores its own; otherwise the input dims give the layout
 * and size, with no scaling), the class count, and which of the project's datasets it fits.
 * A file the import would refuse (not ONNX, an unsupported operator, NaN weights …) is refused
 * here already, with the same message; a file that only leaves its input size open is
 * answered with that as its `problem`, for the form to ask.
 */
import { basename } from 'node:path'
import type { ModelFileInfo } from '../../contract/entities'
import { importLayersModel } from '../engine/models/layersFormat'
import { inferPreprocessing, resolvePreprocessing } from '../engine/models/onnx/preprocessing'
import { importParsed } from '../engine/models/onnx/import'
import { parseOnnxFile } from '../engine/models/onnx/parse'
import { OnnxImportError } from '../engine/models/onnx'
import { listDatasets, type ProjectDb } from '../store'
import { mismatchOf } from './compatibility'
import { declaredPreprocessing, importedModelName, modelFormatOf } from './modelFileRead'

/** Which datasets a model of this shape fits, by the rule every service applies. */
function datasetFits(
  project: ProjectDb,
  name: string,
  inputShape: [number, number, number] | null,
  numClasses: number | null
): ModelFileInfo['datasets'] {
  return listDatasets(project.db).map((d) => ({
    id: d.id,
    name: d.name,
    mismatch:
      inputShape && numClasses !== null
        ? (mismatchOf({ name, architecture: { inputShape, numClasses } }, d) ?? null)
        : null
  }))
}

/** Reads `path` (an .onnx file, or a TF.js Layers folder / model.json) and describes it. */
export async function inspectModelFile(project: ProjectDb, path: string): Promise<ModelFileInfo> {
  const file = basename(path)
  // Messages name the model as its import would (the file's name without .onnx).
  const name = importedModelName(path)
  if (modelFormatOf(path) === 'layers') {
    const m = await importLayersModel(path)
    const { inputShape, numClasses } = m.architecture
    return {
      path,
      format: 'layers',
      producer: 'TensorFlow.js Layers',
      opset: null,
      inputDims: null,
      preprocessing: null,
      inputShape,
      numClasses,
      operators: [...new Set(m.architecture.layers.map((l) => l.kind))].sort(),
      parameterCount: m.weights.data.length,
      datasets: datasetFits(project, name, inputShape, numClasses),
      problem: null,
      warnings: m.warnings
    }
  }
  const parsed = parseOnnxFile(path)
  const dims = parsed.graph.input.dims
  const inferred = inferPreprocessing(dims, parsed.metadata)
  const base = {
    path,
    format: 'onnx' as const,
    producer: parsed.producer || null,
    opset: parsed.graph.opset,
    inputDims: dims,
    operators: [...new Set(parsed.graph.nodes.map((n) => n.op))].sort()
  }
  try {
    // The full import with the file's own defaults: the class count, and every refusal the
    // import itself would give (operators, values, output shape) before the form is filled in.
    resolvePreprocessing({}, inferred, dims, file)
  } catch (err) {
    if (!(err instanceof OnnxImportError)) throw err
    return {
      ...base,
      preprocessing: declaredPreprocessing(inferred),
      inputShape: null,
      numClasses: null,
      parameterCount: parsed.weights.data.length,
      datasets: datasetFits(project, name, null, null),
      problem: err.message.replace(/^.*?preprocessing: /, ''),
      warnings: parsed.warnings
    }
  }
  const imported = importParsed(parsed, file)
  const a = imported.architecture
  return {
    ...base,
    preprocessing: declaredPreprocessing(a.preprocessing),
    inputShape: a.inputShape,
    numClasses: a.numClasses,
    parameterCount: imported.info.parameterCount,
    datasets: datasetFits(project, name, a.inputShape, a.numClasses),
    problem: null,
    warnings: imported.warnings
  }
}
