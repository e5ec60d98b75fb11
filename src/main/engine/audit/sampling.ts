/**
 * Draws the evaluation samples of the transfer protocol (thesis §6.4): from the validation
 * split, up to N samples that the source AND every target classify correctly, so prior
 * accuracy is 100% and already-misclassified samples cannot inflate a fooling ratio.
 *
 * Drawing: the validation indices are shuffled with the seed and scanned in that order,
 * keeping those all models get right, until N are kept. A prefix of a uniform shuffle filtered
 * by a predicate is a uniform sample of the eligible set, and it only classifies as many
 * images as needed.
 */
import { tf } from '../tf'
import type { Tensor4D } from '../tf'
import type { Classifier } from '../models/types'
import type { ImageDataset } from '../data/types'
import { labelsTensor, toFloatBatch } from '../data/batches'
import { abortError } from '../attacks/base'
import { createRng, shuffledIndices } from '../attacks/random'

export interface SampleSelection {
  /** Validation indices of the drawn samples, in draw order. */
  indices: number[]
  /** Their labels. */
  labels: number[]
  requested: number
  /** Validation images classified to find them. */
  examined: number
  /** How many of the examined were correct on every model. */
  eligibleExamined: number
  seed: number
}

export interface SelectionOptions {
  count?: number
  seed?: number
  batchSize?: number
  signal?: AbortSignal
  onProgress?: (found: number, examined: number) => void
}

/** Predicted class and its softmax probability for each image. */
export interface Predictions {
  classes: Int32Array
  confidences: Float32Array
}

/** Argmax class and softmax confidence of `model` on `x` (no tensors left behind). */
export function predict(model: Classifier, x: Tensor4D): Predictions {
  const [classes, confidences] = tf.tidy(() => {
    const probs = tf.softmax(model.predictLogits(x))
    return [tf.argMax(probs, 1), tf.max(probs, 1)]
  })
  const result = {
    classes: Int32Array.from(classes.dataSync()),
    confidences: Float32Array.from(confidences.dataSync())
  }
  tf.dispose([classes, confidences])
  return result
}

/** Draws up to `count` (default 1000) validation samples every model classifies correctly. */
export async function selectCorrectSamples(
  dataset: ImageDataset,
  models: Classifier[],
  options: SelectionOptions = {}
): Promise<SampleSelection> {
  const { count = 1000, seed = 0, batchSize = 100, signal, onProgress } = options
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`sampleCount must be an integer ≥ 1, got ${count}`)
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batchSize must be an integer ≥ 1, got ${batchSize}`)
  if (models.length === 0) throw new Error('selectCorrectSamples needs at least one model')
  const split = dataset.validation
  const order = shuffledIndices(split.count, createRng(seed))
  const kept: number[] = []
  let examined = 0
  let eligible = 0
  for (let start = 0; start < order.length && kept.length < count; start += batchSize) {
    if (signal?.aborted) throw abortError()
    const chunk = order.slice(start, start + batchSize)
    const x = toFloatBatch(split, chunk, dataset)
    let correct: boolean[]
    try {
      correct = chunk.map(() => true)
      for (const model of models) {
        const { classes } = predict(model, x)
        chunk.forEach((idx, k) => {
          if (classes[k] !== split.labels[idx]) correct[k] = false
        })
      }
    } finally {
      x.dispose()
    }
    examined += chunk.length
    chunk.forEach((idx, k) => {
      if (!correct[k]) return
      eligible++
      if (kept.length < count) kept.push(idx)
    })
    onProgress?.(kept.length, examined)
    await new Promise((resolve) => setImmediate(resolve))
  }
  return {
    indices: kept,
    labels: kept.map((i) => split.labels[i]!),
    requested: count,
    examined,
    eligibleExamined: eligible,
    seed
  }
}

/** Images and labels of `indices` as tensors in [0, 1] (caller disposes). */
export function sampleBatch(dataset: ImageDataset, indices: number[]) {
  return {
    x: toFloatBatch(dataset.validation, indices, dataset),
    y: labelsTensor(dataset.validation, indices)
  }
}
