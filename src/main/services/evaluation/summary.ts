/**
 * The evaluation in the compact JSON shape of issue 14, printed by `ortholens evaluate --json`
 * and by the demo's `"evaluation"`:
 *   {"epsilons":[0.03,0.05],"samples":N,"models":[{"modelId":3,"name":…,"cleanAccuracy":…,
 *     "robustAccuracy":{"0.05":{"transfer":…,"pgd":…,…,"worst":…}},
 *     "ci95":{"0.05":{"worst":[lo,hi],…}},"flags":["accuracy-cost: Clean accuracy …"]}]}
 * Fractions in [0, 1], keyed by ε as String(ε); model ids are the project's. Each flag is one
 * string, its code then its sentence, so a script can split on the first ": ". Beside the
 * issue's keys: the run id, the threats run, and the clean accuracy's interval.
 */
import { evaluationSummary } from '../../engine/audit/robustnessSummary'
import type { RobustnessEvaluation, ThreatId } from '../../engine/audit/robustnessTypes'
import { projectIdOf } from './run'

export interface EvaluationJsonModel {
  modelId: number
  name: string
  cleanAccuracy: number
  cleanCi95: [number, number]
  robustAccuracy: Record<string, Partial<Record<ThreatId | 'worst', number>>>
  ci95: Record<string, Partial<Record<ThreatId | 'worst', [number, number]>>>
  flags: string[]
}

export interface EvaluationJson {
  runId: number
  epsilons: number[]
  samples: number
  threats: ThreatId[]
  models: EvaluationJsonModel[]
}

export function evaluationJson(runId: number, evaluation: RobustnessEvaluation): EvaluationJson {
  const s = evaluationSummary(evaluation)
  return {
    runId,
    epsilons: s.epsilons,
    samples: s.samples,
    threats: s.threats,
    models: s.models.map((m) => ({
      modelId: projectIdOf(m.modelId),
      name: m.name,
      cleanAccuracy: m.cleanAccuracy,
      cleanCi95: m.cleanCi95,
      robustAccuracy: m.robustAccuracy,
      ci95: m.ci95,
      flags: m.flags.map((f) => `${f.code}: ${f.message}`)
    }))
  }
}
