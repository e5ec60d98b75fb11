/**
 * Running an experiment plan as one job (SPEC §2.12): the reference (given, or trained first),
 * then every architecture × λ × seed, each through the train service (so each model is a
 * normal model with its own 'train' run), then the attack evaluation. The plan is a 'plan' run
 * whose results hold its progress (state.ts), written after every step, so a plan cancelled,
 * closed or killed keeps its finished models and a resume (`plans.resume`, `ortholens plan
 * --resume`) goes on with the next one: the cut model is removed and its slot trained again
 * from the same seed, so a resumed plan ends with the models an uninterrupted one would have.
 */
import type { StoredRunConfig } from '../../../contract/jobs'
import type { PlanRequest, PlanResumeRequest } from '../../../contract/plans'
import { parseArgs } from '../../../contract/requests'
import { backendInfo } from '../../engine/backend'
import {
  addRunModels,
  createRun,
  deleteModel,
  finishRun,
  getRun,
  listModels,
  listRuns,
  reopenRun,
  updateRunProgress,
  updateRunResults,
  type ProjectDb
} from '../../store'
import { requireModelsFit } from '../compatibility'
import { datasetOf } from '../datasets'
import { JobCancelledError, type JobHooks } from '../hooks'
import { requireUsable } from '../modelRoles'
import { resolveTrainConfig, trainModel } from '../models'
import { isCancellation } from '../runFailure'
import { storedRequest } from '../runs'
import { progressWriter } from '../audits/settings'
import { evaluatePlan, evaluationCost } from './evaluate'
import { resolvePlan, slotCost, trainRequestOf, type ResolvedPlan } from './spec'
import { initialState, planStateOf, type PlanState } from './state'

export interface PlanOutcome {
  runId: number
  status: 'done'
  trained: number
  total: number
  state: PlanState
}

/** Checks what a plan names before anything is stored: the dataset, the reference, the sources. */
function checkPlan(project: ProjectDb, request: PlanRequest): void {
  datasetOf(project, request.datasetId)
  if (request.referenceId !== undefined) {
    // A collapsed reference's gradients are noise: nothing can be orthogonal to them.
    requireUsable(project, request.referenceId, 'reference')
    requireModelsFit(project, request.datasetId, [
      { id: request.referenceId, role: 'reference', field: 'referenceId' }
    ])
  }
  const sources = request.evaluation?.sourceIds ?? []
  for (const id of sources) requireUsable(project, id, 'source')
  requireModelsFit(
    project,
    request.datasetId,
    sources.map((id) => ({ id, role: 'source', field: 'evaluation.sourceIds' }))
  )
}

/** Starts a plan: stores its run, then trains and evaluates (see the file comment). */
export async function runPlan(
  project: ProjectDb,
  request: PlanRequest,
  hooks: JobHooks = {}
): Promise<PlanOutcome> {
  const db = project.writable()
  checkPlan(project, request)
  const resolved = resolvePlan(request)
  const first = resolved.slots[0]!
  // The settings every model takes (the first slot's, without what differs per slot).
  const {
    lambda: _l,
    seed: _s,
    ...training
  } = resolveTrainConfig(trainRequestOf(request, first, request.referenceId ?? 1))
  const config: StoredRunConfig<'plan'> = {
    request,
    resolved: { ...resolved, training }
  }
  const runId = createRun(db, {
    kind: 'plan',
    config,
    seed: resolved.seed,
    backend: (await backendInfo()).name,
    datasetId: request.datasetId,
    modelIds: request.referenceId !== undefined ? [request.referenceId] : []
  })
  const state = initialState(resolved.slots, request.referenceId ?? null)
  updateRunResults(db, runId, state)
  return continuePlan(project, runId, request, resolved, state, hooks)
}

/**
 * Resumes a plan run that was cancelled, interrupted (a close, a kill) or failed: the same run
 * goes on. Refused while it runs elsewhere, and once it is done.
 */
export async function resumePlan(
  project: ProjectDb,
  { planRunId }: PlanResumeRequest,
  hooks: JobHooks = {}
): Promise<PlanOutcome> {
  const db = project.writable()
  // A plan whose process died while this connection stayed open is only now seen as such.
  project.reconcileInterrupted()
  const run = getRun(project.db, planRunId)
  if (!run) throw new RangeError(`No run with id ${planRunId} in this project`)
  if (run.kind !== 'plan') throw new RangeError(`Run ${planRunId} is a ${run.kind} run, not a plan`)
  if (run.status === 'done') throw new RangeError(`Plan run ${planRunId} is already complete`)
  if (run.status === 'running')
    throw new RangeError(`Plan run ${planRunId} is still running (in another window or command)`)
  const request = parseArgs('plans.run', storedRequest(run))
  const resolved = resolvePlan(request)
  const state = planStateOf(run.results, resolved.slots, run.id)
  if (state.referenceId === null && request.referenceId !== undefined)
    state.referenceId = request.referenceId
  checkPlan(project, request)
  if (!reopenRun(db, run.id))
    throw new RangeError(`Plan run ${planRunId} cannot be resumed now (another job took it)`)
  return continuePlan(project, run.id, request, resolved, state, hooks)
}

/**
 * Removes the model of a training that was cut, unless something else uses it (another run
 * names it, or a model was trained against it): then it is left as it is.
 */
function removeAttempt(project: ProjectDb, modelId: number, trainRunId: number | null): boolean {
  const db = project.writable()
  const model = listModels(project.db).find((m) => m.id === modelId)
  if (!model) return true
  if (model.status === 'ready' || model.status === 'collapsed') return false
  const usedByRun = listRuns(project.db).some(
    (r) => r.id !== trainRunId && r.kind !== 'plan' && r.modelIds.includes(modelId)
  )
  const usedAsReference = listModels(project.db).some((m) => m.referenceModelId === modelId)
  if (usedByRun || usedAsReference) return false
  return deleteModel(db, modelId)
}

/** Overall progress and ETA over the plan's slots, weighted by their cost (spec.ts slotCost). */
function progressOf(resolved: ResolvedPlan, state: PlanState) {
  const costs = resolved.slots.map(slotCost)
  const evalCost = resolved.evaluation ? evaluationCost(resolved) : 0
  const total = costs.reduce((a, b) => a + b, 0) + evalCost
  const doneUnits = () =>
    state.slots.reduce((sum, s, i) => sum + (s.modelId !== null ? costs[i]! : 0), 0) +
    (state.evaluated ? evalCost : 0)
  const startUnits = doneUnits()
  const started = performance.now()
  return {
    /** The overall fraction and ETA when slot `i` (or, with -1, the evaluation) is `part` done. */
    at(i: number, part: number): { fraction: number; etaSeconds?: number } {
      const units = doneUnits() + (i >= 0 ? costs[i]! : evalCost) * Math.min(1, Math.max(0, part))
      const gained = units - startUnits
      const elapsed = (performance.now() - started) / 1000
      const fraction = total > 0 ? units / total : 1
      // The rate is measured on this start's own work (a resumed plan's idle time is not in it).
      if (gained < 0.02 * total || elapsed < 5) return { fraction }
      return { fraction, etaSeconds: (elapsed / gained) * (total - units) }
    }
  }
}

async function continuePlan(
  project: ProjectDb,
  runId: number,
  request: PlanRequest,
  resolved: ResolvedPlan,
  state: PlanState,
  hooks: JobHooks
): Promise<PlanOutcome> {
  const db = project.writable()
  const started = performance.now()
  const activeBefore = state.activeSeconds
  const save = () => {
    state.activeSeconds = activeBefore + (performance.now() - started) / 1000
    updateRunResults(db, runId, state)
  }
  const writeProgress = progressWriter((p) => updateRunProgress(db, runId, p))
  const progress = progressOf(resolved, state)
  const total = resolved.slots.length
  try {
    for (const slot of state.slots) {
      if (slot.modelId === null && slot.attempt !== null) {
        if (removeAttempt(project, slot.attempt, slot.trainRunId))
          state.removedAttempts.push(slot.attempt)
        slot.attempt = null
        slot.trainRunId = null
      }
    }
    save()
    for (let i = 0; i < total; i++) {
      const slot = resolved.slots[i]!
      const s = state.slots[i]!
      if (s.modelId !== null) continue
      if (hooks.signal?.aborted) throw new JobCancelledError()
      const label = `Model ${i + 1} of ${total}`
      const result = await trainModel(
        project,
        trainRequestOf(request, slot, state.referenceId),
        {
          signal: hooks.signal,
          onProgress: (p) => {
            const overall = progress.at(i, p.fraction)
            const stage = `${label} — ${p.stage}`
            hooks.onProgress?.({ ...overall, stage, ...(p.metrics ? { metrics: p.metrics } : {}) })
            writeProgress(overall.fraction, stage)
          }
        },
        {
          onStarted: (modelId, trainRunId) => {
            s.attempt = modelId
            s.trainRunId = trainRunId
            save()
          }
        }
      )
      if (result.status === 'cancelled' || result.status === 'failed') throw new JobCancelledError()
      if (slot.role === 'reference' && result.status === 'collapsed') {
        s.attempt = result.modelId
        throw new Error(
          `The plan's reference "${slot.name}" collapsed (${result.message ?? 'accuracy near chance'}): change the training settings and start the plan again`
        )
      }
      Object.assign(s, {
        modelId: result.modelId,
        status: result.status === 'collapsed' ? 'collapsed' : 'ready',
        attempt: null,
        trainRunId: result.runId,
        valAccuracy: Number.isFinite(result.valAccuracy) ? result.valAccuracy : null,
        accuracyImages: result.accuracyImages,
        delta: result.delta
          ? {
              mean: result.delta.mean,
              std: result.delta.std,
              meanAbs: result.delta.meanAbs,
              count: result.delta.count
            }
          : null,
        trainSeconds: result.outcome.seconds
      })
      if (slot.role === 'reference') state.referenceId = result.modelId
      addRunModels(db, runId, [result.modelId])
      save()
    }
    if (resolved.evaluation && !state.evaluated) {
      await evaluatePlan(project, request, resolved, state, {
        signal: hooks.signal,
        save,
        onProgress: (part, stage) => {
          const overall = progress.at(-1, part)
          hooks.onProgress?.({ ...overall, stage })
          writeProgress(overall.fraction, stage)
        }
      })
    }
    state.evaluated = true
    state.activeSeconds = activeBefore + (performance.now() - started) / 1000
    finishRun(db, runId, { status: 'done', results: state })
    hooks.onProgress?.({ fraction: 1, stage: `Plan done: ${total} models` })
    return { runId, status: 'done', trained: total, total, state }
  } catch (err) {
    const cancelled = isCancellation(err, hooks.signal)
    state.activeSeconds = activeBefore + (performance.now() - started) / 1000
    // The state goes with the run's end: a resume reads it from there.
    finishRun(db, runId, {
      status: cancelled ? 'cancelled' : 'failed',
      results: state,
      error: cancelled ? undefined : err instanceof Error ? err.message : String(err)
    })
    throw cancelled && !(err instanceof JobCancelledError) ? new JobCancelledError() : err
  }
}
