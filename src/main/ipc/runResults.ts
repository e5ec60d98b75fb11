/** Reading a finished run's results back in the contract's shapes. */
import { ContractError } from '../../contract/errors'
import type { AttackSweepResult, DefenseTableResult } from '../../contract/entities'
import { defenseTableNote } from '../services/audits/defenseNote'
import { EVALUATION_CSV_HEADERS, evaluationCsvRows } from '../services/evaluation/csv'
import { storedEvaluation } from '../services/evaluation/view'
import {
  getRun,
  RecordNotFoundError,
  type ProjectDb,
  type RunRecord,
  type StoredModel
} from '../store'
import {
  defenseRowsWithIntervals,
  ratioInterval,
  sweepCurvesWithIntervals
} from '../services/intervals'
import { modelNames, withCurrentModelNames } from '../services/lifecycle'
import { planCsvLines } from '../services/plans/csv'

/** A run with its results, its models under their current names (after a rename). */
export function requireRun(project: ProjectDb, runId: number, kind?: string): RunRecord {
  const run = getRun(project.db, runId)
  if (!run) throw new RecordNotFoundError('run', runId)
  if (kind && run.kind !== kind)
    throw new ContractError('not-found', `Run ${runId} is a ${run.kind} run, not ${kind}`)
  return { ...run, results: withCurrentModelNames(run.results, modelNames(project)) }
}

function resultsOf(run: RunRecord): Record<string, unknown> {
  if (run.status === 'running') throw new ContractError('busy', `Run ${run.id} is still running`)
  if (!run.results)
    throw new ContractError('not-found', `Run ${run.id} has no results (${run.status})`)
  return run.results as Record<string, unknown>
}

export function attackSweepResult(run: RunRecord): AttackSweepResult {
  const r = resultsOf(run)
  const sampleCount = Number(r.sampleCount ?? 0)
  return {
    runId: run.id,
    sampleCount,
    curves: sweepCurvesWithIntervals((r.curves ?? []) as AttackSweepResult['curves'], sampleCount)
  }
}

export function defenseTableResult(run: RunRecord): DefenseTableResult {
  const r = resultsOf(run)
  const columns = (r.columns ?? []) as DefenseTableResult['columns']
  const models = (r.models ?? []) as DefenseTableResult['models']
  const sampleCount = Number(r.sampleCount ?? 0)
  const rows = defenseRowsWithIntervals((r.rows ?? []) as DefenseTableResult['rows'], sampleCount)
  const source = models.find((m) => m.role === 'source')?.name
  return {
    runId: run.id,
    columns,
    rows,
    sampleCount,
    models,
    note: defenseTableNote({ columns, rows, sampleCount }, source)
  }
}

/** CSV of a run's table: sweeps as one row per (attack, model, ε), tables as their grid. */
export function runCsv(run: RunRecord, models: readonly StoredModel[] = []): string {
  const esc = (v: unknown): string => {
    const s = v === null || v === undefined ? '' : String(v)
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }
  const lines: unknown[][] = []
  if (run.kind === 'attack-sweep') {
    lines.push([
      'attack',
      'model',
      'role',
      'kind',
      'epsilon',
      'fooling_ratio',
      'fooled',
      'images',
      'ci95_low',
      'ci95_high'
    ])
    for (const c of attackSweepResult(run).curves) {
      for (const p of c.points)
        lines.push([
          c.attack,
          c.modelName,
          c.role,
          c.kind,
          p.epsilon,
          p.foolingRatio,
          p.fooled,
          p.total,
          p.ci95?.[0],
          p.ci95?.[1]
        ])
    }
  } else if (run.kind === 'defense-table') {
    const t = defenseTableResult(run)
    // Each value with its Wilson interval over the table's samples.
    lines.push([
      'defense',
      'images',
      ...t.columns.flatMap((c) => [c.label, `${c.label} ci95_low`, `${c.label} ci95_high`])
    ])
    for (const row of t.rows)
      lines.push([
        row.label,
        t.sampleCount,
        ...t.columns.flatMap((c) => [
          row.values[c.key] ?? '',
          row.ci95?.[c.key]?.[0] ?? '',
          row.ci95?.[c.key]?.[1] ?? ''
        ])
      ])
  } else if (run.kind === 'robustness-evaluation') {
    lines.push(EVALUATION_CSV_HEADERS)
    lines.push(...evaluationCsvRows(storedEvaluation(run).evaluation))
  } else if (run.kind === 'train') {
    const results = run.results as
      | { history?: Record<string, unknown>[]; accuracyImages?: number }
      | undefined
    const history = results?.history ?? []
    const resolved = (run.config as { resolved?: { valLimit?: number } }).resolved
    const images = results?.accuracyImages ?? resolved?.valLimit ?? null
    const keys = ['epoch', 'trainLoss', 'trainAccuracy', 'valAccuracy', 'penalty', 'seconds']
    lines.push([...keys, 'learningRate', 'val_images', 'val_ci95_low', 'val_ci95_high'])
    for (const h of history) {
      const ci = ratioInterval(h.valAccuracy as number | undefined, images)
      const extra = h as { learningRate?: number }
      lines.push([...keys.map((k) => h[k]), extra.learningRate, images, ci?.[0], ci?.[1]])
    }
  } else if (run.kind === 'plan') {
    lines.push(...planCsvLines(run, models))
  } else {
    const r = resultsOf(run)
    lines.push(['key', 'value'])
    for (const [k, v] of Object.entries(r))
      lines.push([k, typeof v === 'object' ? JSON.stringify(v) : v])
  }
  return lines.map((l) => l.map(esc).join(',')).join('\n') + '\n'
}
