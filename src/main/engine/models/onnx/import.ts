/**
 * ONNX import, the engine's side of it: a file and the declared preprocessing in, a
 * storable model out (architecture JSON + weights), after proving that the model builds,
 * predicts finite logits and can be differentiated with respect to its input. Nothing is
 * kept: a failed import leaves no state behind, and every failure is an OnnxImportError.
 */
import { basename } from 'node:path'
import { tf, type Tensor4D } from '../../tf'
import type { SerializedWeights } from '../network'
import { ConstantCache } from './context'
import { OnnxImportError } from './errors'
import type { OnnxGraphDef } from './graph'
import {
  buildPlan,
  classCount,
  OnnxModel,
  planBatch,
  weightMap,
  type OnnxArchitecture
} from './model'
import { ONNX_OPERATORS } from './ops'
import { parseOnnxFile, type ParsedOnnx } from './parse'
import { inferPreprocessing, resolvePreprocessing, type OnnxPreprocessing } from './preprocessing'

export interface OnnxImportOptions {
  /** What the user declared; the rest comes from the file (input dims, an Ortholens export's metadata). */
  preprocessing?: Partial<OnnxPreprocessing>
}

export interface ImportedOnnxModel {
  architecture: OnnxArchitecture
  weights: SerializedWeights
  /** What the import changed (a dropped final softmax, outputs beyond the first…). */
  warnings: string[]
  info: {
    file: string
    producer: string
    opset: number
    irVersion: number
    operators: string[]
    parameterCount: number
    /** Saliency stages with a spatial map (Grad-CAM / CAMERAS), and the default one. */
    featureStages: string[]
    defaultStage: string | undefined
    acceptsAnyInputSize: boolean
  }
}

/**
 * Reads `path` (an .onnx file, external data beside it) and builds the model once to check it.
 * Throws an OnnxImportError that says what and where.
 */
export function importOnnxModel(path: string, options: OnnxImportOptions = {}): ImportedOnnxModel {
  const parsed = parseOnnxFile(path)
  return importParsed(parsed, basename(path), options)
}

export function importParsed(
  parsed: ParsedOnnx,
  file: string,
  options: OnnxImportOptions = {}
): ImportedOnnxModel {
  const warnings = [...parsed.warnings]
  const graph = dropFinalSoftmax(parsed.graph, warnings)
  const preprocessing = resolvePreprocessing(
    options.preprocessing ?? {},
    inferPreprocessing(graph.input.dims, parsed.metadata),
    graph.input.dims,
    file
  )
  const { numClasses, fixedBatch } = outputClasses(graph, parsed.weights, preprocessing, file)
  if (fixedBatch !== undefined) {
    warnings.push(
      `The model was exported for batches of exactly ${fixedBatch}; Ortholens runs it ${fixedBatch} image(s) at a time (export with a dynamic batch axis for speed)`
    )
  }
  if (numClasses < 2)
    throw new OnnxImportError(
      `${file}: the model has ${numClasses} output; a classifier needs at least 2`
    )
  if (preprocessing.classNames && preprocessing.classNames.length !== numClasses) {
    throw new OnnxImportError(
      `${file}: ${preprocessing.classNames.length} class names for a model with ${numClasses} outputs`
    )
  }
  const architecture: OnnxArchitecture = {
    format: 1,
    arch: 'onnx',
    inputShape: [preprocessing.size[0], preprocessing.size[1], preprocessing.channels],
    numClasses,
    preprocessing,
    graph,
    source: { file, producer: parsed.producer, opset: graph.opset, irVersion: parsed.irVersion }
  }
  const model = new OnnxModel(architecture, parsed.weights, 'onnx-import-check', file)
  try {
    probe(model, file)
    return {
      architecture,
      weights: parsed.weights,
      warnings,
      info: {
        file,
        producer: parsed.producer,
        opset: graph.opset,
        irVersion: parsed.irVersion,
        operators: model.operators(),
        parameterCount: model.parameterCount(),
        featureStages: model.featureStages(),
        defaultStage: model.defaultStage(),
        acceptsAnyInputSize: model.acceptsAnyInputSize()
      }
    }
  } finally {
    model.dispose()
  }
}

/** Rebuilds a stored ONNX model (its architecture JSON and weights from the project). */
export function onnxModelFromStored(
  architecture: OnnxArchitecture,
  weights: SerializedWeights,
  options: { id: string; name: string }
): OnnxModel {
  return new OnnxModel(architecture, weights, options.id, options.name)
}

/** Classes the graph outputs at the declared size (and a fixed batch it needs), from a throw-away build. */
function outputClasses(
  graph: OnnxGraphDef,
  weights: SerializedWeights,
  p: OnnxPreprocessing,
  file: string
): { numClasses: number; fixedBatch?: number } {
  const cache = new ConstantCache()
  try {
    const plan = buildPlan(
      { graph, weights: weightMap(graph, weights, file), cache, registry: ONNX_OPERATORS },
      p
    )
    const batch = planBatch(plan)
    const k = classCount(plan.value(graph.output), batch)
    if (typeof k === 'string') throw new OnnxImportError(`${file}: ${k}`)
    return { numClasses: k, fixedBatch: typeof batch === 'number' ? batch : undefined }
  } catch (err) {
    if (err instanceof OnnxImportError && !err.message.startsWith(file))
      throw new OnnxImportError(`${file}: ${err.message}`)
    throw err
  } finally {
    cache.dispose()
  }
}

/**
 * A final Softmax / LogSoftmax is removed: Ortholens works on logits (the cross-entropy of the
 * attacks and of orthogonal training applies its own softmax), and the argmax is unchanged.
 */
function dropFinalSoftmax(graph: OnnxGraphDef, warnings: string[]): OnnxGraphDef {
  const last = graph.nodes.find((n) => n.outputs.includes(graph.output))
  if (!last || last.domain !== '' || (last.op !== 'Softmax' && last.op !== 'LogSoftmax'))
    return graph
  const readers = graph.nodes.filter((n) => n.inputs.includes(graph.output))
  if (readers.length > 0) return graph
  warnings.push(
    `The final ${last.op} ('${last.name || last.outputs[0]}') is dropped: Ortholens uses the logits before it (same predictions)`
  )
  return { ...graph, output: last.inputs[0]!, nodes: graph.nodes.filter((n) => n !== last) }
}

/**
 * A forward pass on two images and an input gradient on one: catches a graph that builds but
 * produces non-finite logits (e.g. a division by a zero constant) or that tf cannot differentiate.
 */
function probe(model: OnnxModel, file: string): void {
  const [h, w, c] = model.inputShape
  tf.tidy(() => {
    const x = tf.linspace(0, 1, 2 * h * w * c).reshape([2, h, w, c]) as Tensor4D
    const logits = model.predictLogits(x)
    const values = logits.dataSync()
    if (!values.every(Number.isFinite))
      throw new OnnxImportError(
        `${file}: the model outputs non-finite logits (NaN or Inf) on ordinary images`
      )
    const grad = tf.grad((input) => tf.sum(model.predictLogits(input as Tensor4D)))(
      x.slice([0, 0, 0, 0], [1, h, w, c])
    )
    if (!grad.dataSync().every(Number.isFinite))
      throw new OnnxImportError(`${file}: the model's input gradient is not finite`)
  })
}
