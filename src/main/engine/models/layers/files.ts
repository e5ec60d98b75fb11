/**
 * The files of a TensorFlow.js Layers model: `model.json` (topology + weights manifest) and
 * its binary weight shards. Reading validates everything a damaged or hand-edited export can
 * get wrong, and every message names the file at fault. Writing uses node:fs directly because
 * the `file://` IO handlers of TensorFlow.js live in tfjs-node, which Ortholens does not need.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { formatBytes, readFileBounded, regularFileSizeSync } from '../../io/bounded'
import { ConfinedFolder } from '../../io/confined'
import { FileAccessError } from '../../io/errors'
import { tf } from '../../tf'

/**
 * A model import or export that cannot go on. `message` says what and where in words;
 * `detail` keeps technical specifics (a parser's text, an errno) for the log.
 */
export class LayersFormatError extends Error {
  override readonly name = 'LayersFormatError'
  readonly detail?: string
  constructor(message: string, options?: { cause?: unknown; detail?: string }) {
    super(message, options)
    if (options?.detail !== undefined) this.detail = options.detail
  }
}

/** model.json is topology and a manifest: tens of kB; anything huge is not one. */
const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024
/** All weight files of one model together (256 M float32 values). */
const MAX_WEIGHT_BYTES = 1024 * 1024 * 1024
/** Elements of one weight tensor at most; also keeps shape products exact in doubles. */
const MAX_WEIGHT_ELEMENTS = 256 * 1024 * 1024

/** A FileAccessError as a LayersFormatError, keeping its words. */
function fromAccess(err: unknown): never {
  if (err instanceof FileAccessError) {
    throw new LayersFormatError(err.message, { cause: err, detail: err.detail })
  }
  throw err
}

/** One entry of a weights manifest group, as TensorFlow.js writes it. */
export interface LayersWeightSpec {
  name: string
  shape: number[]
  dtype: string
  quantization?: { dtype: string; scale?: number; min?: number }
}

export interface LayersModelJson {
  format?: string
  generatedBy?: string
  convertedBy?: string | null
  modelTopology: unknown
  weightsManifest: { paths: string[]; weights: LayersWeightSpec[] }[]
  userDefinedMetadata?: Record<string, unknown>
}

/** A decoded weight: float32 values in row-major order. */
export interface DecodedWeight {
  name: string
  shape: number[]
  data: Float32Array
}

export interface LayersModelFiles {
  modelJsonPath: string
  weightFiles: string[]
  json: LayersModelJson
  weights: DecodedWeight[]
}

export const MODEL_JSON = 'model.json'
export const SHARD_NAME = 'group1-shard1of1.bin'

const BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2
}

/** `path` may be the model's folder or its model.json. */
export function resolveModelJson(path: string): string {
  const full = resolve(path)
  if (!existsSync(full)) throw new LayersFormatError(`${full} does not exist`)
  if (statSync(full).isDirectory()) {
    const inside = join(full, MODEL_JSON)
    if (!existsSync(inside)) throw new LayersFormatError(`${full} holds no ${MODEL_JSON}`)
    return inside
  }
  return full
}

/** Elements of a shape, or undefined when a dimension is not a count or the total is too large. */
function elementsOf(shape: unknown): number | undefined {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) return undefined
  let n = 1
  for (const d of shape as number[]) {
    n *= d
    if (n > MAX_WEIGHT_ELEMENTS) return undefined
  }
  return n
}

/**
 * Reads and validates model.json and all its weight shards. The weight paths must stay inside
 * the model's folder (no `..`, absolute path, device file or link out of it); their sizes are
 * checked against the manifest before a byte of them is read.
 */
export function readLayersModelFiles(path: string): LayersModelFiles {
  const modelJsonPath = resolveModelJson(path)
  let json: LayersModelJson
  let folder: ConfinedFolder
  try {
    folder = new ConfinedFolder(dirname(modelJsonPath))
    const text = readFileBounded(modelJsonPath, {
      maxBytes: MAX_MODEL_JSON_BYTES,
      what: 'a model.json'
    }).toString('utf8')
    try {
      json = JSON.parse(text) as LayersModelJson
    } catch (err) {
      throw new LayersFormatError(
        `${modelJsonPath} is not valid JSON (damaged or not a model file)`,
        {
          cause: err,
          detail: (err as Error).message
        }
      )
    }
  } catch (err) {
    fromAccess(err)
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new LayersFormatError(`${modelJsonPath} is not a TensorFlow.js model (not a JSON object)`)
  }
  if (json.format === 'graph-model') {
    throw new LayersFormatError(
      `${modelJsonPath} is a TensorFlow.js graph model (a converted SavedModel); only Layers models (Keras) can be imported`
    )
  }
  if (json.format !== undefined && json.format !== 'layers-model') {
    throw new LayersFormatError(
      `${modelJsonPath} has format "${String(json.format)}", expected "layers-model"`
    )
  }
  if (!json.modelTopology || typeof json.modelTopology !== 'object') {
    throw new LayersFormatError(`${modelJsonPath} has no modelTopology`)
  }
  const manifest = json.weightsManifest ?? []
  if (!Array.isArray(manifest))
    throw new LayersFormatError(`${modelJsonPath}: weightsManifest is not a list`)
  const weightFiles: string[] = []
  const weights: DecodedWeight[] = []
  let totalBytes = 0
  manifest.forEach((group, g) => {
    if (!group || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new LayersFormatError(
        `${modelJsonPath}: weightsManifest group ${g + 1} needs "paths" and "weights" lists`
      )
    }
    const specs = group.weights
    let expected = 0
    for (const spec of specs) {
      const name = typeof spec?.name === 'string' ? spec.name : `#${specs.indexOf(spec) + 1}`
      const dtype = spec?.quantization?.dtype ?? spec?.dtype
      const per = BYTES[dtype]
      if (per === undefined || dtype === 'string') {
        throw new LayersFormatError(
          `${modelJsonPath}: weight "${name}" has unsupported dtype "${String(dtype)}"`
        )
      }
      const n = elementsOf(spec.shape)
      if (n === undefined) {
        throw new LayersFormatError(
          `${modelJsonPath}: weight "${name}" has an invalid or impossibly large shape`,
          {
            detail: JSON.stringify(spec.shape)?.slice(0, 200)
          }
        )
      }
      expected += n * per
    }
    // Where the weights are and how big they are, before reading any of them.
    const located = group.paths.map((p) => {
      if (typeof p !== 'string')
        throw new LayersFormatError(
          `${modelJsonPath}: weightsManifest group ${g + 1} lists a path that is not text`
        )
      const listed = (() => {
        try {
          return folder.resolveListed(p, modelJsonPath)
        } catch (err) {
          if (err instanceof FileAccessError && err.problem === 'missing') {
            throw new LayersFormatError(
              `Weight file ${join(folder.root, p)} (listed in ${modelJsonPath}) is missing`,
              {
                cause: err,
                detail: err.detail
              }
            )
          }
          return fromAccess(err)
        }
      })()
      let size: number
      try {
        size = regularFileSizeSync(listed.real, listed.path)
      } catch (err) {
        return fromAccess(err)
      }
      return { ...listed, size }
    })
    const files = located.map((f) => f.path)
    const actual = located.reduce((n, f) => n + f.size, 0)
    if (actual !== expected) {
      throw new LayersFormatError(
        `Weight file${files.length > 1 ? 's' : ''} ${files.join(', ')} hold${files.length > 1 ? '' : 's'} ${actual} bytes, ` +
          `but ${basename(modelJsonPath)} describes ${expected} bytes (${actual < expected ? 'truncated' : 'too long'})`
      )
    }
    totalBytes += actual
    if (totalBytes > MAX_WEIGHT_BYTES) {
      throw new LayersFormatError(
        `${modelJsonPath}: the weights take more than ${formatBytes(MAX_WEIGHT_BYTES)}, more than an imported model may have`
      )
    }
    const buffers = located.map((f) => {
      try {
        return readFileBounded(f.real, { maxBytes: f.size, shownAs: f.path, what: 'a weight file' })
      } catch (err) {
        return fromAccess(err)
      }
    })
    if (buffers.reduce((n, b) => n + b.length, 0) !== expected) {
      throw new LayersFormatError(
        `Weight files ${files.join(', ')} changed while they were being read`
      )
    }
    weightFiles.push(...files)
    const bytes = new Uint8Array(actual)
    let at = 0
    for (const b of buffers) {
      bytes.set(b, at)
      at += b.length
    }
    const ends = buffers.map((_, i) => buffers.slice(0, i + 1).reduce((n, b) => n + b.length, 0))
    const decoded = tf.io.decodeWeights(bytes.buffer, specs as tf.io.WeightsManifestEntry[])
    try {
      let offset = 0
      for (const spec of specs) {
        const data = Float32Array.from(decoded[spec.name]!.dataSync())
        const bad = data.findIndex((v) => !Number.isFinite(v))
        if (bad >= 0) {
          const per = BYTES[spec.quantization?.dtype ?? spec.dtype]!
          const byte = offset + bad * per
          const file = files[ends.findIndex((end) => byte < end)] ?? files[files.length - 1]
          throw new LayersFormatError(
            `Weight "${spec.name}" in ${file} holds a non-finite value (NaN or Inf) at element ${bad}`
          )
        }
        weights.push({ name: spec.name, shape: [...spec.shape], data })
        offset += sizeOf(spec.shape) * BYTES[spec.quantization?.dtype ?? spec.dtype]!
      }
    } finally {
      tf.dispose(Object.values(decoded))
    }
  })
  return { modelJsonPath, weightFiles, json, weights }
}

/** Writes model.json and a single weight shard into `dir` (created if needed). */
export function writeLayersModelFiles(
  dir: string,
  artifacts: { modelTopology: unknown; weightSpecs: LayersWeightSpec[]; weightData: Uint8Array },
  extra: { generatedBy: string; userDefinedMetadata?: Record<string, unknown> }
): { modelJson: string; weightFiles: string[] } {
  const out = resolve(dir)
  mkdirSync(out, { recursive: true })
  const json: LayersModelJson = {
    format: 'layers-model',
    generatedBy: extra.generatedBy,
    convertedBy: null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [SHARD_NAME], weights: artifacts.weightSpecs }],
    ...(extra.userDefinedMetadata ? { userDefinedMetadata: extra.userDefinedMetadata } : {})
  }
  const modelJson = join(out, MODEL_JSON)
  const shard = join(out, SHARD_NAME)
  writeFileSync(shard, artifacts.weightData)
  writeFileSync(modelJson, JSON.stringify(json))
  return { modelJson, weightFiles: [shard] }
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}
