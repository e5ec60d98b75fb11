/**
 * The robustness evaluation's configuration and result (SPEC §2.10): per model and ε, clean
 * accuracy and robust accuracy under each threat model, the worst case per image, sanity
 * checks and flags. Results are plain, serialisable objects: fractions in [0, 1], each with the
 * counts it rests on and a 95 % Wilson interval.
 */
import type { ResolvedAttackConfig } from '../attacks'
import type { Ratio } from './stats'
import type { TransferAttackSpec } from './transfer'

/**
 * The threat models, in the order they run:
 *  - transfer: perturbations crafted on a chosen source model (the thesis' threat model);
 *  - ensemble: crafted on the mean loss of several source models;
 *  - pgd: white-box PGD with random restarts on the model itself;
 *  - apgd-ce, apgd-dlr: white-box APGD (Croce & Hein 2020);
 *  - square: score-based, gradient-free (Andriushchenko et al. 2020).
 */
export type ThreatId = 'transfer' | 'ensemble' | 'pgd' | 'apgd-ce' | 'apgd-dlr' | 'square'

export const THREAT_ORDER: readonly ThreatId[] = [
  'transfer',
  'ensemble',
  'pgd',
  'apgd-ce',
  'apgd-dlr',
  'square'
]

/**
 * The first three run on every correctly classified image, so each has a figure of its own
 * (transfer costs one crafting per ε for all models; PGD is the cheap white-box baseline).
 * The expensive ones cascade: each runs only on the images every earlier attack failed to
 * fool, so their cost stays bounded and their figure is cumulative.
 */
export const STANDALONE_THREATS: readonly ThreatId[] = ['transfer', 'ensemble', 'pgd']

/** White-box attacks that follow the model's gradient (masking checks compare against them). */
export const GRADIENT_THREATS: readonly ThreatId[] = ['pgd', 'apgd-ce', 'apgd-dlr']

/** Margins of the sanity flags, as fractions (0.03 = 3 points). */
export interface FlagThresholds {
  /** (a) Success PGD must reach at ε = 100 % (about all images). */
  largeEpsilonSuccess: number
  /** (b) Points of robust accuracy Square may take beyond every gradient attack. */
  gradientFreeMargin: number
  /** (c) Points of success more iterations may lose. */
  iterationsMargin: number
  /** (d) Points white-box PGD may trail transfer (and ensemble) by. */
  transferMargin: number
  /** Points of clean accuracy a model may lose against its reference before it is flagged. */
  accuracyCost: number
}

export const DEFAULT_FLAG_THRESHOLDS: FlagThresholds = {
  largeEpsilonSuccess: 0.98,
  gradientFreeMargin: 0.03,
  iterationsMargin: 0.02,
  transferMargin: 0.02,
  accuracyCost: 0.05
}

export interface RobustnessConfig {
  /** ε values, fractions of the dynamic range (default 3 % and 5 %, Table 6.3's). */
  epsilons?: number[]
  /** Validation images drawn (default 1000), the same for every model. */
  sampleCount?: number
  seed?: number
  /** Images per forward/backward pass (default 100). */
  batchSize?: number
  /** Threat models to run (default: all that the models given allow). */
  threats?: ThreatId[]
  /** Attack crafted on the source for `transfer` (default PGD, 10 steps). */
  transferAttack?: TransferAttackSpec
  /** Attack crafted on the ensemble for `ensemble` (default PGD, 10 steps). */
  ensembleAttack?: TransferAttackSpec
  /** White-box PGD: steps (10), random restarts (5, each only on images not yet fooled). */
  pgd?: { steps?: number; restarts?: number }
  /** APGD-CE / APGD-DLR: iterations (100) and restarts (1). */
  apgd?: { steps?: number; restarts?: number }
  /** Square: query budget (5000) and p_init (0.8). */
  square?: { queries?: number; pInit?: number }
  /**
   * Masking checks on up to `samples` (100) correctly classified images: PGD at ε = 100 %,
   * and PGD with `iterationFactor` (5) times its steps at the largest ε. `false` skips them.
   */
  checks?: { samples?: number; iterationFactor?: number } | false
  thresholds?: Partial<FlagThresholds>
}

/** A model as the result names it. */
export interface ModelRef {
  id: string
  name: string
}

/** One threat model's outcome for one model at one ε. */
export interface ThreatResult {
  threat: ThreatId
  /** The registered attack that ran (transfer and ensemble: the one crafted on the sources). */
  attackId: string
  /** Every parameter as used (restarts included), so the run can be repeated. */
  config: ResolvedAttackConfig
  /** 'standalone': ran on every correct image; 'cascade': only on images robust so far. */
  basis: 'standalone' | 'cascade'
  /** Images it ran on. */
  ranOn: number
  /** Of those, images it fooled (prediction ≠ true label). */
  fooled: number
  /**
   * Robust accuracy over all drawn images: correct and not fooled by this attack (standalone),
   * or by this attack and every attack before it (cascade).
   */
  robust: Ratio
}

export interface EpsilonResult {
  epsilon: number
  /** In run order. */
  threats: ThreatResult[]
  /** Worst case per image: correct and not fooled by any attack run (AutoAttack's rule). */
  worst: Ratio
  /** Positions in `sampleIndices` robust under every attack. */
  robustSamples: number[]
  /** Positions each threat fooled. */
  fooledBy: Partial<Record<ThreatId, number[]>>
}

/** The masking checks' raw numbers (the flags are computed from them). */
export interface SanityChecks {
  /** (a) White-box PGD at a very large ε. */
  largeEpsilon?: { epsilon: number; steps: number; ranOn: number; fooled: number; success: Ratio }
  /** (c) PGD with more iterations at the largest evaluated ε. */
  iterations?: {
    epsilon: number
    ranOn: number
    fewer: { steps: number; fooled: number; success: Ratio }
    more: { steps: number; fooled: number; success: Ratio }
  }
}

export type FlagCode =
  | 'gradient-masking'
  | 'gradient-free-stronger'
  | 'more-iterations-weaker'
  | 'white-box-weaker-than-transfer'
  | 'accuracy-cost'

/** A sanity flag: data (code and the numbers behind it); the message is made from them. */
export interface SanityFlag {
  code: FlagCode
  modelId: string
  /** The ε it concerns, where it concerns one. */
  epsilon?: number
  /** The numbers that raised it (fractions, counts, thresholds). */
  values: Record<string, number>
  message: string
}

export interface ModelEvaluation extends ModelRef {
  clean: Ratio
  byEpsilon: EpsilonResult[]
  checks: SanityChecks
  flags: SanityFlag[]
}

export interface RobustnessEvaluation {
  epsilons: number[]
  /** Images drawn (the denominator of every accuracy). */
  samples: number
  /** Their validation indices, in draw order. */
  sampleIndices: number[]
  seed: number
  threats: ThreatId[]
  source?: ModelRef
  ensemble?: ModelRef[]
  /** The model accuracy costs are measured against, with its clean accuracy. */
  reference?: ModelRef & { clean: Ratio }
  models: ModelEvaluation[]
  thresholds: FlagThresholds
  seconds: number
}

export interface RobustnessProgress {
  phase: 'sampling' | 'clean' | 'crafting' | 'attacking' | 'checks'
  /** Units of work done (one attack on one model at one ε is one unit). */
  completed: number
  total: number
  modelId?: string
  epsilon?: number
  threat?: ThreatId
}
