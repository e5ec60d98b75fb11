/**
 * Import and export of TensorFlow.js Layers models (SPEC §2.3): `model.json` (a Keras
 * functional or Sequential topology plus a weights manifest) and its binary weight shards.
 * An exported model loads in plain TensorFlow.js with tf.loadLayersModel; an imported one
 * becomes an ordinary Network (arch 'imported') usable as reference, source or target.
 */
import { tf } from '../tf'
import type { ModelArchitecture } from './architecture'
import { Network, type SerializedWeights } from './network'
import { convertTopology } from './layers/fromKeras'
import {
  LayersFormatError,
  readLayersModelFiles,
  writeLayersModelFiles,
  type LayersWeightSpec
} from './layers/files'
import { toLayersModel } from './layers/toKeras'
import { assertWeightsFitArchitecture } from './weightsFit'

export { LayersFormatError } from './layers/files'

export interface ExportedLayersModel {
  /** Absolute path of the written model.json. */
  modelJson: string
  weightFiles: string[]
  /** Largest |logit difference| between the exported tfjs model and `net` on a random batch. */
  maxAbsDiff: number
}

export interface ImportedLayersModel {
  architecture: ModelArchitecture
  weights: SerializedWeights
  /** What the import changed or dropped (final softmax, dropout, constant batch-norm terms…). */
  warnings: string[]
  modelJson: string
  weightFiles: string[]
}

/** Logit agreement demanded of an export before it is written (float32 reassociation only). */
const EXPORT_TOLERANCE = 1e-3

/**
 * Writes `net` as a TensorFlow.js Layers model into `dir`: model.json + group1-shard1of1.bin.
 * The tfjs model is checked against `net` on two random images before anything is written,
 * so a mapping error can never produce a silently different exported model.
 */
export async function exportLayersModel(
  net: Network,
  dir: string,
  options: { generatedBy?: string; metadata?: Record<string, unknown> } = {}
): Promise<ExportedLayersModel> {
  const model = toLayersModel(net)
  try {
    const maxAbsDiff = tf.tidy(() => {
      const x = tf.randomUniform([2, ...net.inputShape], 0, 1, 'float32', 17) as tf.Tensor4D
      const ours = net.predictLogits(x)
      const theirs = model.predict(x) as tf.Tensor
      const scale = tf.max(tf.abs(ours)).dataSync()[0]!
      const diff = tf.max(tf.abs(tf.sub(ours, theirs))).dataSync()[0]!
      if (!(diff <= EXPORT_TOLERANCE * Math.max(1, scale))) {
        throw new LayersFormatError(
          `Exported model disagrees with "${net.name}" (max |logit difference| ${diff})`
        )
      }
      return diff
    })
    let captured: tf.io.ModelArtifacts | undefined
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        captured = artifacts
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
      })
    )
    if (!captured?.modelTopology || !captured.weightSpecs || captured.weightData === undefined) {
      throw new LayersFormatError('TensorFlow.js produced no model artifacts')
    }
    const files = writeLayersModelFiles(
      dir,
      {
        modelTopology: captured.modelTopology,
        weightSpecs: captured.weightSpecs as LayersWeightSpec[],
        weightData: joinBuffers(captured.weightData)
      },
      {
        generatedBy: options.generatedBy ?? `Ortholens (TensorFlow.js ${tf.version.tfjs})`,
        userDefinedMetadata: {
          ortholens: {
            name: net.name,
            arch: net.architecture.arch,
            inputShape: net.inputShape,
            numClasses: net.numClasses,
            inputRange: [0, 1],
            outputs: 'logits',
            ...options.metadata
          }
        }
      }
    )
    return { ...files, maxAbsDiff }
  } finally {
    model.dispose()
  }
}

/**
 * Reads a Layers model (its folder or its model.json) and converts it. Throws a
 * LayersFormatError naming the file or the layers at fault: unreadable JSON, missing or
 * truncated shards, non-finite weights, unsupported layers, shapes that do not fit.
 */
export async function importLayersModel(
  path: string,
  options: { inputShape?: [number, number, number] } = {}
): Promise<ImportedLayersModel> {
  const files = readLayersModelFiles(path)
  const converted = convertTopology(files.json.modelTopology, files.weights, {
    inputShape: options.inputShape,
    source: files.modelJsonPath
  })
  // Declared sizes against the real weights first: building allocates by the declaration.
  try {
    assertWeightsFitArchitecture(converted.architecture, converted.weights.manifest)
  } catch (err) {
    throw new LayersFormatError(`${files.modelJsonPath}: ${(err as Error).message}`, { cause: err })
  }
  // Building the network is the final word on whether the import is a usable model.
  let net: Network | undefined
  try {
    net = new Network(converted.architecture, 'import-check', 'import-check', 0)
    net.loadWeights(converted.weights)
  } catch (err) {
    throw new LayersFormatError(`${files.modelJsonPath}: ${(err as Error).message}`)
  } finally {
    net?.dispose()
  }
  return { ...converted, modelJson: files.modelJsonPath, weightFiles: files.weightFiles }
}

function joinBuffers(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  const parts = Array.isArray(data) ? data : [data]
  const out = new Uint8Array(parts.reduce((n, b) => n + b.byteLength, 0))
  let at = 0
  for (const b of parts) {
    out.set(new Uint8Array(b), at)
    at += b.byteLength
  }
  return out
}
