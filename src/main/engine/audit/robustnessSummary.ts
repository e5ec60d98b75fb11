/**
 * The evaluation in the compact shape the command line's --json and the demo print (issue 14):
 *   {"epsilons":[0.03,0.05],"samples":N,"models":[{"modelId":…,"name":…,"cleanAccuracy":…,
 *     "robustAccuracy":{"0.05":{"transfer":…,"pgd":…,…,"worst":…}},
 *     "ci95":{"0.05":{"worst":[lo,hi],…}},"flags":[{"code":…,"message":…}]}]}
 * Fractions in [0, 1], keyed by ε as written by String(ε). Threats not run are absent.
 */
import type { RobustnessEvaluation, SanityFlag, ThreatId } from './robustnessTypes'

export interface ModelRobustnessSummary {
  modelId: string
  name: string
  cleanAccuracy: number
  cleanCi95: [number, number]
  robustAccuracy: Record<string, Partial<Record<ThreatId | 'worst', number>>>
  ci95: Record<string, Partial<Record<ThreatId | 'worst', [number, number]>>>
  flags: Pick<SanityFlag, 'code' | 'epsilon' | 'message'>[]
}

export interface RobustnessSummary {
  epsilons: number[]
  samples: number
  threats: ThreatId[]
  models: ModelRobustnessSummary[]
}

export function evaluationSummary(evaluation: RobustnessEvaluation): RobustnessSummary {
  return {
    epsilons: evaluation.epsilons,
    samples: evaluation.samples,
    threats: evaluation.threats,
    models: evaluation.models.map((m) => {
      const robustAccuracy: ModelRobustnessSummary['robustAccuracy'] = {}
      const ci95: ModelRobustnessSummary['ci95'] = {}
      for (const e of m.byEpsilon) {
        const key = String(e.epsilon)
        const values: Partial<Record<ThreatId | 'worst', number>> = {}
        const intervals: Partial<Record<ThreatId | 'worst', [number, number]>> = {}
        for (const t of e.threats) {
          values[t.threat] = t.robust.value
          intervals[t.threat] = t.robust.ci95
        }
        values.worst = e.worst.value
        intervals.worst = e.worst.ci95
        robustAccuracy[key] = values
        ci95[key] = intervals
      }
      return {
        modelId: m.id,
        name: m.name,
        cleanAccuracy: m.clean.value,
        cleanCi95: m.clean.ci95,
        robustAccuracy,
        ci95,
        flags: m.flags.map((f) => ({
          code: f.code,
          ...(f.epsilon === undefined ? {} : { epsilon: f.epsilon }),
          message: f.message
        }))
      }
    })
  }
}
