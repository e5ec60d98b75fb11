/**
 * The declared contract of an attack (ART's `attack_params` + `_check_params`): its parameters
 * with ranges and documented defaults, so the UI can build a form and the base can reject a bad
 * configuration before any tensor is touched.
 */
import type { Tensor1D, Tensor4D } from '../tf'
import type { Classifier } from '../models/types'
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
  /** Runs from a fresh random start on the images not yet fooled (APGD). */
  restarts?: number
  /** Heavy-ball momentum α of the APGD update (Croce & Hein 2020: 0.75). */
  momentum?: number
  /** Share of loss-raising steps below which APGD halves η at a checkpoint (ρ = 0.75). */
  rho?: number
  /** Model queries per image (Square attack's budget). */
  queries?: number
  /** Initial share of pixels a Square window covers (p_init = 0.8). */
  pInit?: number
}

export type AttackParamName = keyof AttackConfig

/** The settings every attack resolves (older attacks fix the ones they do not use). */
type CoreParamName =
  'epsilon' | 'steps' | 'stepSize' | 'decay' | 'seed' | 'diversityProb' | 'resizeRate' | 'batchSize'

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

/**
 * Every parameter the attack uses, filled in: what a run records. The core settings are always
 * present; an attack's own extras (APGD's momentum, Square's queries …) are present exactly
 * when it declares them.
 */
export type ResolvedAttackConfig = Required<Pick<AttackConfig, CoreParamName>> &
  Omit<AttackConfig, CoreParamName>

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

/** What every attack declares: identity, paper, parameters. */
interface AttackDefinitionBase {
  id: string
  name: string
  /** Link to the paper the step follows. */
  paper: string
  /** Whose defaults are used and why. */
  defaultsFrom: string
  params: AttackParamSpec[]
  /** Fills derived defaults (e.g. α from ε and steps); called after range checks. */
  resolve(config: AttackConfig): ResolvedAttackConfig
}

/** A gradient-step attack: the base runs the loop, the attack contributes its step. */
export interface StepAttackDefinition extends AttackDefinitionBase {
  /** A fresh stepper for one batch. `rng` is seeded from config.seed and the batch start. */
  createStepper(config: ResolvedAttackConfig, rng: Rng): AttackStepper
}

/**
 * One batch handed to an attack that runs its own loop (APGD's checkpoints, Square's
 * queries). The base still owns config checking, batching, the final projection onto the
 * ε-ball ∩ [0, 1], progress, cancellation and the disposal of `x0` and `labels`.
 */
export interface AttackBatch {
  model: Classifier
  /** The clean images of this batch. */
  x0: Tensor4D
  /** Their true labels, int32. */
  labels: Tensor1D
  config: ResolvedAttackConfig
  /** Position of the batch's first image in the whole input (per-image seeds use it). */
  firstSampleIndex: number
  /**
   * Call once per iteration: reports progress, lets other work run, and throws an AbortError
   * when the run is cancelled (so the attack's `finally` blocks release its tensors).
   */
  iterationDone(): Promise<void>
}

/** An attack with its own loop over a batch; it returns new images (the base projects them). */
export interface LoopAttackDefinition extends AttackDefinitionBase {
  /** Iterations one batch reports at most (the progress total; a batch may stop early). */
  iterations(config: ResolvedAttackConfig): number
  runBatch(batch: AttackBatch): Promise<Tensor4D>
}

/** An attack: its identity, paper, declared parameters and the step or loop it contributes. */
export type AttackDefinition = StepAttackDefinition | LoopAttackDefinition
