/** Reading a finished run's results back in the contract's shapes. */
import { ContractError } from '../../contract/errors'
import type { AttackSweepResult, DefenseTableResult } from '../../contract/entities'
import { defenseTableNote } from '../services/audits/defenseNote'
import { EVALUATION_CSV_HEADERS, evaluationCsvRows } from '../services/evaluation/csv'
import { storedEvaluation } from '../services/evaluation/view'
import { getRun, RecordNotFoundError, type ProjectDb, type RunRecord } from '../store'
import { modelNames, withCurrentModelNames } from '../services/lifecycle'

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
  return {
    runId: run.id,
    sampleCount: Number(r.sampleCount ?? 0),
    curves: (r.curves ?? []) as AttackSweepResult['curves']
  }
}

export function defenseTableResult(run: RunRecord): DefenseTableResult {
  const r = resultsOf(run)
  const columns = (r.columns ?? []) as DefenseTableResult['columns']
  const rows = (r.rows ?? []) as DefenseTableResult['rows']
  const models = (r.models ?? []) as DefenseTableResult['models']
  const sampleCount = Number(r.sampleCount ?? 0)
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
export function runCsv(run: RunRecord): string {
  const esc = (v: unknown): string => {
    const s = v === null || v === undefined ? '' : String(v)
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }
  const lines: unknown[][] = []
  if (run.kind === 'attack-sweep') {
    lines.push(['attack', 'model', 'role', 'epsilon', 'fooling_ratio'])
    for (const c of attackSweepResult(run).curves) {
      for (const p of c.points)
        lines.push([c.attack, c.modelName, c.role, p.epsilon, p.foolingRatio])
    }
  } else if (run.kind === 'defense-table') {
    const t = defenseTableResult(run)
    lines.push(['defense', ...t.columns.map((c) => c.label)])
    for (const row of t.rows)
      lines.push([row.label, ...t.columns.map((c) => row.values[c.key] ?? '')])
  } else if (run.kind === 'robustness-evaluation') {
    lines.push(EVALUATION_CSV_HEADERS)
    lines.push(...evaluationCsvRows(storedEvaluation(run).evaluation))
  } else if (run.kind === 'train') {
    const history =
      (run.results as { history?: Record<string, unknown>[] } | undefined)?.history ?? []
    const keys = ['epoch', 'trainLoss', 'trainAccuracy', 'valAccuracy', 'penalty', 'seconds']
    lines.push(keys)
    for (const h of history) lines.push(keys.map((k) => h[k]))
  } else {
    const r = resultsOf(run)
    lines.push(['key', 'value'])
    for (const [k, v] of Object.entries(r))
      lines.push([k, typeof v === 'object' ? JSON.stringify(v) : v])
  }
  return lines.map((l) => l.map(esc).join(',')).join('\n') + '\n'
}
