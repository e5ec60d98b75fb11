/**
 * What a plan request asks for, spelled out: the models to train in order (the reference first
 * when the plan trains it, then every architecture × λ × repeat), each one's train request, and
 * the evaluation's settings with their defaults. Pure: the same request always gives the same
 * slots, names and seeds, which is what lets a resumed plan pick up where it stopped.
 */
import type { PlanRequest } from '../../../contract/plans'
import type { ArchitectureName, AttackName } from '../../../contract/names'
import type { AttackSettings, TrainRequest } from '../../../contract/requests'
import { DEFAULT_AUDIT_BATCH } from '../audits/settings'

/** One model of a plan. */
export interface PlanSlot {
  /** 'reference', or `<arch>:<λ>:<repeat>`: stable across a resume. */
  key: string
  role: 'reference' | 'member'
  arch: ArchitectureName
  /** 0 for the reference (trained against nothing). */
  lambda: number
  /** 0-based repeat within its (architecture, λ). */
  repeat: number
  seed: number
  name: string
}

export interface PlanEvaluationSettings {
  attacks: AttackName[]
  epsilons: number[]
  sampleCount: number
  seed: number
  batchSize: number
  attackSettings: Partial<Record<AttackName, AttackSettings>>
  whiteBox: boolean
  sourceIds: number[]
}

export interface ResolvedPlan {
  name: string
  /** The reference's seed; repeat r of every λ trains with seed + 1 + r. */
  seed: number
  slots: PlanSlot[]
  evaluation: PlanEvaluationSettings | null
}

/** Default evaluation: PGD at 1, 3 and 5 % over 200 images per source. */
export const PLAN_EVALUATION_DEFAULTS = {
  attacks: ['pgd'] as AttackName[],
  epsilons: [0.01, 0.03, 0.05],
  sampleCount: 200,
  seed: 0
}

/** λ as a model name shows it: 0.5, 30, 100. */
export function lambdaText(lambda: number): string {
  return String(+lambda.toFixed(6))
}

/**
 * The plan's slots, names and evaluation settings. Every λ and architecture uses the same
 * seeds (the reference's + 1 … + repeats): the comparison across λ is paired by initialisation
 * and data order, so a difference between two rows is the penalty's, not the draw's.
 */
export function resolvePlan(request: PlanRequest): ResolvedPlan {
  const name = request.name ?? 'Plan'
  const seed = request.seed ?? 1
  const slots: PlanSlot[] = []
  if (request.referenceId === undefined) {
    const arch = request.architectures[0]!
    slots.push({
      key: 'reference',
      role: 'reference',
      arch,
      lambda: 0,
      repeat: 0,
      seed,
      name: `${name} · reference (${arch})`
    })
  }
  for (const arch of request.architectures) {
    for (const lambda of request.lambdas) {
      for (let repeat = 0; repeat < request.seeds; repeat++) {
        const s = seed + 1 + repeat
        slots.push({
          key: `${arch}:${lambda}:${repeat}`,
          role: 'member',
          arch,
          lambda,
          repeat,
          seed: s,
          name: `${name} · ${arch} λ=${lambdaText(lambda)} · seed ${s}`
        })
      }
    }
  }
  const e = request.evaluation
  const evaluation: PlanEvaluationSettings | null = e
    ? {
        attacks: e.attacks ?? PLAN_EVALUATION_DEFAULTS.attacks,
        epsilons: e.epsilons ?? PLAN_EVALUATION_DEFAULTS.epsilons,
        sampleCount: e.sampleCount ?? PLAN_EVALUATION_DEFAULTS.sampleCount,
        seed: e.seed ?? PLAN_EVALUATION_DEFAULTS.seed,
        batchSize: e.batchSize ?? DEFAULT_AUDIT_BATCH,
        attackSettings: e.attackSettings ?? {},
        whiteBox: e.whiteBox ?? false,
        sourceIds: e.sourceIds ?? []
      }
    : null
  return { name, seed, slots, evaluation }
}

/** The train request of one slot: the plan's training settings, the slot's λ, seed and name. */
export function trainRequestOf(
  request: PlanRequest,
  slot: PlanSlot,
  referenceId: number | null
): TrainRequest {
  const base = {
    ...(request.training ?? {}),
    name: slot.name,
    datasetId: request.datasetId,
    architecture: slot.arch,
    lambda: slot.lambda,
    seed: slot.seed
  }
  if (slot.role === 'reference') return base
  if (referenceId === null) throw new Error(`Plan: "${slot.name}" needs the reference first`)
  return { ...base, referenceId }
}

/**
 * Relative cost of a slot for the overall ETA: an orthogonal step is about three ordinary ones
 * (double backprop), and the architectures' costs per image differ (measured on the cnn
 * benchmark path; the others from their multiply-adds). The ETA rescales by the time the
 * finished slots took, so only the ratios matter.
 */
export function slotCost(slot: Pick<PlanSlot, 'arch' | 'lambda'>): number {
  const arch: Record<ArchitectureName, number> = {
    cnn: 1,
    resnet20: 4,
    resnet32: 6.5,
    vgg11: 10,
    vgg16: 16
  }
  return (arch[slot.arch] ?? 4) * (slot.lambda > 0 ? 3 : 1)
}
