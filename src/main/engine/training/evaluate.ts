/**
 * Validation metrics: accuracy, and the similarity δ between two models (thesis Eq. 6.1,
 * reported as mean ± std over a validation set as in Tables 6.1 and 6.2).
 */
import { tf, type Tensor1D, type Tensor4D } from '../tf'
import type { Classifier } from '../models/types'
import type { ImageDataset, ImageSplit } from '../data/types'
import { labelsTensor, toFloatBatch } from '../data/batches'
import { cosinePerSample } from './penalty'
import { inputGradient } from './steps'

export const EVAL_BATCH = 256

/** Calls `fn` on consecutive float batches of `indices`; tensors are freed after each call. */
export function forEachBatch(
  ds: ImageDataset,
  split: ImageSplit,
  indices: readonly number[],
  batchSize: number,
  fn: (x: Tensor4D, y: Tensor1D, batchIndices: readonly number[]) => void
): void {
  for (let start = 0; start < indices.length; start += batchSize) {
    const batch = indices.slice(start, start + batchSize)
    const x = toFloatBatch(split, batch, ds)
    const y = labelsTensor(split, batch)
    try {
      fn(x, y, batch)
    } finally {
      x.dispose()
      y.dispose()
    }
  }
}

/** Predicted class per index (inference mode). */
export function predictClasses(
  model: Classifier,
  ds: ImageDataset,
  split: ImageSplit,
  indices: readonly number[]
): Int32Array {
  const out = new Int32Array(indices.length)
  let offset = 0
  forEachBatch(ds, split, indices, EVAL_BATCH, (x) => {
    const pred = tf.tidy(() => tf.argMax(model.predictLogits(x), 1))
    out.set(pred.dataSync() as Int32Array, offset)
    offset += pred.size
    pred.dispose()
  })
  return out
}

/** Share of `indices` that the model classifies correctly. */
export function accuracy(
  model: Classifier,
  ds: ImageDataset,
  split: ImageSplit,
  indices: readonly number[]
): number {
  const pred = predictClasses(model, ds, split, indices)
  let correct = 0
  pred.forEach((p, k) => {
    if (p === split.labels[indices[k]]) correct++
  })
  return indices.length === 0 ? NaN : correct / indices.length
}

export interface SimilarityStats {
  /** Mean of δ_i (signed cosine), the thesis' figure. */
  mean: number
  std: number
  /** Mean of |δ_i|: near 0 only if the gradients are really orthogonal, not merely mixed-sign. */
  meanAbs: number
  count: number
  /** Mean L2 norm of each model's input gradient: near zero means a collapsed model. */
  gradNormA: number
  gradNormB: number
}

/** Per-image δ of two models, and the mean gradient norm of each (the sums behind SimilarityStats). */
export interface SimilarityDeltas {
  deltas: number[]
  gradNormA: number
  gradNormB: number
}

/**
 * δ between two models over `indices` of a split, image by image: the cosine of the two
 * models' input gradients of their own cross-entropy at the true label (inference mode).
 */
export function similarityDeltas(
  a: Classifier,
  b: Classifier,
  ds: ImageDataset,
  split: ImageSplit,
  indices: readonly number[],
  batchSize = 128
): SimilarityDeltas {
  const deltas: number[] = []
  let normA = 0
  let normB = 0
  forEachBatch(ds, split, indices, batchSize, (x, y) => {
    const [d, na, nb] = tf.tidy(() => {
      const ga = inputGradient(a, x, y)
      const gb = inputGradient(b, x, y)
      const n = x.shape[0]
      // The gradient of the batch-mean loss is the per-sample gradient divided by n.
      const rowNorm = (g: tf.Tensor) => tf.sum(tf.norm(tf.reshape(g, [n, -1]), 2, 1)).mul(n)
      return [cosinePerSample(ga, gb), rowNorm(ga), rowNorm(gb)]
    })
    deltas.push(...(d.dataSync() as Float32Array))
    normA += na.dataSync()[0]
    normB += nb.dataSync()[0]
    tf.dispose([d, na, nb])
  })
  return { deltas, gradNormA: normA / deltas.length, gradNormB: normB / deltas.length }
}

/** Mean ± sample std and mean |δ| of per-image δ (Tables 6.1 / 6.2). */
export function summariseSimilarity(s: SimilarityDeltas): SimilarityStats {
  const { deltas } = s
  const count = deltas.length
  const mean = deltas.reduce((acc, v) => acc + v, 0) / count
  const variance = deltas.reduce((acc, v) => acc + (v - mean) ** 2, 0) / Math.max(1, count - 1)
  return {
    mean,
    std: Math.sqrt(variance),
    meanAbs: deltas.reduce((acc, v) => acc + Math.abs(v), 0) / count,
    count,
    gradNormA: s.gradNormA,
    gradNormB: s.gradNormB
  }
}

/**
 * δ between two models over `indices` of a split: per sample, the cosine of the two models'
 * input gradients of their own cross-entropy at the true label (inference mode).
 */
export function similarity(
  a: Classifier,
  b: Classifier,
  ds: ImageDataset,
  split: ImageSplit,
  indices: readonly number[],
  batchSize = 128
): SimilarityStats {
  return summariseSimilarity(similarityDeltas(a, b, ds, split, indices, batchSize))
}

/**
 * Counts of `values` in `bins` equal bins over [min, max]; the last bin is closed (a δ of
 * exactly 1 counts) and values outside the range land in the end bins (a cosine computed in
 * float32 may stray past ±1 by a rounding).
 */
export function histogram(
  values: readonly number[],
  { min, max, bins }: { min: number; max: number; bins: number }
): { edges: number[]; counts: number[] } {
  const width = (max - min) / bins
  const edges = Array.from({ length: bins + 1 }, (_, i) => +(min + i * width).toFixed(10))
  const counts = new Array<number>(bins).fill(0)
  for (const v of values) {
    if (!Number.isFinite(v)) continue
    const k = Math.min(bins - 1, Math.max(0, Math.floor((v - min) / width)))
    counts[k]!++
  }
  return { edges, counts }
}
