/**
 * The robustness evaluation as a job (SPEC §2.10, issue 14): loads the models a request names,
 * runs the engine's evaluation (engine/audit/robustness.ts) and stores a
 * 'robustness-evaluation' run with the request, the resolved settings and the evaluation
 * itself (per model and ε every threat's counts and intervals, the worst case, the masking
 * checks and the sanity flags). A cancelled or failed evaluation is recorded as such.
 *
 * Callable from other services (e.g. an experiment plan wanting white-box figures): pass the
 * project and a request; the outcome carries the run id and the evaluation.
 */
import type { StoredRunConfig } from '../../../contract/jobs'
import type { EvaluationRequest } from '../../../contract/evaluation'
import { backendInfo } from '../../engine/backend'
import { runRobustnessEvaluation } from '../../engine/audit/robustness'
import type { RobustnessEvaluation, RobustnessProgress } from '../../engine/audit/robustnessTypes'
import { epsilonText } from '../../engine/audit/wording'
import type { LoadedModel } from '../../engine/models'
import { createRun, finishRun, updateRunProgress, type ProjectDb } from '../../store'
import { progressWriter } from '../audits/settings'
import { requireRequestFits } from '../compatibility'
import { datasetOf } from '../datasets'
import type { JobHooks } from '../hooks'
import { requireUsable } from '../modelRoles'
import { loadClassifier } from '../models'
import { closeFailedRun } from '../runFailure'
import { engineConfig, resolveEvaluation, type ResolvedEvaluation } from './settings'
import { THREAT_LABELS } from './words'

export interface EvaluationOutcome {
  runId: number
  resolved: ResolvedEvaluation
  /** Model ids inside are the classifiers' ("model-<id>"); `projectIdOf` maps them back. */
  evaluation: RobustnessEvaluation
  seconds: number
}

/** The project's model id behind an evaluation's classifier id ("model-3" → 3). */
export function projectIdOf(classifierId: string): number {
  const m = /^model-(\d+)$/.exec(classifierId)
  if (!m) throw new RangeError(`"${classifierId}" is not a stored model's classifier id`)
  return Number(m[1])
}

/** Runs the evaluation a request asks for and stores it as a run. */
export async function runEvaluation(
  project: ProjectDb,
  request: EvaluationRequest,
  hooks: JobHooks = {}
): Promise<EvaluationOutcome> {
  const started = performance.now()
  const db = project.writable()
  const resolved = resolveEvaluation(request)
  if (resolved.threats.includes('transfer') && request.sourceId === undefined)
    throw new RangeError('The "transfer" threat needs a source model (sourceId)')
  if (resolved.threats.includes('ensemble') && !request.ensembleIds?.length)
    throw new RangeError('The "ensemble" threat needs ensemble models (ensembleIds)')
  const roles: [number, string][] = [
    ...request.modelIds.map((id): [number, string] => [id, 'evaluated model']),
    ...(request.sourceId !== undefined
      ? [[request.sourceId, 'transfer source'] as [number, string]]
      : []),
    ...(request.ensembleIds ?? []).map((id): [number, string] => [id, 'ensemble member']),
    ...(request.referenceId !== undefined
      ? [[request.referenceId, 'reference'] as [number, string]]
      : [])
  ]
  for (const [id, role] of roles) requireUsable(project, id, role)
  requireRequestFits(project, request)
  const ds = datasetOf(project, request.datasetId)
  const backend = (await backendInfo()).name
  const config: StoredRunConfig<'robustness-evaluation'> = {
    request,
    resolved: { ...resolved, backend }
  }
  const modelIds = [...new Set(roles.map(([id]) => id))]
  const runId = createRun(db, {
    kind: 'robustness-evaluation',
    config,
    seed: resolved.seed,
    backend,
    datasetId: request.datasetId,
    modelIds
  })
  // Each stored model is loaded once, whatever roles it plays.
  const loaded = new Map<number, LoadedModel>()
  const load = (id: number) => {
    let m = loaded.get(id)
    if (!m) {
      m = loadClassifier(project, id)
      loaded.set(id, m)
    }
    return m
  }
  try {
    const models = request.modelIds.map(load)
    const names = new Map(models.map((m) => [m.id, m.name]))
    const write = progressWriter((p) => updateRunProgress(db, runId, p))
    const onProgress = (p: RobustnessProgress) => {
      const fraction = p.completed / Math.max(1, p.total)
      const stage = progressStage(p, names)
      const elapsed = (performance.now() - started) / 1000
      hooks.onProgress?.({
        fraction,
        stage,
        ...(fraction > 0.05 ? { etaSeconds: (elapsed * (1 - fraction)) / fraction } : {})
      })
      write(fraction, stage)
    }
    const ensemble = request.ensembleIds?.map(load)
    const evaluation = await runRobustnessEvaluation(
      ds,
      {
        models,
        ...(request.sourceId !== undefined ? { source: load(request.sourceId) } : {}),
        ...(ensemble ? { ensemble } : {}),
        ...(resolved.referenceId !== null ? { reference: load(resolved.referenceId) } : {})
      },
      engineConfig(resolved),
      { onProgress, signal: hooks.signal }
    )
    const seconds = (performance.now() - started) / 1000
    finishRun(db, runId, { status: 'done', results: { evaluation, seconds } })
    hooks.onProgress?.({ fraction: 1, stage: `Evaluation done over ${evaluation.samples} images` })
    return { runId, resolved, evaluation, seconds }
  } catch (err) {
    throw closeFailedRun(db, runId, err, hooks.signal)
  } finally {
    for (const m of loaded.values()) m.dispose()
  }
}

/** "APGD-CE on "cnn orthogonal" at ε = 5 % (7/40)". */
function progressStage(p: RobustnessProgress, names: Map<string, string>): string {
  const at = p.epsilon !== undefined ? ` at ε = ${epsilonText(p.epsilon)}` : ''
  const of = `(${p.completed}/${p.total})`
  switch (p.phase) {
    case 'sampling':
      return 'Drawing the images'
    case 'clean':
      return `Clean accuracy of every model ${of}`
    case 'crafting':
      return `Crafted ${p.threat === 'ensemble' ? 'the ensemble' : 'the transfer'} perturbations${at} ${of}`
    case 'attacking':
      return `${p.threat ? THREAT_LABELS[p.threat] : 'Attack'} on "${names.get(p.modelId ?? '') ?? p.modelId}"${at} done ${of}`
    case 'checks':
      return `Masking checks on "${names.get(p.modelId ?? '') ?? p.modelId}" done ${of}`
  }
}
