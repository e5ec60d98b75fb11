/**
 * An evaluation as one CSV table: per model, ε and threat the images it ran on, those it fooled
 * and the robust accuracy with its count, total and 95 % interval; the clean accuracy and the
 * worst case per image as their own rows. Ratios in [0, 1].
 */
import type { RobustnessEvaluation } from '../../engine/audit/robustnessTypes'
import type { Ratio } from '../../engine/audit/stats'
import { projectIdOf } from './run'

export const EVALUATION_CSV_HEADERS = [
  'model_id',
  'model',
  'epsilon',
  'threat',
  'basis',
  'ran_on',
  'fooled',
  'robust',
  'images',
  'robust_accuracy',
  'ci95_low',
  'ci95_high'
]

export function evaluationCsvRows(evaluation: RobustnessEvaluation): unknown[][] {
  const rows: unknown[][] = []
  const ratio = (r: Ratio) => [r.count, r.total, r.value, r.ci95[0], r.ci95[1]]
  for (const m of evaluation.models) {
    const id = projectIdOf(m.id)
    rows.push([id, m.name, '', 'clean', '', '', '', ...ratio(m.clean)])
    for (const e of m.byEpsilon) {
      for (const t of e.threats)
        rows.push([id, m.name, e.epsilon, t.threat, t.basis, t.ranOn, t.fooled, ...ratio(t.robust)])
      rows.push([id, m.name, e.epsilon, 'worst', 'per image', '', '', ...ratio(e.worst)])
    }
  }
  return rows
}
