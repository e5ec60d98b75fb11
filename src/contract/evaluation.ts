/**
 * The robustness evaluation in the contract (SPEC §2.10, issue 14): the request that starts it
 * (window, command line, stored run, re-run) and the view the window and the report read back.
 * Per model and ε: clean accuracy, robust accuracy under each threat model, the worst case per
 * image, the sanity flags and the plain-words verdict; every ratio with the images it rests on
 * and its 95 % Wilson interval.
 */
import { LIMITS } from './limits'
import { ATTACK_NAMES, THREAT_NAMES, type SanityFlagCode, type ThreatName } from './names'
import { s, ValidationError, type Infer } from './validate'

const id = s.int({ min: 1, max: Number.MAX_SAFE_INTEGER })

/** Iterations and random restarts of a white-box attack. */
const whiteBox = s.optional(
  s.object({
    steps: s.optional(s.int(LIMITS.steps)),
    restarts: s.optional(s.int(LIMITS.restarts))
  })
)

/**
 * One evaluation: the models evaluated, the threat models and their settings. Absent settings
 * take the service's defaults (services/evaluation/settings.ts), recorded with the run.
 */
export const evaluationRequest = s.refine(
  s.object({
    datasetId: id,
    /** The models evaluated (each gets every threat model). */
    modelIds: s.array(id, LIMITS.evaluationModels),
    /** Crafts the `transfer` threat's perturbations (e.g. the reference). */
    sourceId: s.optional(id),
    /** Crafts the `ensemble` threat's perturbations on their mean loss (e.g. reference + ordinary). */
    ensembleIds: s.optional(s.array(id, LIMITS.ensembleModels)),
    /** Accuracy costs are measured against it (default: the source). */
    referenceId: s.optional(id),
    /** Default: every threat the models given allow (transfer needs a source, ensemble members). */
    threats: s.optional(s.array(s.literal(...THREAT_NAMES), { min: 1, max: THREAT_NAMES.length })),
    /** Fractions of the dynamic range, each > 0; default 3 % and 5 % (Table 6.3's). */
    epsilons: s.optional(s.array(s.number(LIMITS.epsilon), LIMITS.evaluationEpsilons)),
    /** Validation images drawn, the same for every model; default 1000. */
    sampleCount: s.optional(s.int(LIMITS.sampleCount)),
    seed: s.optional(s.int(LIMITS.seed)),
    batchSize: s.optional(s.int(LIMITS.batchSize)),
    /** The attack crafted on the source and on the ensemble; default PGD (10 steps). */
    transferAttack: s.optional(s.literal(...ATTACK_NAMES)),
    /** White-box PGD: default 10 steps, 5 restarts. */
    pgd: whiteBox,
    /** APGD-CE and APGD-DLR: default 100 iterations, 1 restart. */
    apgd: whiteBox,
    /** Square: query budget and p_init (defaults: services/evaluation/settings.ts). */
    square: s.optional(
      s.object({
        queries: s.optional(s.int(LIMITS.queries)),
        pInit: s.optional(s.number(LIMITS.pInit))
      })
    ),
    /** Masking checks (PGD at ε = 100 %, more iterations); default true. */
    checks: s.optional(s.boolean())
  }),
  (r) => {
    if (new Set(r.modelIds).size !== r.modelIds.length)
      throw new ValidationError('modelIds', 'lists a model twice')
    if (r.ensembleIds && new Set(r.ensembleIds).size !== r.ensembleIds.length)
      throw new ValidationError('ensembleIds', 'lists a model twice')
    if (r.threats && new Set(r.threats).size !== r.threats.length)
      throw new ValidationError('threats', 'lists a threat twice')
    r.epsilons?.forEach((e, i) => {
      if (!(e > 0)) throw new ValidationError(`epsilons[${i}]`, 'must be greater than 0')
    })
    if (r.square?.pInit !== undefined && !(r.square.pInit > 0))
      throw new ValidationError('square.pInit', 'must be greater than 0')
    if (r.threats?.includes('transfer') && r.sourceId === undefined)
      throw new ValidationError('sourceId', 'the "transfer" threat needs a source model')
    if (r.threats?.includes('ensemble') && !r.ensembleIds?.length)
      throw new ValidationError('ensembleIds', 'the "ensemble" threat needs ensemble models')
  }
)

export type EvaluationRequest = Infer<typeof evaluationRequest>

/** k of n images, the fraction and its 95 % Wilson interval: how every ratio is shown. */
export interface RatioView {
  count: number
  total: number
  value: number
  ci95: [number, number]
}

/** One threat model's outcome for one model at one ε. */
export interface EvaluationThreatView {
  threat: ThreatName
  /** e.g. "White-box PGD (10 steps × 5 restarts)". */
  label: string
  /**
   * 'standalone': ran on every correctly classified image; 'cascade': only on the images every
   * attack before it failed to fool, so its figure counts those attacks too.
   */
  basis: 'standalone' | 'cascade'
  ranOn: number
  fooled: number
  /** Robust accuracy over all drawn images. */
  robust: RatioView
}

export interface EvaluationEpsilonView {
  epsilon: number
  threats: EvaluationThreatView[]
  /** Worst case per image over every threat run (AutoAttack's rule). */
  worst: RatioView
}

export interface EvaluationFlagView {
  code: SanityFlagCode
  epsilon?: number
  message: string
}

export interface EvaluationModelView {
  modelId: number
  name: string
  /** How the model was made, for the verdict's subject. */
  kind: 'reference' | 'ordinary' | 'orthogonal'
  lambda: number
  clean: RatioView
  byEpsilon: EvaluationEpsilonView[]
  flags: EvaluationFlagView[]
  /** Plain-words sentences made from the numbers above (engine/audit/verdict.ts). */
  verdict: string[]
}

export interface EvaluationView {
  runId: number
  datasetId: number
  /** Images drawn: the denominator of every accuracy. */
  samples: number
  epsilons: number[]
  threats: ThreatName[]
  source: { modelId: number; name: string } | null
  ensemble: { modelId: number; name: string }[]
  reference: { modelId: number; name: string; clean: RatioView } | null
  models: EvaluationModelView[]
  /** The attacks' settings as they ran, in words (e.g. "Square: 1,000 queries, p_init 0.8"). */
  settings: string[]
  /**
   * The verdict's thresholds: share of the correctly classified images that must keep their
   * label for "protects" and "partly protects" (the window colours its figures by them).
   */
  levels: { protects: number; partly: number }
  seconds: number
}
