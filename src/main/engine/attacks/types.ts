/**
 * The declared contract of an attack (ART's `attack_params` + `_check_params`): its parameters
 * with ranges and documented defaults, so the UI can build a form and the base can reject a bad
 * configuration before any tensor is touched.
 */
import type { Tensor4D } from '../tf'
import type { Rng } from './random'

/**
 * One run's settings. ε is a fraction of the dynamic range: images are in [0, 1], so
 * ε = 0.05 allows every pixel to move by 5% of full scale (L∞ ball).
 */
export interface AttackConfig {
  epsilon: number
  /** Gradient steps (iterative attacks). */
  steps?: number
  /** Step size α per iteration, same units as ε. */
  stepSize?: number
  /** Momentum decay μ (MI-FGSM, DI²-FGSM). */
  decay?: number
  /** Seed for random starts and input diversity. */
  seed?: number
  /** Probability of applying the resize-and-pad transform per step (DI²-FGSM). */
  diversityProb?: number
  /** Smallest resize factor of the input-diversity transform (DI²-FGSM). */
  resizeRate?: number
  /** Samples per forward/backward pass; bounds memory, never changes the result. */
  batchSize?: number
}

export type AttackParamName = keyof AttackConfig

/** A parameter as the UI should render and the base should check it. */
export interface AttackParamSpec {
  name: AttackParamName
  label: string
  kind: 'number' | 'integer'
  min: number
  max: number
  /** Whether `min` itself is excluded (e.g. resizeRate > 0). */
  minExclusive?: boolean
  /** Fixed default, or null when it is derived from other parameters (see `defaultRule`). */
  default: number | null
  /** How a derived default is computed, in words (shown in the UI and recorded with runs). */
  defaultRule?: string
  description: string
}

/** Every parameter filled in: what a run records. */
export type ResolvedAttackConfig = Required<AttackConfig>

/**
 * The per-batch state of one attack run. The base calls `start`, then for each step computes
 * the loss gradient at `transform(xAdv)` w.r.t. xAdv and asks `direction` where to step.
 * All methods are called inside a tf.tidy; anything to be kept across steps must be tf.keep-t
 * by the stepper and released in `dispose`.
 */
export interface AttackStepper {
  /** Starting point of the iteration (default: the clean input). */
  start?(x0: Tensor4D, firstSampleIndex: number): Tensor4D
  /** Differentiable input transform applied before the model (input diversity). */
  transform?(x: Tensor4D): Tensor4D
  /** The ascent direction for this step; the base multiplies it by α. */
  direction(grad: Tensor4D): Tensor4D
  dispose(): void
}

/** An attack: its identity, paper, declared parameters and the step it contributes. */
export interface AttackDefinition {
  id: string
  name: string
  /** Link to the paper the step follows. */
  paper: string
  /** Whose defaults are used and why. */
  defaultsFrom: string
  params: AttackParamSpec[]
  /** Fills derived defaults (e.g. α from ε and steps); called after range checks. */
  resolve(config: AttackConfig): ResolvedAttackConfig
  /** A fresh stepper for one batch. `rng` is seeded from config.seed and the batch start. */
  createStepper(config: ResolvedAttackConfig, rng: Rng): AttackStepper
}
