/**
 * What a plan has done, kept in its run's results while it runs (store updateRunResults): which
 * slots have a finished model (and that model's figures), which source evaluations are done,
 * and the partial model of a slot whose training was cut (a cancel, a close, a crash), which a
 * resume removes before training that slot again from its seed. Read back by `planStateOf`,
 * which refuses a record it does not understand rather than guess.
 */
import type { PlanSlot } from './spec'

export interface SlotState {
  key: string
  /** The finished model (ready or collapsed); null while the slot is to be trained. */
  modelId: number | null
  status: 'pending' | 'ready' | 'collapsed'
  /** A model whose training started and did not finish (removed when the plan goes on). */
  attempt: number | null
  trainRunId: number | null
  valAccuracy: number | null
  accuracyImages: number | null
  /** δ to the reference over validation images (mean, std over images, mean |δ|, images). */
  delta: { mean: number; std: number; meanAbs: number; count: number } | null
  trainSeconds: number | null
}

/** Images fooled of `total` on one model: crafted on the source, and on the model itself. */
export interface EvaluatedCount {
  modelId: number
  transfer: number
  whiteBox?: number
}

export interface SourceEvaluation {
  sourceId: number
  kind: 'reference' | 'other-architecture' | 'extra'
  /** Images every model of `modelIds` classified correctly; every ratio below is of these. */
  sampleCount: number
  examined: number
  /** The source first, then the targets. */
  modelIds: number[]
  cells: { attack: string; epsilon: number; counts: EvaluatedCount[] }[]
  /** Images fooled by some attack at ε (transfer or white-box), per model. */
  worstCase: { epsilon: number; counts: { modelId: number; fooled: number }[] }[]
  seconds: number
}

export interface PlanState {
  version: 1
  /** The plan's reference once it exists (given, or trained as the first slot). */
  referenceId: number | null
  slots: SlotState[]
  evaluations: SourceEvaluation[]
  /** Seconds the plan has run, summed over its starts (a resumed plan's idle time left out). */
  activeSeconds: number
  /** Partial models of cut trainings that a resume removed. */
  removedAttempts: number[]
  /** Whether every source the plan evaluates has been evaluated. */
  evaluated: boolean
}

/** The state of a plan that has done nothing yet. */
export function initialState(slots: readonly PlanSlot[], referenceId: number | null): PlanState {
  return {
    version: 1,
    referenceId,
    slots: slots.map((s) => ({
      key: s.key,
      modelId: null,
      status: 'pending',
      attempt: null,
      trainRunId: null,
      valAccuracy: null,
      accuracyImages: null,
      delta: null,
      trainSeconds: null
    })),
    evaluations: [],
    activeSeconds: 0,
    removedAttempts: [],
    evaluated: false
  }
}

/**
 * The stored state of a plan run, checked against the slots its request gives (a record of
 * another shape, or of another request, is refused with a message).
 */
export function planStateOf(
  results: unknown,
  slots: readonly PlanSlot[],
  runId: number
): PlanState {
  const r = results as Partial<PlanState> | undefined
  if (!r || typeof r !== 'object' || Object.keys(r).length === 0) {
    // A plan stopped before it wrote anything: nothing done.
    return initialState(slots, null)
  }
  if (r.version !== 1 || !Array.isArray(r.slots) || !Array.isArray(r.evaluations))
    throw new RangeError(`Run ${runId} does not hold a plan's progress this version can read`)
  const keys = r.slots.map((s) => s.key)
  if (keys.length !== slots.length || slots.some((s, i) => s.key !== keys[i]))
    throw new RangeError(`Run ${runId}: its recorded models do not match its request's`)
  return {
    version: 1,
    referenceId: typeof r.referenceId === 'number' ? r.referenceId : null,
    slots: r.slots.map((s) => ({ ...s })),
    evaluations: r.evaluations.map((e) => ({ ...e })),
    activeSeconds: typeof r.activeSeconds === 'number' ? r.activeSeconds : 0,
    removedAttempts: Array.isArray(r.removedAttempts) ? [...r.removedAttempts] : [],
    evaluated: r.evaluated === true
  }
}

/** Slots with a finished model of `status`. */
export function finished(state: PlanState): SlotState[] {
  return state.slots.filter((s) => s.modelId !== null && s.status !== 'pending')
}
