/**
 * One declaration of each limit a request may carry. The contract's validators, the CLI (which
 * parses its flags through the same validators) and the engine's own checks (training config,
 * attack parameters) all read these numbers, so a value the window accepts is one the engine
 * runs and a run recorded anywhere can be replayed everywhere.
 */

/** A closed interval [min, max]. */
export interface Limit {
  readonly min: number
  readonly max: number
}

export const LIMITS = {
  /**
   * λ of Eq. 6.3. The thesis tries 0, 5, 30 and 100; larger values are allowed (typed in, or
   * from the command line) because the squared and absolute penalties stay trainable there.
   */
  lambda: { min: 0, max: 1000 },
  /** ε as a fraction of the dynamic range (SPEC §2.5 sweeps 0 … 8 %). */
  epsilon: { min: 0, max: 1 },
  epochs: { min: 1, max: 1000 },
  /** Images per forward/backward pass (training and attacks). */
  batchSize: { min: 1, max: 4096 },
  /** Adam's learning rate. */
  learningRate: { min: 1e-9, max: 1 },
  /** Epochs between validation checks (thesis: 20). */
  validateEvery: { min: 1, max: 1000 },
  /** Validation checks without improvement before training stops (Algorithm 7: 1). */
  patience: { min: 1, max: 1000 },
  /** Cap on training images per epoch. */
  trainLimit: { min: 1, max: 10_000_000 },
  /** Cap on validation images (accuracy and δ checks, similarity reports). */
  valLimit: { min: 1, max: 10_000_000 },
  /** Every seed a request or an attack carries (32-bit generators; kept signed-safe). */
  seed: { min: 0, max: 2 ** 31 - 1 },
  /** Samples of a transfer sweep or a defense table (drawn among those every model gets right). */
  sampleCount: { min: 1, max: 100_000 },
  /** Drawn samples whose images a sweep keeps as its gallery. */
  gallerySamples: { min: 0, max: 64 },
  /** Gradient steps of an iterative attack. */
  steps: { min: 1, max: 1000 },
  /** Step size α of an iterative attack, same units as ε. */
  stepSize: { min: 0, max: 1 },
  /** Momentum decay μ (MI-FGSM, DI²-FGSM). */
  decay: { min: 0, max: 10 },
  /** Random restarts of a white-box attack (PGD, APGD): each reruns only the images not yet fooled. */
  restarts: { min: 1, max: 100 },
  /** APGD's momentum α (Croce & Hein 2020: 0.75; 1 disables it). */
  momentum: { min: 0, max: 1 },
  /** APGD's checkpoint threshold ρ (Croce & Hein 2020: 0.75). */
  rho: { min: 0, max: 1 },
  /** APGD's initial step η⁰, same units as ε (default 2ε). */
  apgdStepSize: { min: 0, max: 2 },
  /** Square attack: model evaluations per image, the start included (AutoAttack: 5,000). */
  queries: { min: 1, max: 100_000 },
  /** Square attack: share of the pixels the first windows cover (0 excluded; default 0.8). */
  pInit: { min: 0, max: 1 },
  /** Models evaluated together by one robustness evaluation. */
  evaluationModels: { min: 1, max: 16 },
  /** Source models of the ensemble-transfer threat. */
  ensembleModels: { min: 1, max: 8 },
  /** ε values of one robustness evaluation (each > 0). */
  evaluationEpsilons: { min: 1, max: 8 },
  /** Images of one side-by-side explanation grid. */
  explainImages: { min: 1, max: 8 },
  /** Models of one side-by-side explanation grid (Figure 6.3 shows three). */
  explainModels: { min: 1, max: 4 },
  /** Images of a sanity study. */
  sanityImages: { min: 1, max: 1000 },
  /** Images drawn for saliency-enhanced PGD. */
  saliencyPgdImages: { min: 1, max: 10_000 },
  /** Target models of one sweep. */
  targets: { min: 0, max: 16 },
  /** ε values of one sweep, and of one defense table (Table 6.3 has two). */
  sweepEpsilons: { min: 1, max: 32 },
  tableEpsilons: { min: 1, max: 4 },
  /** Side of an imported image after resizing, in pixels. */
  imageSide: { min: 4, max: 512 },
  /** Share of an imported dataset kept for validation. */
  validationFraction: { min: 0, max: 0.9 },
  /** Patch side (pixels) of the sanity score's ideal ordering. */
  idealPatch: { min: 1, max: 64 },
  /** Input height and width an imported model may declare, in pixels. */
  modelInputSide: { min: 1, max: 4096 },
  /** Channels of an imported model's input. */
  modelChannels: { min: 1, max: 64 },
  /** Per-channel mean an imported model subtracts, in its own value scale. */
  channelMean: { min: -1e6, max: 1e6 },
  /** Per-channel std an imported model divides by (positive), in its own value scale. */
  channelStd: { min: 1e-9, max: 1e6 },
  /** Class names declared for an imported model. */
  classNames: { min: 2, max: 100_000 },
  /** Characters of one class name. */
  classNameLength: { min: 1, max: 200 }
} as const satisfies Record<string, Limit>

export type LimitName = keyof typeof LIMITS

/** The λ slider's span: the thesis' values 0, 5, 30, 100. Typed values may go to LIMITS.lambda.max. */
export const THESIS_LAMBDA: Limit = { min: 0, max: 100 }

/** Whether `value` lies inside `limit` (closed). */
export function within(limit: Limit, value: number): boolean {
  return value >= limit.min && value <= limit.max
}
