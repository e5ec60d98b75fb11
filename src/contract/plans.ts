/**
 * Experiment plans (SPEC §2.12; thesis Table 6.2, Figures 6.6 and 6.7): one reference, a list
 * of λ, some seeds per λ, one or more architectures, trained and evaluated as one resumable job;
 * and the plan's results as the window, the command line and the report read them.
 */
import { LIMITS } from './limits'
import { ARCHITECTURES, ATTACK_NAMES } from './names'
import { checkOptimizerSettings, trainSettingsShape } from './training'
import { attackSettingsSchema } from './attackSettings'
import { s, ValidationError, type Infer } from './validate'

const id = s.int({ min: 1, max: Number.MAX_SAFE_INTEGER })

/** Every training setting but λ and the seed, which the plan sets per model. */
const { lambda: _lambda, seed: _seed, ...planTrainingShape } = trainSettingsShape
export const planTraining = s.object(planTrainingShape)

/**
 * The attack evaluation after training: perturbations crafted on the reference (Figure 6.6)
 * and on the sources of other architectures (Figure 6.7), evaluated on every model of the plan
 * over the same images (correct on the source and every target), and with `whiteBox` each
 * model attacked on itself too, so the worst case per image can be given.
 */
export const planEvaluation = s.object({
  /** Default PGD. */
  attacks: s.optional(s.array(s.literal(...ATTACK_NAMES), { min: 1, max: ATTACK_NAMES.length })),
  /** Default 1, 3, 5 % of the dynamic range. */
  epsilons: s.optional(s.array(s.number(LIMITS.epsilon), LIMITS.sweepEpsilons)),
  /** Images per source (default 200). */
  sampleCount: s.optional(s.int(LIMITS.sampleCount)),
  seed: s.optional(s.int(LIMITS.seed)),
  batchSize: s.optional(s.int(LIMITS.batchSize)),
  attackSettings: s.optional(s.record(ATTACK_NAMES, attackSettingsSchema)),
  /** Also attack every model on itself (white-box) and give the worst case per image. */
  whiteBox: s.optional(s.boolean()),
  /** Further sources (e.g. imported models of other architectures) for Figure 6.7. */
  sourceIds: s.optional(s.array(id, { min: 0, max: 8 }))
})

export const planRequest = s.refine(
  s.object({
    /** Names the plan and prefixes its models' names; default "Plan". */
    name: s.optional(s.string({ min: 1, max: 120 })),
    datasetId: id,
    architectures: s.array(s.literal(...ARCHITECTURES), { min: 1, max: ARCHITECTURES.length }),
    /** An existing reference; absent: the plan trains one first (λ = 0, the first architecture). */
    referenceId: s.optional(id),
    /** Thesis Table 6.2: 0, 5, 30, 100. λ = 0 repeats are the "different initialisations" row. */
    lambdas: s.array(s.number(LIMITS.lambda), LIMITS.planLambdas),
    /** Repeats per λ and architecture (thesis: 5). */
    seeds: s.int(LIMITS.planSeeds),
    /** The reference is trained with this seed; repeat r of every λ with seed + r. Default 1. */
    seed: s.optional(s.int({ min: LIMITS.seed.min, max: LIMITS.seed.max - LIMITS.planSeeds.max })),
    training: s.optional(planTraining),
    evaluation: s.optional(planEvaluation)
  }),
  (r) => {
    if (new Set(r.lambdas).size !== r.lambdas.length)
      throw new ValidationError('lambdas', 'lists a λ twice')
    if (new Set(r.architectures).size !== r.architectures.length)
      throw new ValidationError('architectures', 'lists an architecture twice')
    const models = r.architectures.length * r.lambdas.length * r.seeds + (r.referenceId ? 0 : 1)
    if (models > LIMITS.planModels.max)
      throw new ValidationError(
        'seeds',
        `the plan would train ${models} models; at most ${LIMITS.planModels.max}`
      )
    const sources = r.evaluation?.sourceIds ?? []
    if (new Set(sources).size !== sources.length)
      throw new ValidationError('evaluation.sourceIds', 'lists a model twice')
    if (r.referenceId !== undefined && sources.includes(r.referenceId))
      throw new ValidationError(
        'evaluation.sourceIds',
        'the reference is always a source; do not list it'
      )
    try {
      checkOptimizerSettings(r.training ?? {})
    } catch (err) {
      if (err instanceof ValidationError)
        throw new ValidationError(`training.${err.path}`, err.reason)
      throw err
    }
  }
)

/** Resumes a plan that was cancelled, interrupted (a close, a crash) or failed. */
export const planResumeRequest = s.object({ planRunId: id })

export type PlanRequest = Infer<typeof planRequest>
export type PlanTraining = Infer<typeof planTraining>
export type PlanEvaluation = Infer<typeof planEvaluation>
export type PlanResumeRequest = Infer<typeof planResumeRequest>

// ---- Results ---------------------------------------------------------------------------------

/**
 * A figure over repeats. `ci95` is a 95 % interval: over seeds (Student's t on the per-seed
 * values, n − 1 degrees of freedom) when there are two or more, over images (Wilson) for a
 * single seed's ratio; `method` says which.
 */
export interface PlanStat {
  mean: number
  /** Sample standard deviation over seeds (n − 1); null for one seed. */
  std: number | null
  /** Seeds (models) it rests on. */
  n: number
  ci95: [number, number] | null
  method: 'seeds-t' | 'wilson' | 'none'
  /** Images each model's figure rests on (the smallest, when they differ). */
  images: number | null
}

/** One row of Table 6.2: an architecture at one λ, over its seeds. */
export interface PlanRow {
  arch: string
  lambda: number
  /** Models of the finished seeds that count (not collapsed). */
  models: number[]
  /** Seeds whose training collapsed: left out of the means, listed here. */
  collapsed: number[]
  /** Seeds not trained yet. */
  pending: number
  /** δ to the reference: mean ± std over seeds of each model's mean δ; `withinStd` = the
   * spread over images inside one model (root mean square of the models' own std). */
  delta: (PlanStat & { withinStd: number }) | null
  accuracy: PlanStat | null
  trainSeconds: { mean: number; std: number | null } | null
  /** Transfer from the reference: attack → ε (as text, e.g. "0.05") → fooling ratio. */
  fooling: Record<string, Record<string, PlanStat>>
  /** Each model attacked on itself (when the plan asked for white-box). */
  whiteBox: Record<string, Record<string, PlanStat>>
  /** Worst case per image over transfer and white-box, every attack (AutoAttack's rule). */
  worstCase: Record<string, PlanStat>
}

/** One trained model of a plan, as the tables list it. */
export interface PlanModelView {
  modelId: number
  name: string
  arch: string
  /** null for the reference. */
  lambda: number | null
  repeat: number
  seed: number
  status: string
  valAccuracy: number | null
  accuracyImages: number | null
  accuracyCi95: [number, number] | null
  delta: { mean: number; std: number; count: number } | null
  trainSeconds: number | null
}

/** A curve of Figure 6.6 / 6.7: one target group (architecture, λ) under one source. */
export interface PlanCurve {
  attack: string
  /** 'source' (the source on itself), 'orthogonal' (λ > 0: orthogonal to its own reference),
   * 'ordinary' (λ = 0), 'reference' (the plan's reference as a target of another source). */
  role: 'source' | 'orthogonal' | 'ordinary' | 'reference'
  arch: string
  lambda: number | null
  label: string
  points: { epsilon: number; stat: PlanStat }[]
}

export interface PlanFigure {
  sourceId: number
  sourceName: string
  sourceArch: string
  /** 'reference': Figure 6.6; 'other-architecture' and 'extra': Figure 6.7. */
  kind: 'reference' | 'other-architecture' | 'extra'
  /** Images the fooling ratios rest on (correct on the source and every target). */
  sampleCount: number
  curves: PlanCurve[]
}

export interface PlanResult {
  runId: number
  name: string
  status: string
  datasetId: number
  referenceId: number | null
  referenceName: string | null
  architectures: string[]
  lambdas: number[]
  seeds: number
  /** Models trained so far of all the plan trains (the reference included when it trains it). */
  progress: { trained: number; total: number; evaluated: number; sources: number }
  reference: PlanModelView | null
  rows: PlanRow[]
  models: PlanModelView[]
  figures: PlanFigure[]
  /** How the intervals are computed, in words (shown under the table). */
  intervals: string
  /** The training settings every model took, as resolved. */
  training: Record<string, unknown>
  seconds: number | null
}
