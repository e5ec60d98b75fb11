/**
 * Saliency-enhanced PGD (thesis §5.7.6, Figure 5.13): L∞ PGD whose every step is scaled,
 * pixel by pixel, by the source model's normalised saliency map (broadcast over channels), so
 * the perturbation is spent where the model looks and the rest of the image stays clean.
 *
 * The weight multiplies the SIGNED step, α·S ⊙ sign(∇ₓL), not the raw gradient: an L∞ PGD step
 * takes the sign, and sign(S ⊙ ∇) = sign(∇) for S ≥ 0, which would make the weighting a no-op.
 * The random start is weighted the same way, otherwise uniform noise would cover the whole
 * image and undo the point of the method.
 *
 * The shared attacks (engine/attacks, `gradientWeight`) scale their steps the same way, but
 * their PGD's random start is not weighted; this loop keeps the weighted start of the method.
 */
import { tf } from '../tf'
import type { Tensor, Tensor1D, Tensor3D, Tensor4D } from '../tf'
import type { Classifier, StagedClassifier } from '../models/types'
import { cameras } from './cameras'
import { SaliencyError } from './errors'
import { gradCam } from './gradcam'
import { classTensor } from './stageGradients'
import { softmaxCrossEntropy } from '../ops/crossEntropy'
import { strictSign } from '../ops/sign'

export interface PgdOptions {
  /** L∞ radius in [0, 1] pixel units (Figure 5.13: 12/255). */
  epsilon: number
  /** Default 10. */
  steps?: number
  /** Default 2.5·ε/steps (Madry et al.'s rule of thumb). */
  stepSize?: number
  /** Uniform start in the ε-ball; default true. */
  randomStart?: boolean
  /** Seed of the random start; default 0. */
  seed?: number
  /** True labels to move away from; default: the clean predictions. */
  labels?: number[]
}

function checkOptions(o: PgdOptions): Required<Omit<PgdOptions, 'labels'>> {
  if (!(o.epsilon >= 0 && o.epsilon <= 1))
    throw new SaliencyError(`epsilon must be in [0, 1], got ${o.epsilon}`)
  const steps = o.steps ?? 10
  if (!Number.isInteger(steps) || steps < 1)
    throw new SaliencyError(`steps must be ≥ 1, got ${steps}`)
  return {
    epsilon: o.epsilon,
    steps,
    stepSize: o.stepSize ?? (2.5 * o.epsilon) / steps,
    randomStart: o.randomStart ?? true,
    seed: o.seed ?? 0
  }
}

/**
 * Untargeted L∞ PGD on cross-entropy, optionally with every step (and the random start)
 * multiplied by `weight` ([N, H, W] in [0, 1], broadcast over channels). Stays in the ε-ball
 * around `x` and in [0, 1]. The caller owns the result.
 */
export function weightedPgd(
  model: Classifier,
  x: Tensor4D,
  options: PgdOptions & { weight?: Tensor3D }
): Tensor4D {
  const o = checkOptions(options)
  const [n] = x.shape
  const labels = tf.tidy(() =>
    options.labels
      ? classTensor(options.labels, n, model.numClasses)
      : (tf.argMax(model.predictLogits(x), 1) as Tensor1D)
  )
  const weight = options.weight ? tf.expandDims(options.weight, 3) : undefined
  try {
    // The attacks' cross-entropy (ops/crossEntropy): no p − onehot cancellation on confident
    // images, so their tiny gradients keep their signs (issue 21.4).
    const loss = (xa: Tensor): Tensor =>
      tf.sum(softmaxCrossEntropy(model.predictLogits(xa as Tensor4D), labels, 'none'))
    const project = (xa: Tensor): Tensor4D =>
      tf.clipByValue(
        tf.add(x, tf.clipByValue(tf.sub(xa, x), -o.epsilon, o.epsilon)),
        0,
        1
      ) as Tensor4D
    let adv = tf.tidy(() => {
      if (!o.randomStart) return tf.clone(x)
      let delta: Tensor = tf.randomUniform(x.shape, -o.epsilon, o.epsilon, 'float32', o.seed)
      if (weight) delta = tf.mul(delta, weight)
      return project(tf.add(x, delta))
    })
    for (let i = 0; i < o.steps; i++) {
      const next = tf.tidy(() => {
        let step: Tensor = strictSign(tf.grad(loss)(adv))
        if (weight) step = tf.mul(step, weight)
        return project(tf.add(adv, tf.mul(step, o.stepSize)))
      })
      adv.dispose()
      adv = next
    }
    return adv
  } finally {
    labels.dispose()
    weight?.dispose()
  }
}

export type SaliencySource = 'cameras' | 'gradcam' | Tensor3D

export interface SaliencyPgdOptions extends PgdOptions {
  /**
   * The map that weights the steps; default CAMERAS (as in the thesis) when the model accepts
   * any input size, else Grad-CAM. A given tensor [N, H, W] in [0, 1] is used as is.
   */
  saliency?: SaliencySource
  /** Feature stage for the saliency method. */
  stage?: string
  /** CAMERAS on a fixed-size (flatten-head) model: see CamerasOptions.fixedSizeHead. */
  fixedSizeHead?: 'refuse' | 'adaptive-pool'
}

function saliencyFor(
  model: StagedClassifier,
  x: Tensor4D,
  o: SaliencyPgdOptions
): { map: Tensor3D; method: string } {
  const camerasRuns = model.acceptsAnyInputSize() || o.fixedSizeHead === 'adaptive-pool'
  const source = o.saliency ?? (camerasRuns ? 'cameras' : 'gradcam')
  if (source === 'cameras') {
    const map = cameras(model, x, {
      stage: o.stage,
      classIndex: o.labels,
      fixedSizeHead: o.fixedSizeHead
    })
    return { map, method: model.acceptsAnyInputSize() ? 'cameras' : 'cameras (adaptive-pool)' }
  }
  if (source === 'gradcam')
    return { map: gradCam(model, x, { stage: o.stage, classIndex: o.labels }), method: 'gradcam' }
  const [n, h, w] = x.shape
  if (source.shape[0] !== n || source.shape[1] !== h || source.shape[2] !== w) {
    throw new SaliencyError(
      `saliency map shape [${source.shape}] does not match images [${n}, ${h}, ${w}]`
    )
  }
  return { map: tf.clone(source), method: 'given' }
}

/** Saliency-enhanced PGD; returns the adversarial images, the map used and its method. */
export function saliencyPgd(
  model: StagedClassifier,
  x: Tensor4D,
  options: SaliencyPgdOptions
): { adversarial: Tensor4D; saliency: Tensor3D; method: string } {
  const { map, method } = saliencyFor(model, x, options)
  const adversarial = weightedPgd(model, x, { ...options, weight: map })
  return { adversarial, saliency: map, method }
}

export interface PgdReport {
  /** Per image: ‖δ‖₂ and ‖δ‖∞ over all pixels and channels, in [0, 1] pixel units. */
  l2: number[]
  linf: number[]
  /** Per image: the highest probability given to a class other than the label. */
  foolingConfidence: number[]
  /** Per image: whether the prediction moved off the label. */
  fooled: boolean[]
}

/** Norms and fooling confidence of `adv` against `x` for the given labels. */
export async function pgdReport(
  model: Classifier,
  x: Tensor4D,
  adv: Tensor4D,
  labels: number[]
): Promise<PgdReport> {
  const [n] = x.shape
  const t = tf.tidy(() => {
    const delta = tf.reshape(tf.sub(adv, x), [n, -1])
    const l2 = tf.sqrt(tf.sum(tf.square(delta), 1))
    const linf = tf.max(tf.abs(delta), 1)
    const logits = model.predictLogits(adv)
    const probs = tf.softmax(logits)
    const onLabel = tf.oneHot(tf.tensor1d(labels, 'int32'), model.numClasses).toFloat()
    // Push the label's probability below every other one before the max.
    const others = tf.max(tf.sub(probs, tf.mul(onLabel, 2)), 1)
    const pred = tf.argMax(logits, 1)
    return [l2, linf, others, pred]
  })
  const [l2, linf, conf, pred] = await Promise.all(t.map((v) => v.data()))
  t.forEach((v) => v.dispose())
  return {
    l2: Array.from(l2!),
    linf: Array.from(linf!),
    foolingConfidence: Array.from(conf!),
    fooled: Array.from(pred!).map((p, i) => p !== labels[i])
  }
}

export interface PgdComparison {
  epsilon: number
  method: string
  labels: number[]
  vanilla: PgdReport
  enhanced: PgdReport
}

/**
 * Vanilla and saliency-enhanced PGD at the same ε and settings (same seed), reported side by
 * side as in Figure 5.13. The adversarial images are disposed; use saliencyPgd to keep them.
 */
export async function compareSaliencyPgd(
  model: StagedClassifier,
  x: Tensor4D,
  options: SaliencyPgdOptions
): Promise<PgdComparison> {
  let labels = options.labels
  if (!labels) {
    const pred = tf.tidy(() => tf.argMax(model.predictLogits(x), 1))
    labels = Array.from(await pred.data())
    pred.dispose()
  }
  const o = { ...options, labels }
  const vanillaAdv = weightedPgd(model, x, o)
  const { adversarial, saliency, method } = saliencyPgd(model, x, o)
  try {
    return {
      epsilon: options.epsilon,
      method,
      labels,
      vanilla: await pgdReport(model, x, vanillaAdv, labels),
      enhanced: await pgdReport(model, x, adversarial, labels)
    }
  } finally {
    vanillaAdv.dispose()
    adversarial.dispose()
    saliency.dispose()
  }
}
