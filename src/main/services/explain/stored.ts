/**
 * How an explanation is kept in a run: 8-bit images and maps (display precision, 4× smaller
 * than floats) as base64, and decoded back to float maps for drawing.
 */
import type { SaliencyMethodName } from '../../../contract/names'
import { range } from '../../engine/data/split'
import { toBytes } from '../../engine/render/png'
import type { ArrayData, ModelExplanation } from '../../engine/saliency'
import { getRun, type ProjectDb } from '../../store'
import { slice } from './common'

/** One model's maps as stored: 8-bit maps (base64, one per sample) or the refusal. */
export interface StoredModelMaps {
  modelId: number
  modelName: string
  predicted: number[]
  classIndex: number[]
  camerasVariant?: 'adaptive-pool'
  maps: Partial<Record<SaliencyMethodName, string[] | { error: string }>>
}

/** What an 'explain' run keeps: small enough for a project (8-bit images and maps, base64). */
export interface StoredExplanation {
  datasetId: number
  split: 'validation'
  sampleIndices: number[]
  labels: number[]
  classNames: string[]
  /** [height, width, channels] */
  shape: [number, number, number]
  methods: SaliencyMethodName[]
  /** One base64 8-bit HWC image per sample. */
  images: string[]
  models: StoredModelMaps[]
}

/** An explanation with float maps, ready for rendering. */
export interface Explanation {
  sampleIndices: number[]
  labels: number[]
  classNames: string[]
  methods: SaliencyMethodName[]
  /** [N, H, W, C] in [0, 1]. */
  images: ArrayData
  /** Per model (project ids); maps [N, H, W] in [0, 1] or the refusal text. */
  models: (Omit<ModelExplanation, 'modelId'> & { modelId: number })[]
}

/** What an 'explain-adversarial' run keeps. */
export interface StoredAdversarialExplanation {
  original: StoredExplanation
  adversarial: StoredExplanation
}

const toB64 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
const fromB64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))

function dequantise(bytes: Uint8Array): Float32Array {
  return Float32Array.from(bytes, (b) => b / 255)
}

export function storeExplanation(
  e: Explanation,
  datasetId: number,
  shape: [number, number, number]
): StoredExplanation {
  const n = e.sampleIndices.length
  return {
    datasetId,
    split: 'validation',
    sampleIndices: e.sampleIndices,
    labels: e.labels,
    classNames: e.classNames,
    shape,
    methods: e.methods,
    images: range(n).map((i) => toB64(toBytes(slice(e.images, i)))),
    models: e.models.map((m) => ({
      modelId: m.modelId,
      modelName: m.modelName,
      predicted: m.predicted,
      classIndex: m.classIndex,
      ...(m.camerasVariant ? { camerasVariant: m.camerasVariant } : {}),
      maps: Object.fromEntries(
        Object.entries(m.maps).map(([method, v]) => [
          method,
          'error' in v! ? { error: v.error } : range(n).map((i) => toB64(toBytes(slice(v!, i))))
        ])
      )
    }))
  }
}

/** Float maps back from a stored explanation (8-bit precision). */
export function decodeExplanation(s: StoredExplanation): Explanation {
  const [h, w, c] = s.shape
  const n = s.sampleIndices.length
  const joined = (parts: string[], size: number): Float32Array => {
    const out = new Float32Array(parts.length * size)
    parts.forEach((p, i) => out.set(dequantise(fromB64(p)), i * size))
    return out
  }
  return {
    sampleIndices: s.sampleIndices,
    labels: s.labels,
    classNames: s.classNames,
    methods: s.methods,
    images: { data: joined(s.images, h * w * c), shape: [n, h, w, c] },
    models: s.models.map((m) => ({
      modelId: m.modelId,
      modelName: m.modelName,
      predicted: m.predicted,
      classIndex: m.classIndex,
      ...(m.camerasVariant ? { camerasVariant: m.camerasVariant } : {}),
      maps: Object.fromEntries(
        Object.entries(m.maps).map(([method, v]) => [
          method,
          Array.isArray(v) ? { data: joined(v, h * w), shape: [n, h, w] } : v
        ])
      )
    }))
  }
}

/** Reloads an 'explain' run from the project. */
export function loadExplanation(project: ProjectDb, runId: number): Explanation {
  const run = getRun(project.db, runId)
  if (!run || run.kind !== 'explain') throw new RangeError(`run ${runId} is not an explanation run`)
  if (run.status !== 'done') throw new RangeError(`explanation run ${runId} is ${run.status}`)
  return decodeExplanation(run.results as StoredExplanation)
}
