/**
 * Random restarts with per-image success (Madry et al. 2018 §5; AutoAttack's `n_restarts`,
 * Croce & Hein 2020, https://arxiv.org/abs/2003.01690): run an attack again from a fresh random
 * start, but only on the images that no earlier run fooled; an image keeps the first
 * adversarial that fools it. A fooled image is never attacked again, so restarts cost only
 * what the robust images need.
 */
import { tf } from '../tf'
import type { Tensor1D, Tensor4D } from '../tf'
import type { Classifier } from '../models/types'
import { createRng, deriveSeed } from './random'

/** Crafts adversarials for the images at `positions` (their rows of the whole input). */
export type RestartCraft = (
  x: Tensor4D,
  labels: Tensor1D,
  restart: number,
  positions: number[]
) => Promise<Tensor4D>

export interface RestartOutcome {
  /** One image per input image: the first that fooled the model, else the last run's. */
  adversarial: Tensor4D
  /** Whether each image was fooled (predicted class ≠ label) by some run. */
  fooled: boolean[]
  /** Runs that were needed per image (1 for images the first run fooled). */
  runs: number[]
}

/** Predicted classes of `model` on `x`. */
export function predictedClasses(model: Classifier, x: Tensor4D): Int32Array {
  const classes = tf.tidy(() => tf.argMax(model.predictLogits(x), 1))
  const out = Int32Array.from(classes.dataSync())
  classes.dispose()
  return out
}

/**
 * Rows of `base`, with row positions[j] replaced by row j of `updates`; one gather over the
 * two stacked, so no per-image work in JavaScript.
 */
export function replaceRows(base: Tensor4D, updates: Tensor4D, positions: number[]): Tensor4D {
  const n = base.shape[0]
  const source = Array.from({ length: n }, (_, i) => i)
  positions.forEach((p, j) => (source[p] = n + j))
  return tf.tidy(
    () => tf.gather(tf.concat([base, updates], 0), tf.tensor1d(source, 'int32')) as Tensor4D
  )
}

/**
 * Runs `craft` up to `restarts` times; run r sees only the images every earlier run failed
 * to fool. `x` and `labels` are not disposed; the caller owns the result's `adversarial`.
 */
export async function keepFirstSuccess(
  model: Classifier,
  x: Tensor4D,
  labels: Tensor1D,
  restarts: number,
  craft: RestartCraft
): Promise<RestartOutcome> {
  const n = x.shape[0]
  const truth = Int32Array.from(labels.dataSync())
  const fooled = new Array<boolean>(n).fill(false)
  const runs = new Array<number>(n).fill(0)
  let result: Tensor4D | undefined
  try {
    for (let r = 0; r < restarts; r++) {
      const positions = fooled.flatMap((f, i) => (f ? [] : [i]))
      if (positions.length === 0) break
      const all = positions.length === n
      const xs = all ? x : tf.tidy(() => tf.gather(x, tf.tensor1d(positions, 'int32')) as Tensor4D)
      const ys = all
        ? labels
        : tf.tidy(() => tf.gather(labels, tf.tensor1d(positions, 'int32')) as Tensor1D)
      let adv: Tensor4D
      try {
        adv = await craft(xs, ys, r, positions)
      } finally {
        if (!all) tf.dispose([xs, ys])
      }
      const predicted = predictedClasses(model, adv)
      positions.forEach((p, j) => {
        runs[p]!++
        if (predicted[j] !== truth[p]) fooled[p] = true
      })
      const merged: Tensor4D = result ? replaceRows(result, adv, positions) : adv
      if (result) {
        result.dispose()
        adv.dispose()
      }
      result = merged
    }
    const adversarial = result ?? x.clone()
    result = undefined
    return { adversarial, fooled, runs }
  } finally {
    result?.dispose()
  }
}

/**
 * Per-image uniform noise in [−1, 1] for images with global indices `indices`: one seeded
 * stream per image, so an image's start does not depend on its batch or on which other images
 * are still being attacked.
 */
export function perImageNoise(
  indices: number[],
  valuesPerImage: number,
  seed: number
): Float32Array {
  const out = new Float32Array(indices.length * valuesPerImage)
  indices.forEach((index, i) => {
    const rng = createRng(deriveSeed(seed, index))
    for (let k = 0; k < valuesPerImage; k++) out[i * valuesPerImage + k] = 2 * rng() - 1
  })
  return out
}
