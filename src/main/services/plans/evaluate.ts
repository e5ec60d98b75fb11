/**
 * A plan's attack evaluation, one source at a time (each one a step a resume does not redo):
 * - the reference crafts the perturbations (thesis Figure 6.6: each λ's models against it);
 * - a model of each other architecture of the plan (its lowest λ, first seed) crafts them too,
 *   against the same targets (Figure 6.7: "attacks from other models"), as do the request's
 *   further sources;
 * every finished, non-collapsed model of the plan (and the reference) is a target. With
 * `whiteBox`, each target is attacked on itself as well (engine/audit/multiTarget.ts).
 */
import type { PlanRequest } from '../../../contract/plans'
import { evaluateAgainstTargets } from '../../engine/audit/multiTarget'
import type { LoadedModel } from '../../engine/models'
import { listModels, type ProjectDb } from '../../store'
import { datasetOf } from '../datasets'
import { requireUsable } from '../modelRoles'
import { loadClassifier } from '../models'
import type { ResolvedPlan } from './spec'
import type { PlanState, SourceEvaluation } from './state'

export interface PlanSource {
  sourceId: number
  kind: SourceEvaluation['kind']
}

/** The stored architecture's name ('cnn' …; 'onnx' or 'imported' for imported models). */
export function archOf(project: ProjectDb, modelId: number): string {
  const m = listModels(project.db).find((x) => x.id === modelId)
  return String((m?.architecture as { arch?: unknown } | undefined)?.arch ?? 'unknown')
}

/** The sources a plan evaluates, in order (see the file comment). */
export function planSources(
  project: ProjectDb,
  request: PlanRequest,
  resolved: ResolvedPlan,
  state: PlanState
): PlanSource[] {
  if (state.referenceId === null) return []
  const sources: PlanSource[] = [{ sourceId: state.referenceId, kind: 'reference' }]
  const referenceArch = archOf(project, state.referenceId)
  for (const arch of request.architectures) {
    if (arch === referenceArch) continue
    const candidates = resolved.slots
      .map((slot, i) => ({ slot, s: state.slots[i]! }))
      .filter(({ slot, s }) => slot.arch === arch && s.status === 'ready' && s.modelId !== null)
      .sort((a, b) => a.slot.lambda - b.slot.lambda || a.slot.repeat - b.slot.repeat)
    const first = candidates[0]
    if (first) sources.push({ sourceId: first.s.modelId!, kind: 'other-architecture' })
  }
  for (const id of resolved.evaluation?.sourceIds ?? [])
    sources.push({ sourceId: id, kind: 'extra' })
  return sources
}

/** The plan's models every source is evaluated on: its finished, healthy ones and the reference. */
export function planTargets(state: PlanState): number[] {
  const ids = state.slots
    .filter((s) => s.status === 'ready' && s.modelId !== null)
    .map((s) => s.modelId!)
  if (state.referenceId !== null && !ids.includes(state.referenceId)) ids.unshift(state.referenceId)
  return ids
}

/** The evaluation's share of the plan's work for the ETA, in units of a λ = 0 cnn training. */
export function evaluationCost(resolved: ResolvedPlan): number {
  const e = resolved.evaluation
  if (!e) return 0
  const sources = 1 + e.sourceIds.length + new Set(resolved.slots.map((s) => s.arch)).size - 1
  const perSource = (e.attacks.length * e.epsilons.length * e.sampleCount) / 3000
  return sources * perSource * (e.whiteBox ? resolved.slots.length / 2 : 1)
}

export interface EvaluateHooks {
  signal?: AbortSignal
  /** Saves the plan's state (after each source). */
  save(): void
  onProgress?(fraction: number, stage: string): void
}

/** Evaluates every source the plan has not evaluated yet; records each in `state`. */
export async function evaluatePlan(
  project: ProjectDb,
  request: PlanRequest,
  resolved: ResolvedPlan,
  state: PlanState,
  hooks: EvaluateHooks
): Promise<void> {
  const settings = resolved.evaluation
  if (!settings) return
  const ds = datasetOf(project, request.datasetId)
  const sources = planSources(project, request, resolved, state)
  const targetsAll = planTargets(state)
  for (let k = 0; k < sources.length; k++) {
    const { sourceId, kind } = sources[k]!
    if (state.evaluations.some((e) => e.sourceId === sourceId)) continue
    requireUsable(project, sourceId, 'source')
    const targetIds = targetsAll.filter((id) => id !== sourceId)
    const started = performance.now()
    const loaded: LoadedModel[] = []
    try {
      for (const id of [sourceId, ...targetIds]) loaded.push(loadClassifier(project, id))
      const result = await evaluateAgainstTargets(
        ds,
        loaded[0]!,
        loaded.slice(1),
        {
          attacks: settings.attacks.map((id) => ({ id, config: settings.attackSettings[id] })),
          epsilons: settings.epsilons,
          sampleCount: settings.sampleCount,
          seed: settings.seed,
          batchSize: settings.batchSize,
          whiteBox: settings.whiteBox
        },
        {
          signal: hooks.signal,
          onProgress: (part, stage) =>
            hooks.onProgress?.(
              (k + part) / sources.length,
              `Evaluation, source ${k + 1} of ${sources.length}: ${stage}`
            )
        }
      )
      const idOf = new Map(loaded.map((m, j) => [m.id, [sourceId, ...targetIds][j]!]))
      state.evaluations.push({
        sourceId,
        kind,
        sampleCount: result.sampleCount,
        examined: result.examined,
        modelIds: [sourceId, ...targetIds],
        cells: result.cells.map((c) => ({
          attack: c.attackId,
          epsilon: c.epsilon,
          counts: c.counts.map((t) => ({
            modelId: idOf.get(t.modelId)!,
            transfer: t.transfer,
            ...(t.whiteBox !== undefined ? { whiteBox: t.whiteBox } : {})
          }))
        })),
        worstCase: result.worstCase.map((w) => ({
          epsilon: w.epsilon,
          counts: w.counts.map((c) => ({ modelId: idOf.get(c.modelId)!, fooled: c.fooled }))
        })),
        seconds: (performance.now() - started) / 1000
      })
      hooks.save()
    } finally {
      for (const m of loaded) m.dispose()
    }
  }
}
