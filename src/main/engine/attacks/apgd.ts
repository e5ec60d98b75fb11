/**
 * APGD — Auto-PGD. Croce, Hein, "Reliable evaluation of adversarial robustness with an
 * ensemble of diverse parameter-free attacks", ICML 2020, https://arxiv.org/abs/2003.01690
 * (Algorithm 1, L∞), with the cross-entropy (APGD-CE) or the DLR loss (APGD-DLR, Eq. 6).
 *
 *   z⁽ᵏ⁺¹⁾ = P(x⁽ᵏ⁾ + η·sign(∇f(x⁽ᵏ⁾)))
 *   x⁽ᵏ⁺¹⁾ = P(x⁽ᵏ⁾ + α(z⁽ᵏ⁺¹⁾ − x⁽ᵏ⁾) + (1 − α)(x⁽ᵏ⁾ − x⁽ᵏ⁻¹⁾))   (α = 1 on the first step)
 *
 * with P the projection onto the ε-ball ∩ [0, 1]. Step size η⁰ = 2ε; at checkpoint wⱼ
 * (wⱼ = ⌈pⱼ·N⌉, p₀ = 0, p₁ = 0.22, pⱼ₊₁ = pⱼ + max(pⱼ − pⱼ₋₁ − 0.03, 0.06)) η halves and the
 * iterate returns to the best point found when
 *   (1) fewer than ρ·(wⱼ − wⱼ₋₁) of the steps since wⱼ₋₁ raised the loss, or
 *   (2) η was not halved at wⱼ₋₁ and the best loss has not grown since then.
 * Every quantity is per image (η, the best point, the counts). Defaults from the paper:
 * N = 100, α = 0.75, ρ = 0.75, one run from a random start x⁽⁰⁾ = x + ε·t/‖t‖∞, t ~ U(−1, 1);
 * each restart reruns only the images not yet fooled (restarts.ts).
 *
 * Reading of the indices (as the authors' code does it): the checkpoint test at wⱼ runs once
 * x⁽ʷʲ⁾ and its loss are known, over the wⱼ − wⱼ₋₁ steps x⁽ⁱ⁾ → x⁽ⁱ⁺¹⁾, i ∈ [wⱼ₋₁, wⱼ). After
 * a return to the best point, the next step "raises the loss" only if it beats the best loss:
 * the paper sets x⁽ᵏ⁺¹⁾ ← x_max, so that is the point the step starts from (the authors' code
 * compares with the loss before the return, which counts more raises). The momentum term
 * after a return uses the iterate before it, x⁽ᵏ⁾, as both the paper and the code do. An image
 * counts as fooled as soon as ANY iterate fools it (AutoAttack keeps that iterate); otherwise
 * the highest-loss iterate is returned. The run stops early once every image is fooled.
 */
import { LIMITS } from '../../../contract/limits'
import { tf } from '../tf'
import type { Tensor1D, Tensor4D } from '../tf'
import type { Classifier } from '../models/types'
import { commonParams, projectToBall } from './base'
import { sign } from './direction'
import {
  averagesLosses,
  dlrLoss,
  perSampleClassifierLoss,
  perSampleCrossEntropy,
  type PerSampleLoss
} from './loss'
import { seedParam, stepsParam } from './params'
import { deriveSeed } from './random'
import { keepFirstSuccess, perImageNoise } from './restarts'
import type {
  AttackBatch,
  AttackParamSpec,
  LoopAttackDefinition,
  ResolvedAttackConfig
} from './types'

/** The checkpoints w₀ = 0 < w₁ < … ≤ N of Algorithm 1 for N iterations. */
export function apgdCheckpoints(iterations: number): number[] {
  const fractions = [0, 0.22]
  while (fractions[fractions.length - 1]! <= 1) {
    const [previous, last] = fractions.slice(-2) as [number, number]
    fractions.push(last + Math.max(last - previous - 0.03, 0.06))
  }
  // ⌈p·N⌉ on exact decimals: 0.41·100 is 41.00000000000001 in floating point, not 42.
  const points = fractions.map((p) => Math.ceil(Math.round(p * iterations * 1e9) / 1e9))
  return [...new Set(points.filter((w) => w <= iterations))]
}

/** Per-iteration state an observer (the step-by-step test) may read. */
export interface ApgdTrace {
  iteration: number
  /** η per image after this iteration's checkpoint test. */
  stepSizes: Float32Array
  /** Loss at the current iterate, per image (before a return to the best point). */
  losses: Float32Array
  bestLosses: Float32Array
  /** Images a checkpoint sent back to their best point at this iteration. */
  reset: boolean[]
  /** Why, per image: condition (1) few raises, else (2) stalled; 'none' when not reset. */
  cause: ('few-raises' | 'stalled' | 'none')[]
}

export interface ApgdOptions {
  epsilon: number
  iterations: number
  /** η⁰ */
  stepSize: number
  momentum: number
  rho: number
  loss: PerSampleLoss
  /** Global index of each image (seeds its random start). */
  imageIndices: number[]
  seed: number
  iterationDone?: () => Promise<void>
  onTrace?: (trace: ApgdTrace) => void
}

interface Evaluation {
  losses: Float32Array
  predicted: Int32Array
  /** ∇ of the summed loss at the point (absent when not asked for). */
  grad?: Tensor4D
}

/** Per-sample loss and predicted class at `x`, with the gradient when asked (one pass). */
function evaluate(
  model: Classifier,
  x: Tensor4D,
  y: Tensor1D,
  loss: PerSampleLoss,
  withGrad: boolean
): Evaluation {
  let kept: tf.Tensor[] = []
  const forward = (input: tf.Tensor): tf.Scalar => {
    const xa = input as Tensor4D
    let perSample: Tensor1D
    let classes: tf.Tensor
    if (averagesLosses(model)) {
      // A loss-averaging classifier (EOT, ensemble) predicts through predictLogits.
      perSample = perSampleClassifierLoss(model, xa, y, loss)
      classes = tf.argMax(model.predictLogits(xa), 1)
    } else {
      // One forward pass gives both the loss and the prediction.
      const logits = model.predictLogits(xa)
      perSample = loss(logits, y)
      classes = tf.argMax(logits, 1)
    }
    kept = [tf.keep(perSample), tf.keep(classes)]
    return tf.sum(perSample) as tf.Scalar
  }
  let grad: Tensor4D | undefined
  if (withGrad) grad = tf.grad(forward)(x) as Tensor4D
  else tf.tidy(() => void forward(x))
  const losses = Float32Array.from(kept[0]!.dataSync())
  const predicted = Int32Array.from(kept[1]!.dataSync())
  tf.dispose(kept)
  return { losses, predicted, grad }
}

/** where(mask[i], a[i], b[i]) per image for a host-side mask (broadcast from [N, 1, 1, 1]). */
export function pickRows(mask: boolean[], a: Tensor4D, b: Tensor4D): Tensor4D {
  return tf.tidy(
    () => tf.where(tf.tensor4d(mask, [mask.length, 1, 1, 1], 'bool'), a, b) as Tensor4D
  )
}

/**
 * One run of Algorithm 1 on a batch. Returns, per image, the first iterate that fooled the
 * model, else the iterate of highest loss. `x0` and `y` are not disposed.
 */
export async function apgdRun(
  model: Classifier,
  x0: Tensor4D,
  y: Tensor1D,
  o: ApgdOptions
): Promise<Tensor4D> {
  const n = x0.shape[0]
  const per = x0.size / n
  const truth = Int32Array.from(y.dataSync())
  const checkpoints = apgdCheckpoints(o.iterations)
  const eta = new Float32Array(n).fill(o.stepSize)
  const found = new Array<boolean>(n).fill(false)
  const raised = new Int32Array(n)
  const reducedAtLast = new Array<boolean>(n).fill(false)
  const held: Record<
    'x' | 'xPrev' | 'grad' | 'xBest' | 'gradBest' | 'xFound',
    Tensor4D | undefined
  > = {
    x: undefined,
    xPrev: undefined,
    grad: undefined,
    xBest: undefined,
    gradBest: undefined,
    xFound: undefined
  }
  const swap = (key: keyof typeof held, next: Tensor4D | undefined) => {
    if (held[key] !== next) held[key]?.dispose()
    held[key] = next
  }
  try {
    const noise = perImageNoise(o.imageIndices, per, o.seed)
    swap(
      'x',
      tf.tidy(() => {
        const t = tf.tensor4d(noise, x0.shape)
        const scale = tf.maximum(tf.max(tf.abs(t), [1, 2, 3], true), 1e-12)
        return tf.clipByValue(tf.add(x0, tf.mul(tf.div(t, scale), o.epsilon)), 0, 1) as Tensor4D
      })
    )
    let ev = evaluate(model, held.x!, y, o.loss, true)
    swap('grad', ev.grad)
    const lossCurrent = Float32Array.from(ev.losses)
    const lossBest = Float32Array.from(ev.losses)
    let lossBestAtLast = Float32Array.from(ev.losses)
    swap('xBest', held.x!.clone())
    swap('gradBest', held.grad!.clone())
    swap('xFound', held.x!.clone())
    ev.predicted.forEach((p, i) => (found[i] = p !== truth[i]))
    let lastCheckpoint = 0
    for (let k = 0; k < o.iterations && !found.every(Boolean); k++) {
      const alpha = k === 0 ? 1 : o.momentum
      const { x, xPrev, grad } = held as { x: Tensor4D; xPrev?: Tensor4D; grad: Tensor4D }
      const next = tf.tidy(() => {
        const etaT = tf.tensor4d(eta, [n, 1, 1, 1])
        const z = projectToBall(tf.add(x, tf.mul(sign(grad), etaT)) as Tensor4D, x0, o.epsilon)
        if (!xPrev || alpha === 1) return z
        const moved = tf.add(
          tf.add(x, tf.mul(tf.sub(z, x), alpha)),
          tf.mul(tf.sub(x, xPrev), 1 - alpha)
        )
        return projectToBall(moved as Tensor4D, x0, o.epsilon)
      })
      swap('xPrev', x)
      held.x = next
      const last = k === o.iterations - 1
      ev = evaluate(model, next, y, o.loss, !last)
      swap('grad', ev.grad ?? held.grad)
      const improved = new Array<boolean>(n)
      const newlyFooled = new Array<boolean>(n)
      for (let i = 0; i < n; i++) {
        if (ev.losses[i]! > lossCurrent[i]!) raised[i]!++
        lossCurrent[i] = ev.losses[i]!
        improved[i] = ev.losses[i]! > lossBest[i]!
        if (improved[i]) lossBest[i] = ev.losses[i]!
        newlyFooled[i] = !found[i] && ev.predicted[i] !== truth[i]
        if (newlyFooled[i]) found[i] = true
      }
      if (improved.some(Boolean)) {
        swap('xBest', pickRows(improved, next, held.xBest!))
        if (ev.grad) swap('gradBest', pickRows(improved, ev.grad, held.gradBest!))
      }
      if (newlyFooled.some(Boolean)) swap('xFound', pickRows(newlyFooled, next, held.xFound!))
      const reset = new Array<boolean>(n).fill(false)
      const cause = new Array<ApgdTrace['cause'][number]>(n).fill('none')
      const iterate = k + 1
      if (checkpoints.includes(iterate) && iterate > 0) {
        const span = iterate - lastCheckpoint
        for (let i = 0; i < n; i++) {
          const tooFewRaises = raised[i]! < o.rho * span
          const stalled = !reducedAtLast[i] && lossBest[i]! <= lossBestAtLast[i]!
          reset[i] = tooFewRaises || stalled
          cause[i] = tooFewRaises ? 'few-raises' : stalled ? 'stalled' : 'none'
          if (reset[i]) {
            eta[i] = eta[i]! / 2
            lossCurrent[i] = lossBest[i]!
          }
          reducedAtLast[i] = reset[i]!
        }
        raised.fill(0)
        lossBestAtLast = Float32Array.from(lossBest)
        lastCheckpoint = iterate
        if (reset.some(Boolean) && !last) {
          swap('x', pickRows(reset, held.xBest!, held.x!))
          swap('grad', pickRows(reset, held.gradBest!, held.grad!))
        }
      }
      o.onTrace?.({
        iteration: iterate,
        stepSizes: Float32Array.from(eta),
        losses: Float32Array.from(ev.losses),
        bestLosses: Float32Array.from(lossBest),
        reset,
        cause
      })
      await o.iterationDone?.()
    }
    return pickRows(found, held.xFound!, held.xBest!)
  } finally {
    for (const key of Object.keys(held) as (keyof typeof held)[]) swap(key, undefined)
  }
}

const params: AttackParamSpec[] = [
  ...commonParams,
  stepsParam(100, 'Croce & Hein 2020'),
  {
    name: 'stepSize',
    label: 'Initial step η⁰',
    kind: 'number',
    ...LIMITS.apgdStepSize,
    default: null,
    defaultRule: '2 · ε',
    description:
      'Step size before any halving, fraction of the dynamic range (default 2ε, Croce & Hein 2020).'
  },
  {
    name: 'momentum',
    label: 'Momentum α',
    kind: 'number',
    ...LIMITS.momentum,
    default: 0.75,
    description:
      'Weight of the new step against the previous one (default 0.75, Croce & Hein 2020); 1 disables momentum.'
  },
  {
    name: 'rho',
    label: 'Checkpoint threshold ρ',
    kind: 'number',
    ...LIMITS.rho,
    default: 0.75,
    description:
      'η halves at a checkpoint when fewer than this share of the steps since the last one raised the loss (default 0.75).'
  },
  {
    name: 'restarts',
    label: 'Restarts',
    kind: 'integer',
    ...LIMITS.restarts,
    default: 1,
    description:
      'Runs from fresh random starts; each reruns only the images not yet fooled (default 1, AutoAttack standard).'
  },
  seedParam
]

function resolve(c: Parameters<LoopAttackDefinition['resolve']>[0]): ResolvedAttackConfig {
  return {
    epsilon: c.epsilon,
    batchSize: c.batchSize ?? 100,
    steps: c.steps ?? 100,
    stepSize: c.stepSize ?? 2 * c.epsilon,
    decay: 0,
    seed: c.seed ?? 0,
    diversityProb: 0,
    resizeRate: 1,
    momentum: c.momentum ?? 0.75,
    rho: c.rho ?? 0.75,
    restarts: c.restarts ?? 1
  }
}

function apgdDefinition(
  id: string,
  name: string,
  loss: PerSampleLoss,
  lossName: string
): LoopAttackDefinition {
  return {
    id,
    name,
    paper: 'https://arxiv.org/abs/2003.01690',
    defaultsFrom: `Croce & Hein 2020, ${lossName}: 100 iterations, η⁰ = 2ε, α = 0.75, ρ = 0.75, checkpoints p₁ = 0.22.`,
    params,
    resolve,
    iterations: (cfg) => cfg.steps * (cfg.restarts ?? 1),
    async runBatch(batch: AttackBatch) {
      const { model, x0, labels, config: cfg, firstSampleIndex } = batch
      if (loss === dlrLoss && model.numClasses < 3) {
        throw new Error(
          `Attack "${id}": the DLR loss needs at least 3 classes, model "${model.name}" has ${model.numClasses}`
        )
      }
      const outcome = await keepFirstSuccess(
        model,
        x0,
        labels,
        cfg.restarts ?? 1,
        (xs, ys, restart, positions) =>
          apgdRun(model, xs, ys, {
            epsilon: cfg.epsilon,
            iterations: cfg.steps,
            stepSize: cfg.stepSize,
            momentum: cfg.momentum ?? 0.75,
            rho: cfg.rho ?? 0.75,
            loss,
            imageIndices: positions.map((p) => firstSampleIndex + p),
            seed: deriveSeed(cfg.seed, restart),
            iterationDone: batch.iterationDone
          })
      )
      return outcome.adversarial
    }
  }
}

export const apgdCe = apgdDefinition(
  'apgd-ce',
  'APGD-CE',
  perSampleCrossEntropy,
  'cross-entropy loss'
)
export const apgdDlr = apgdDefinition('apgd-dlr', 'APGD-DLR', dlrLoss, 'DLR loss (Eq. 6)')
