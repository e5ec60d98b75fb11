/** Tiny classifiers for attack tests: analytic (linear) and nonlinear (one hidden ReLU layer). */
import { tf } from '../../../../src/main/engine/tf'
import type { Tensor2D, Tensor4D } from '../../../../src/main/engine/tf'
import type { Classifier } from '../../../../src/main/engine/models/types'
import { createRng } from '../../../../src/main/engine/attacks/random'

/** Seeded values in [-scale, scale]. */
export function seededValues(n: number, seed: number, scale = 1): Float32Array {
  const rng = createRng(seed)
  return Float32Array.from({ length: n }, () => (2 * rng() - 1) * scale)
}

/** logits = flatten(x)·W + b. W is [H·W·C, K]. */
export function linearClassifier(
  inputShape: [number, number, number],
  w: Float32Array,
  b: Float32Array,
  id = 'linear'
): Classifier & { w: Float32Array } {
  const d = inputShape[0] * inputShape[1] * inputShape[2]
  const k = b.length
  const wT = tf.keep(tf.tensor2d(w, [d, k]))
  const bT = tf.keep(tf.tensor1d(b))
  return {
    id,
    name: id,
    inputShape,
    numClasses: k,
    w,
    predictLogits: (x: Tensor4D) =>
      tf.tidy(() => tf.add(tf.matMul(tf.reshape(x, [x.shape[0], d]), wT), bT) as Tensor2D)
  }
}

/** logits = relu(flatten(x)·W1 + b1)·W2 + b2 with seeded weights. */
export function mlpClassifier(
  inputShape: [number, number, number],
  hidden: number,
  classes: number,
  seed: number,
  id = 'mlp'
): Classifier {
  const d = inputShape[0] * inputShape[1] * inputShape[2]
  const w1 = tf.keep(tf.tensor2d(seededValues(d * hidden, seed, 1 / Math.sqrt(d)), [d, hidden]))
  const b1 = tf.keep(tf.tensor1d(seededValues(hidden, seed + 1, 0.1)))
  const w2 = tf.keep(tf.tensor2d(seededValues(hidden * classes, seed + 2, 1), [hidden, classes]))
  const b2 = tf.keep(tf.tensor1d(seededValues(classes, seed + 3, 0.1)))
  return {
    id,
    name: id,
    inputShape,
    numClasses: classes,
    predictLogits: (x: Tensor4D) =>
      tf.tidy(() => {
        const h = tf.relu(tf.add(tf.matMul(tf.reshape(x, [x.shape[0], d]), w1), b1))
        return tf.add(tf.matMul(h, w2), b2) as Tensor2D
      })
  }
}

/** Seeded images in [lo, hi]. */
export function seededImages(
  n: number,
  shape: [number, number, number],
  seed: number,
  lo = 0,
  hi = 1
): Tensor4D {
  const size = n * shape[0] * shape[1] * shape[2]
  const rng = createRng(seed)
  return tf.tensor4d(
    Float32Array.from({ length: size }, () => lo + (hi - lo) * rng()),
    [n, ...shape]
  )
}

/** max |a − b| over all elements. */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!)
}
