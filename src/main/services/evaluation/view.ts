/**
 * A stored evaluation as the window, the command line and the report show it: every ratio with
 * its count and interval, each threat labelled with its settings (cascade figures as such), the
 * flags, and the plain-words verdict computed from those numbers (engine/audit/verdict.ts).
 */
import type { EvaluationModelView, EvaluationView, RatioView } from '../../../contract/evaluation'
import type { SanityFlagCode } from '../../../contract/names'
import type { RobustnessEvaluation } from '../../engine/audit/robustnessTypes'
import type { Ratio } from '../../engine/audit/stats'
import { PROTECTION_LEVELS, verdictFor, type VerdictOptions } from '../../engine/audit/verdict'
import { listModels, type ProjectDb, type RunRecord, type StoredModel } from '../../store'
import { trainingOf } from '../modelRoles'
import { projectIdOf } from './run'
import { resolveEvaluation, settingsWords, type ResolvedEvaluation } from './settings'
import { threatLabel } from './words'

const ratioView = (r: Ratio): RatioView => ({
  count: r.count,
  total: r.total,
  value: r.value,
  ci95: r.ci95
})

/** What a model is, for the verdict's subject: orthogonal when trained with λ > 0 against a reference. */
function kindOf(
  m: StoredModel | undefined,
  referenced: Set<number>,
  roles: Set<number>
): EvaluationModelView['kind'] {
  if (m && trainingOf(m).lambda > 0 && m.referenceModelId !== null) return 'orthogonal'
  if (m && (referenced.has(m.id) || roles.has(m.id))) return 'reference'
  return 'ordinary'
}

/**
 * Who each verdict is about: "Orthogonal training (λ = 30)" for an orthogonal model (the claim
 * is about the method), "This model" otherwise; the source is "the reference" when it is the
 * reference the orthogonal model was trained against.
 */
export function verdictOptionsFor(
  evaluation: RobustnessEvaluation,
  modelId: number,
  models: readonly StoredModel[]
): VerdictOptions {
  const m = models.find((x) => x.id === modelId)
  const lambda = m ? trainingOf(m).lambda : 0
  const orthogonal = m !== undefined && lambda > 0 && m.referenceModelId !== null
  const source = evaluation.source
  const sourceId = source ? projectIdOf(source.id) : undefined
  const sourceLabel = source
    ? orthogonal && m.referenceModelId === sourceId
      ? `the reference "${source.name}"`
      : `"${source.name}"`
    : undefined
  return {
    subject: orthogonal ? `Orthogonal training (λ = ${lambda})` : 'This model',
    ...(sourceLabel ? { sourceLabel } : {})
  }
}

/** The stored evaluation of a run (throws when the run holds none). */
export function storedEvaluation(run: RunRecord): {
  evaluation: RobustnessEvaluation
  resolved: ResolvedEvaluation
  seconds: number
} {
  const results = (run.results ?? {}) as { evaluation?: RobustnessEvaluation; seconds?: number }
  if (!results.evaluation) throw new RangeError(`Run ${run.id} holds no evaluation (${run.status})`)
  const config = run.config as {
    request?: Parameters<typeof resolveEvaluation>[0]
    resolved?: ResolvedEvaluation
  }
  const resolved = config.resolved ?? resolveEvaluation(config.request!)
  return { evaluation: results.evaluation, resolved, seconds: results.seconds ?? 0 }
}

/** The view of a finished evaluation run. */
export function evaluationView(project: ProjectDb, run: RunRecord): EvaluationView {
  const { evaluation, resolved, seconds } = storedEvaluation(run)
  const models = listModels(project.db)
  const referenced = new Set(
    models.map((m) => m.referenceModelId).filter((id): id is number => id !== null)
  )
  const source = evaluation.source
  const ensemble = evaluation.ensemble ?? []
  const roles = new Set(
    [source, evaluation.reference].flatMap((m) => (m ? [projectIdOf(m.id)] : []))
  )
  const names = { source: source?.name, ensemble: ensemble.map((m) => m.name) }
  return {
    runId: run.id,
    datasetId: run.datasetId ?? 0,
    samples: evaluation.samples,
    epsilons: evaluation.epsilons,
    threats: evaluation.threats,
    source: source ? { modelId: projectIdOf(source.id), name: source.name } : null,
    ensemble: ensemble.map((m) => ({ modelId: projectIdOf(m.id), name: m.name })),
    reference: evaluation.reference
      ? {
          modelId: projectIdOf(evaluation.reference.id),
          name: evaluation.reference.name,
          clean: ratioView(evaluation.reference.clean)
        }
      : null,
    models: evaluation.models.map((m) => {
      const modelId = projectIdOf(m.id)
      const stored = models.find((x) => x.id === modelId)
      return {
        modelId,
        name: m.name,
        kind: kindOf(stored, referenced, roles),
        lambda: stored ? trainingOf(stored).lambda : 0,
        clean: ratioView(m.clean),
        byEpsilon: m.byEpsilon.map((e) => ({
          epsilon: e.epsilon,
          threats: e.threats.map((t) => ({
            threat: t.threat,
            label: threatLabel(t.threat, resolved, names),
            basis: t.basis,
            ranOn: t.ranOn,
            fooled: t.fooled,
            robust: ratioView(t.robust)
          })),
          worst: ratioView(e.worst)
        })),
        flags: m.flags.map((f) => ({
          code: f.code as SanityFlagCode,
          ...(f.epsilon === undefined ? {} : { epsilon: f.epsilon }),
          message: f.message
        })),
        verdict: verdictFor(evaluation, m.id, verdictOptionsFor(evaluation, modelId, models)).lines
      }
    }),
    settings: settingsWords(resolved),
    levels: { ...PROTECTION_LEVELS },
    seconds
  }
}
