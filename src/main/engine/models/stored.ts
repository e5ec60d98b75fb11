/**
 * Models as the project stores them (an architecture JSON and SerializedWeights), whatever
 * their origin: the zoo and imported TensorFlow.js Layers models (a ModelArchitecture, run by
 * Network) and imported ONNX models (an OnnxArchitecture, run by OnnxModel). The services load
 * every model through modelFromStored and check it against a dataset with datasetMismatch.
 */
import { Network, type SerializedWeights } from './network'
import type { ModelArchitecture } from './architecture'
import { isOnnxArchitecture, OnnxModel } from './onnx/model'
import type { StagedClassifier } from './types'

/** What the engine can run from a stored model: both kinds are staged classifiers. */
export type LoadedModel = Network | OnnxModel

/** Rebuilds a stored model; throws a message naming the model if its record is unusable. */
export function modelFromStored(
  architecture: unknown,
  weights: SerializedWeights,
  options: { id: string; name: string; seed?: number }
): LoadedModel {
  if (isOnnxArchitecture(architecture))
    return new OnnxModel(architecture, weights, options.id, options.name)
  const a = architecture as ModelArchitecture
  if (a?.format !== 1) {
    throw new Error(
      `Model "${options.name}": format ${String(a?.format)} is newer than this version of Ortholens understands`
    )
  }
  const net = new Network(a, options.id, options.name, options.seed ?? 0)
  try {
    net.loadWeights(weights)
  } catch (err) {
    net.dispose()
    throw err
  }
  return net
}

/** Whether a loaded model can be trained further or exported to the Layers format (a Network). */
export function isNetwork(model: StagedClassifier): model is Network {
  return model instanceof Network
}

/** The part of a dataset a model must fit. */
export interface DatasetFit {
  name: string
  /** [height, width, channels] */
  shape: [number, number, number]
  classCount: number
}

/** The part of a model (or of its stored architecture JSON) that must fit a dataset. */
export interface ModelFit {
  name: string
  inputShape: [number, number, number]
  numClasses: number
}

/**
 * Why `model` cannot run on `dataset` (its images or its classes), as a sentence naming both,
 * or undefined when it fits. Used to filter what is offered and to refuse in the CLI before any
 * tensor is made.
 */
export function datasetMismatch(model: ModelFit, dataset: DatasetFit): string | undefined {
  const [h, w, c] = model.inputShape
  const [dh, dw, dc] = dataset.shape
  if (h !== dh || w !== dw || c !== dc) {
    return `Model "${model.name}" takes ${h}x${w}x${c} images; dataset "${dataset.name}" has ${dh}x${dw}x${dc}`
  }
  if (model.numClasses !== dataset.classCount) {
    return `Model "${model.name}" predicts ${model.numClasses} classes; dataset "${dataset.name}" has ${dataset.classCount}`
  }
  return undefined
}
