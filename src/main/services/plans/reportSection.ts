/**
 * The HTML report's experiment-plan sections (Table 6.2, Figures 6.6 and 6.7) for the plans of
 * a project, read from their runs (engine/audit/planReport.ts draws them).
 */
import type { ReportSection } from '../../engine/audit/report'
import { planFiguresHtml, planTableHtml } from '../../engine/audit/planReport'
import { getRun, listModels, listRuns, type ProjectDb } from '../../store'
import { planFigureLines, planTableLines } from './csv'
import { planResult } from './table'
import type { PlanResult } from '../../../contract/plans'

/** The plans to report: those among `runIds`, else every plan that finished. */
export function reportedPlans(project: ProjectDb, runIds?: readonly number[]): PlanResult[] {
  const ids =
    runIds ??
    listRuns(project.db, { kind: 'plan', status: 'done' })
      .map((r) => r.id)
      .reverse()
  const models = listModels(project.db)
  return ids.flatMap((id) => {
    const run = getRun(project.db, id)
    return run && run.kind === 'plan' ? [planResult(run, models)] : []
  })
}

/** Table 6.2 and Figures 6.6 / 6.7 as two report sections; none without a plan. */
export function planSections(plans: readonly PlanResult[]): ReportSection[] {
  if (plans.length === 0) return []
  return [
    {
      id: 'plan-table',
      title: 'Experiment plans: λ and seeds (Table 6.2)',
      html:
        '<p>Each plan trains models against one reference at several λ with repeated seeds. δ: mean cosine of input gradients to the reference (thesis Eq. 6.3).</p>' +
        plans.map(planTableHtml).join('\n')
    },
    {
      id: 'plan-figures',
      title: 'Experiment plans: fooling ratio vs ε per λ (Figures 6.6, 6.7)',
      html:
        '<p>Perturbations crafted on the source (red), evaluated on each λ’s models: orthogonal (green, one dash per λ), ordinary (black), the reference as a target of another source (grey). Points: mean over seeds; bars: 95 % intervals.</p>' +
        (plans.map(planFiguresHtml).join('\n') || '<p>No attack evaluation in these plans.</p>')
    }
  ]
}

/** CSV files of the plans: Table 6.2 and the figures' curves of each. */
export function planCsvFiles(
  plans: readonly PlanResult[],
  toCsv: (headers: string[], rows: unknown[][]) => string
): Record<string, string> {
  const files: Record<string, string> = {}
  for (const p of plans) {
    const [h, ...rows] = planTableLines(p)
    files[`plan-${p.runId}-table.csv`] = toCsv(h as string[], rows)
    const [fh, ...frows] = planFigureLines(p)
    if (frows.length > 0) files[`plan-${p.runId}-figures.csv`] = toCsv(fh as string[], frows)
  }
  return files
}
