/**
 * A plan's results as the window, the command line and the report show them, computed from
 * the run's stored progress on every read (so a plan still running, or stopped, shows what it
 * has): Table 6.2 (δ to the reference and validation accuracy as mean ± std over seeds, the
 * spread over images inside a model, training time) and Figures 6.6 / 6.7 (fooling ratio
 * against ε per λ with its interval over seeds), each target labelled by its own lineage.
 */
import type {
  PlanCurve,
  PlanFigure,
  PlanModelView,
  PlanRequest,
  PlanResult,
  PlanRow,
  PlanStat
} from '../../../contract/plans'
import { parseArgs } from '../../../contract/requests'
import {
  ratioOverSeeds,
  summarise,
  valueOverSeeds,
  type SeedRatio
} from '../../engine/audit/seedStats'
import { wilsonInterval } from '../../engine/audit/stats'
import type { RunRecord, StoredModel } from '../../store'
import { trainingOf } from '../modelRoles'
import { storedRequest } from '../runs'
import { lambdaText, resolvePlan, type PlanSlot } from './spec'
import { planStateOf, type PlanState, type SlotState, type SourceEvaluation } from './state'

/** How the intervals are computed, in the words shown under the table and in the report. */
export const PLAN_INTERVALS =
  'Intervals are 95 %. Over seeds: Student t on the per-seed values (mean ± t(0.975, n−1)·s/√n), ' +
  'so they cover the spread between trainings; for ratios widened to at least the Wilson interval of all ' +
  'the seeds’ images pooled (seeds that agree exactly still show how few images back them); with one ' +
  'seed a ratio takes the Wilson interval over ' +
  'its images instead. A single model’s accuracy: Wilson over its validation images. ± is the ' +
  'sample standard deviation over seeds.'

/** ε as the JSON keys give it: "0.05". */
export function epsKey(e: number): string {
  return String(+e.toFixed(6))
}

function stat(r: ReturnType<typeof ratioOverSeeds>): PlanStat {
  return { mean: r.mean, std: r.std, n: r.n, ci95: r.ci95, method: r.method, images: r.images }
}

/** A model's accuracy as k of n images (the stored figure is k/n exactly). */
function accuracyCount(s: Pick<SlotState, 'valAccuracy' | 'accuracyImages'>): SeedRatio | null {
  if (s.valAccuracy === null || s.accuracyImages === null || s.accuracyImages <= 0) return null
  return { count: Math.round(s.valAccuracy * s.accuracyImages), total: s.accuracyImages }
}

function modelView(slot: PlanSlot, s: SlotState, byId: Map<number, StoredModel>): PlanModelView {
  const acc = accuracyCount(s)
  const m = s.modelId !== null ? byId.get(s.modelId) : undefined
  return {
    modelId: s.modelId ?? 0,
    name: m?.name ?? slot.name,
    arch: slot.arch,
    lambda: slot.role === 'reference' ? null : slot.lambda,
    repeat: slot.repeat,
    seed: slot.seed,
    status: s.modelId === null ? 'pending' : s.status,
    valAccuracy: s.valAccuracy,
    accuracyImages: s.accuracyImages,
    accuracyCi95: acc ? wilsonInterval(acc.count, acc.total) : null,
    delta: s.delta ? { mean: s.delta.mean, std: s.delta.std, count: s.delta.count } : null,
    trainSeconds: s.trainSeconds
  }
}

/** A given reference (not trained by the plan), as the table lists it. */
function givenReference(m: StoredModel): PlanModelView {
  const metrics = (m.metrics ?? {}) as {
    valAccuracy?: number
    accuracyImages?: number
    seconds?: number
  }
  const acc =
    typeof metrics.valAccuracy === 'number' && typeof metrics.accuracyImages === 'number'
      ? {
          count: Math.round(metrics.valAccuracy * metrics.accuracyImages),
          total: metrics.accuracyImages
        }
      : null
  return {
    modelId: m.id,
    name: m.name,
    arch: String((m.architecture as { arch?: unknown }).arch ?? 'model'),
    lambda: null,
    repeat: 0,
    seed: 0,
    status: m.status,
    valAccuracy: metrics.valAccuracy ?? null,
    accuracyImages: metrics.accuracyImages ?? null,
    accuracyCi95: acc ? wilsonInterval(acc.count, acc.total) : null,
    delta: null,
    trainSeconds: typeof metrics.seconds === 'number' ? metrics.seconds : null
  }
}

/** Ratios of `modelIds` at (attack, ε) under one source's evaluation, by `pick`. */
function countsOf(
  e: SourceEvaluation,
  modelIds: number[],
  attack: string,
  epsilon: number,
  pick: 'transfer' | 'whiteBox'
): SeedRatio[] {
  const cell = e.cells.find((c) => c.attack === attack && c.epsilon === epsilon)
  if (!cell) return []
  return modelIds.flatMap((id) => {
    const c = cell.counts.find((x) => x.modelId === id)
    const v = c?.[pick]
    return v === undefined ? [] : [{ count: v, total: e.sampleCount }]
  })
}

function worstOf(e: SourceEvaluation, modelIds: number[], epsilon: number): SeedRatio[] {
  const w = e.worstCase.find((x) => x.epsilon === epsilon)
  if (!w) return []
  return modelIds.flatMap((id) => {
    const c = w.counts.find((x) => x.modelId === id)
    return c ? [{ count: c.fooled, total: e.sampleCount }] : []
  })
}

function attacksAndEpsilons(e: SourceEvaluation): { attacks: string[]; epsilons: number[] } {
  return {
    attacks: [...new Set(e.cells.map((c) => c.attack))],
    epsilons: [...new Set(e.cells.map((c) => c.epsilon))].sort((a, b) => a - b)
  }
}

function rowsOf(slots: PlanSlot[], state: PlanState): PlanRow[] {
  const reference = state.evaluations.find((e) => e.kind === 'reference')
  const groups = new Map<string, number[]>()
  slots.forEach((slot, i) => {
    if (slot.role !== 'member') return
    const key = `${slot.arch}\u0000${slot.lambda}`
    groups.set(key, [...(groups.get(key) ?? []), i])
  })
  return [...groups.values()].map((indices) => {
    const slot = slots[indices[0]!]!
    const members = indices.map((i) => state.slots[i]!)
    const ready = members.filter((s) => s.status === 'ready' && s.modelId !== null)
    const modelIds = ready.map((s) => s.modelId!)
    const deltas = ready.filter((s) => s.delta !== null).map((s) => s.delta!)
    const accuracies = ready.map(accuracyCount).filter((a): a is SeedRatio => a !== null)
    const seconds = ready.map((s) => s.trainSeconds).filter((x): x is number => x !== null)
    const fooling: PlanRow['fooling'] = {}
    const whiteBox: PlanRow['whiteBox'] = {}
    const worstCase: PlanRow['worstCase'] = {}
    if (reference && modelIds.length > 0) {
      const { attacks, epsilons } = attacksAndEpsilons(reference)
      for (const a of attacks) {
        fooling[a] = {}
        for (const e of epsilons)
          fooling[a]![epsKey(e)] = stat(
            ratioOverSeeds(countsOf(reference, modelIds, a, e, 'transfer'))
          )
        const wb = epsilons.map((e) => countsOf(reference, modelIds, a, e, 'whiteBox'))
        if (wb.every((r) => r.length > 0)) {
          whiteBox[a] = {}
          epsilons.forEach((e, k) => (whiteBox[a]![epsKey(e)] = stat(ratioOverSeeds(wb[k]!))))
        }
      }
      if (Object.keys(whiteBox).length > 0)
        for (const e of epsilons)
          worstCase[epsKey(e)] = stat(ratioOverSeeds(worstOf(reference, modelIds, e)))
    }
    const d = valueOverSeeds(deltas.map((x) => x.mean))
    const t = summarise(seconds)
    return {
      arch: slot.arch,
      lambda: slot.lambda,
      models: modelIds,
      collapsed: members.filter((s) => s.status === 'collapsed').map((s) => s.modelId!),
      pending: members.filter((s) => s.modelId === null).length,
      delta:
        deltas.length > 0
          ? {
              ...stat(d),
              images: Math.min(...deltas.map((x) => x.count)),
              // Root mean square of the models' own spreads over images.
              withinStd: Math.sqrt(deltas.reduce((s, x) => s + x.std ** 2, 0) / deltas.length)
            }
          : null,
      accuracy: accuracies.length > 0 ? stat(ratioOverSeeds(accuracies)) : null,
      trainSeconds: seconds.length > 0 ? { mean: t.mean, std: t.std } : null,
      fooling,
      whiteBox,
      worstCase
    }
  })
}

/**
 * A target's role next to a source, from the target's own lineage (never from the choice of
 * source): trained with λ > 0 → orthogonal (to its own reference); the plan's reference under
 * another source → reference; otherwise ordinary.
 */
function roleOf(
  slot: PlanSlot | undefined,
  modelId: number,
  sourceId: number,
  referenceId: number | null,
  model: StoredModel | undefined
): PlanCurve['role'] {
  if (modelId === sourceId) return 'source'
  if (modelId === referenceId) return 'reference'
  const lambda = slot ? slot.lambda : model ? trainingOf(model).lambda : 0
  return lambda > 0 ? 'orthogonal' : 'ordinary'
}

function figuresOf(
  slots: PlanSlot[],
  state: PlanState,
  byId: Map<number, StoredModel>
): PlanFigure[] {
  const slotOf = new Map<number, PlanSlot>()
  state.slots.forEach((s, i) => {
    if (s.modelId !== null) slotOf.set(s.modelId, slots[i]!)
  })
  const refName =
    state.referenceId !== null
      ? (byId.get(state.referenceId)?.name ?? `#${state.referenceId}`)
      : '?'
  const archOf = (id: number) =>
    slotOf.get(id)?.arch ??
    String((byId.get(id)?.architecture as { arch?: unknown } | undefined)?.arch ?? 'model')
  return state.evaluations.map((e) => {
    const { attacks, epsilons } = attacksAndEpsilons(e)
    // Targets grouped by (role, architecture, λ): the seeds of one group make one curve.
    const groups = new Map<
      string,
      { role: PlanCurve['role']; arch: string; lambda: number | null; ids: number[] }
    >()
    for (const id of e.modelIds) {
      const slot = slotOf.get(id)
      const role = roleOf(slot, id, e.sourceId, state.referenceId, byId.get(id))
      const lambda = role === 'source' || role === 'reference' ? null : (slot?.lambda ?? 0)
      const key = `${role}\u0000${archOf(id)}\u0000${lambda ?? ''}\u0000${role === 'source' ? id : ''}`
      const g = groups.get(key) ?? { role, arch: archOf(id), lambda, ids: [] }
      g.ids.push(id)
      groups.set(key, g)
    }
    const labelOf = (g: {
      role: PlanCurve['role']
      arch: string
      lambda: number | null
      ids: number[]
    }) => {
      const seeds = g.ids.length > 1 ? `, ${g.ids.length} seeds` : ''
      if (g.role === 'source') return `${byId.get(g.ids[0]!)?.name ?? 'source'} (source)`
      if (g.role === 'reference') return `${refName} (reference, ordinary)`
      if (g.role === 'orthogonal')
        return `${g.arch} λ=${lambdaText(g.lambda ?? 0)} (orthogonal to ${refName}${seeds})`
      return `${g.arch} λ=${lambdaText(g.lambda ?? 0)} (ordinary${seeds})`
    }
    const curves: PlanCurve[] = attacks.flatMap((attack) =>
      [...groups.values()].map((g) => ({
        attack,
        role: g.role,
        arch: g.arch,
        lambda: g.lambda,
        label: labelOf(g),
        points: epsilons.map((epsilon) => ({
          epsilon,
          stat: stat(ratioOverSeeds(countsOf(e, g.ids, attack, epsilon, 'transfer')))
        }))
      }))
    )
    return {
      sourceId: e.sourceId,
      sourceName: byId.get(e.sourceId)?.name ?? `#${e.sourceId}`,
      sourceArch: archOf(e.sourceId),
      kind: e.kind,
      sampleCount: e.sampleCount,
      curves
    }
  })
}

/** A plan run's request, validated against today's contract. */
export function planRequestOf(run: RunRecord): PlanRequest {
  return parseArgs('plans.run', storedRequest(run))
}

/** The plan's results from its run and the project's models (see the file comment). */
export function planResult(run: RunRecord, models: readonly StoredModel[]): PlanResult {
  const request = planRequestOf(run)
  const resolved = resolvePlan(request)
  const state = planStateOf(run.results, resolved.slots, run.id)
  if (state.referenceId === null && request.referenceId !== undefined)
    state.referenceId = request.referenceId
  const byId = new Map(models.map((m) => [m.id, m]))
  const views = resolved.slots.map((slot, i) => modelView(slot, state.slots[i]!, byId))
  const refIndex = resolved.slots.findIndex((s) => s.role === 'reference')
  const refModel = state.referenceId !== null ? byId.get(state.referenceId) : undefined
  const reference = refIndex >= 0 ? views[refIndex]! : refModel ? givenReference(refModel) : null
  const refArch = refModel
    ? String((refModel.architecture as { arch?: unknown }).arch ?? '')
    : request.architectures[0]!
  const expectedSources = request.evaluation
    ? 1 +
      request.architectures.filter((a) => a !== refArch).length +
      (request.evaluation.sourceIds?.length ?? 0)
    : 0
  const training =
    (run.config as { resolved?: { training?: Record<string, unknown> } }).resolved?.training ?? {}
  return {
    runId: run.id,
    name: resolved.name,
    status: run.status,
    datasetId: request.datasetId,
    referenceId: state.referenceId,
    referenceName: refModel?.name ?? reference?.name ?? null,
    architectures: request.architectures,
    lambdas: request.lambdas,
    seeds: request.seeds,
    progress: {
      trained: state.slots.filter((s) => s.modelId !== null).length,
      total: resolved.slots.length,
      evaluated: state.evaluations.length,
      sources: state.evaluated ? state.evaluations.length : expectedSources
    },
    reference,
    rows: rowsOf(resolved.slots, state),
    models: views.filter((_, i) => i !== refIndex),
    figures: figuresOf(resolved.slots, state, byId),
    intervals: PLAN_INTERVALS,
    training,
    seconds: state.activeSeconds > 0 ? state.activeSeconds : null
  }
}
