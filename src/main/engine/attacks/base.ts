/**
 * The template method every attack runs through (torchattacks' `Attack.__call__` → `forward`,
 * ART's `_check_params`): the base owns config checking, batching, the L∞ projection onto the
 * ε-ball around the ORIGINAL input, clamping to [0, 1], progress, cancellation and tensor
 * disposal; an attack only contributes its step (an `AttackStepper`).
 *
 * Iteration, for x0 the clean batch and Π the projection onto {|x − x0|∞ ≤ ε} ∩ [0, 1]:
 *   x_0 = Π(start(x0));  x_{t+1} = Π(x_t + α · direction(w ⊙ ∇_x L(model(transform(x_t)), y)))
 */
import { tf } from '../tf'
import type { Tensor1D, Tensor4D } from '../tf'
import type { Classifier } from '../models/types'
import { LIMITS } from '../../../contract/limits'
import { classifierLoss } from './loss'
import { createRng, deriveSeed } from './random'
import { sign } from './direction'
import { signStep } from '../ops/signStep'
import type {
  AttackConfig,
  AttackDefinition,
  AttackParamSpec,
  AttackStepper,
  LoopAttackDefinition,
  ResolvedAttackConfig,
  StepAttackDefinition
} from './types'

export interface AttackProgress {
  /** Gradient steps finished over all batches. */
  completed: number
  total: number
  /** Samples whose attack is finished. */
  samplesDone: number
  samples: number
}

export interface AttackRunOptions {
  onProgress?: (progress: AttackProgress) => void
  signal?: AbortSignal
  /**
   * Element-wise multiplier of every step (saliency-enhanced PGD focuses the perturbation with
   * it). It scales the step direction, not the raw gradient: the sign-based steps would
   * cancel any positive weight on the gradient. Shape [N, H, W, C] matching x, or
   * broadcastable with batch 1.
   */
  gradientWeight?: Tensor4D
}

/** Parameters every attack has. */
export const commonParams: AttackParamSpec[] = [
  {
    name: 'epsilon',
    label: 'ε (L∞ budget)',
    kind: 'number',
    ...LIMITS.epsilon,
    default: 0.03,
    description: 'Largest change per pixel, as a fraction of the [0, 1] dynamic range.'
  },
  {
    name: 'batchSize',
    label: 'Batch size',
    kind: 'integer',
    ...LIMITS.batchSize,
    default: 100,
    description: 'Samples per forward/backward pass; bounds memory, does not change results.'
  }
]

/** The error a cancelled run rejects with (name 'AbortError', as fetch and DOM APIs use). */
export function abortError(): Error {
  const err = new Error('Attack cancelled')
  err.name = 'AbortError'
  return err
}

/**
 * Checks `config` against the attack's declared parameters and fills the defaults. Throws an
 * error naming the attack, the bad parameter and its allowed range.
 */
export function checkAttackConfig(
  def: AttackDefinition,
  config: AttackConfig
): ResolvedAttackConfig {
  if (config === null || typeof config !== 'object') {
    throw new Error(`Attack "${def.id}": config must be an object`)
  }
  const byName = new Map(def.params.map((p) => [p.name, p]))
  const declared: AttackConfig = { epsilon: config.epsilon }
  const undeclared: [string, unknown][] = []
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue
    const spec = byName.get(key as AttackParamSpec['name'])
    if (!spec) {
      undeclared.push([key, value])
      continue
    }
    checkValue(def.id, spec, value)
    ;(declared as unknown as Record<string, unknown>)[key] = value
  }
  if (config.epsilon === undefined) {
    throw new Error(`Attack "${def.id}": parameter "epsilon" is required (a number in [0, 1])`)
  }
  const resolved = def.resolve(declared)
  // A recorded (resolved) config names every field; one the attack does not declare is
  // accepted only if it is the value the attack fixes (FGSM: steps 1), so a run can be
  // repeated from its record while a real mistake (decay for FGSM) is still reported.
  for (const [key, value] of undeclared) {
    if ((resolved as unknown as Record<string, unknown>)[key] !== value) {
      const names = def.params.map((p) => p.name).join(', ')
      throw new Error(`Attack "${def.id}" has no parameter "${key}" (parameters: ${names})`)
    }
  }
  // Derived defaults (α = ε/steps …) must also respect the declared ranges.
  for (const spec of def.params) checkValue(def.id, spec, resolved[spec.name])
  return resolved
}

function checkValue(attackId: string, spec: AttackParamSpec, value: unknown): void {
  const range = `${spec.minExclusive ? '(' : '['}${spec.min}, ${spec.max}]`
  const what = spec.kind === 'integer' ? 'an integer' : 'a number'
  const bad =
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (spec.kind === 'integer' && !Number.isInteger(value)) ||
    (spec.minExclusive ? value <= spec.min : value < spec.min) ||
    value > spec.max
  if (bad) {
    throw new Error(
      `Attack "${attackId}": parameter "${spec.name}" must be ${what} in ${range}, got ${String(value)}`
    )
  }
}

/** Π: projection onto the ε-ball around x0, then onto the valid image range [0, 1]. */
export function projectToBall(x: Tensor4D, x0: Tensor4D, epsilon: number): Tensor4D {
  return tf.tidy(() =>
    tf.clipByValue(tf.minimum(tf.maximum(x, tf.sub(x0, epsilon)), tf.add(x0, epsilon)), 0, 1)
  )
}

/**
 * One iteration for a given gradient: Π(x + α · direction(∇) [⊙ w]). Every operation here
 * (the strict sign, products, sums, comparisons) is exactly rounded, so the same gradient
 * gives the same image, bit for bit, on every backend.
 */
export function attackStep(
  stepper: AttackStepper,
  current: Tensor4D,
  grad: Tensor4D,
  x0: Tensor4D,
  cfg: ResolvedAttackConfig,
  weight?: Tensor4D
): Tensor4D {
  // The sign direction (FGSM, I-FGSM, PGD): sign, step and projection as one kernel, same bits.
  if (stepper.direction === sign)
    return signStep(current, grad, x0, cfg.stepSize, cfg.epsilon, weight)
  return tf.tidy(() => {
    let direction = stepper.direction(grad)
    if (weight) direction = tf.mul(direction, weight)
    const moved = tf.add(current, tf.mul(direction, cfg.stepSize)) as Tensor4D
    return projectToBall(moved, x0, cfg.epsilon)
  })
}

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Whether `def` runs its own loop (APGD, Square) rather than the base's gradient steps. */
export function isLoopAttack(def: AttackDefinition): def is LoopAttackDefinition {
  return 'runBatch' in def
}

/**
 * Runs `def` on `model` for images `x` ([N, H, W, C] in [0, 1]) with true labels `labels`.
 * Returns new adversarial images; `x` and `labels` are never modified or disposed.
 */
export async function runAttackWith(
  def: AttackDefinition,
  model: Classifier,
  x: Tensor4D,
  labels: Tensor1D,
  config: AttackConfig,
  options: AttackRunOptions = {}
): Promise<Tensor4D> {
  const cfg = checkAttackConfig(def, config)
  checkInputs(def.id, model, x, labels, options.gradientWeight)
  const { onProgress, signal, gradientWeight } = options
  if (gradientWeight && isLoopAttack(def)) {
    throw new Error(`Attack "${def.id}" runs its own loop and takes no gradient weight`)
  }
  if (signal?.aborted) throw abortError()

  const n = x.shape[0]
  const batches = Math.ceil(n / cfg.batchSize)
  // ε = 0 cannot move anything: skip the gradients, the answer is the input itself.
  const steps = cfg.epsilon === 0 ? 0 : isLoopAttack(def) ? def.iterations(cfg) : cfg.steps
  const total = batches * steps
  let completed = 0
  const parts: Tensor4D[] = []
  try {
    for (let b = 0; b < batches; b++) {
      const begin = b * cfg.batchSize
      const size = Math.min(cfg.batchSize, n - begin)
      const afterStep = () => {
        if (signal?.aborted) throw abortError()
        // A loop attack may report fewer iterations (it stops early), never more.
        completed = Math.min(completed + 1, (b + 1) * steps)
        onProgress?.({ completed, total, samplesDone: begin, samples: n })
      }
      parts.push(
        isLoopAttack(def)
          ? await loopBatch(def, model, x, labels, cfg, begin, size, steps, afterStep)
          : await attackBatch(
              def,
              model,
              x,
              labels,
              cfg,
              begin,
              size,
              steps,
              gradientWeight,
              afterStep
            )
      )
      completed = (b + 1) * steps
      onProgress?.({ completed, total, samplesDone: begin + size, samples: n })
    }
    return parts.length === 1 ? parts[0]! : tf.concat(parts, 0)
  } finally {
    if (parts.length > 1) for (const p of parts) p.dispose()
  }
}

/** One batch of a loop attack; the base projects its answer (the ε-ball is the base's promise). */
async function loopBatch(
  def: LoopAttackDefinition,
  model: Classifier,
  x: Tensor4D,
  labels: Tensor1D,
  cfg: ResolvedAttackConfig,
  begin: number,
  size: number,
  steps: number,
  afterStep: () => void
): Promise<Tensor4D> {
  const x0 = tf.slice(x, [begin, 0, 0, 0], [size, -1, -1, -1]) as Tensor4D
  const y = tf.tidy(() => tf.cast(tf.slice(labels, [begin], [size]), 'int32') as Tensor1D)
  try {
    if (steps === 0) return x0.clone()
    const raw = await def.runBatch({
      model,
      x0,
      labels: y,
      config: cfg,
      firstSampleIndex: begin,
      iterationDone: async () => {
        await nextTick()
        afterStep()
      }
    })
    const projected = projectToBall(raw, x0, cfg.epsilon)
    raw.dispose()
    return projected
  } finally {
    x0.dispose()
    y.dispose()
  }
}

async function attackBatch(
  def: StepAttackDefinition,
  model: Classifier,
  x: Tensor4D,
  labels: Tensor1D,
  cfg: ResolvedAttackConfig,
  begin: number,
  size: number,
  steps: number,
  gradientWeight: Tensor4D | undefined,
  afterStep: () => void
): Promise<Tensor4D> {
  const x0 = tf.slice(x, [begin, 0, 0, 0], [size, -1, -1, -1]) as Tensor4D
  const y = tf.tidy(() => tf.cast(tf.slice(labels, [begin], [size]), 'int32') as Tensor1D)
  const weight =
    gradientWeight && gradientWeight.shape[0] === x.shape[0] && x.shape[0] > 1
      ? (tf.slice(gradientWeight, [begin, 0, 0, 0], [size, -1, -1, -1]) as Tensor4D)
      : gradientWeight
  const stepper = def.createStepper(cfg, createRng(deriveSeed(cfg.seed, begin)))
  let xAdv: Tensor4D | undefined
  try {
    xAdv = tf.tidy(() =>
      projectToBall(stepper.start ? stepper.start(x0, begin) : x0.clone(), x0, cfg.epsilon)
    )
    const gradOf = tf.grad((input) => {
      const xa = input as Tensor4D
      return classifierLoss(model, stepper.transform ? stepper.transform(xa) : xa, y)
    })
    for (let t = 0; t < steps; t++) {
      await nextTick()
      const current: Tensor4D = xAdv
      const next = tf.tidy(() =>
        attackStep(stepper, current, gradOf(current) as Tensor4D, x0, cfg, weight)
      )
      current.dispose()
      xAdv = next
      afterStep()
    }
    const result = xAdv
    xAdv = undefined
    return result
  } finally {
    xAdv?.dispose()
    stepper.dispose()
    x0.dispose()
    y.dispose()
    if (weight && weight !== gradientWeight) weight.dispose()
  }
}

function checkInputs(
  id: string,
  model: Classifier,
  x: Tensor4D,
  labels: Tensor1D,
  weight: Tensor4D | undefined
): void {
  if (x.rank !== 4)
    throw new Error(`Attack "${id}": images must be [N, H, W, C], got shape [${x.shape}]`)
  if (labels.rank !== 1 || labels.shape[0] !== x.shape[0]) {
    throw new Error(
      `Attack "${id}": labels must be [${x.shape[0]}] (one per image), got shape [${labels.shape}]`
    )
  }
  if (x.shape[3] !== model.inputShape[2]) {
    throw new Error(
      `Attack "${id}": images have ${x.shape[3]} channels, model "${model.name}" expects ${model.inputShape[2]}`
    )
  }
  if (weight) {
    const ok =
      weight.rank === 4 &&
      (weight.shape[0] === x.shape[0] || weight.shape[0] === 1) &&
      weight.shape.slice(1).every((d, i) => d === 1 || d === x.shape[i + 1])
    if (!ok) {
      throw new Error(
        `Attack "${id}": gradientWeight shape [${weight.shape}] does not broadcast to images [${x.shape}]`
      )
    }
  }
}
