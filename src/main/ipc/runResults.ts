/** Reading a finished run's results back in the contract's shapes. */
import { ContractError } from '../../contract/errors'
import type { AttackSweepResult, DefenseTableResult } from '../../contract/entities'
import { defenseTableNote } from '../services/audits/defenseNote'
import { EVALUATION_CSV_HEADERS, evaluationCsvRows } from '../services/evaluation/csv'
import { storedEvaluation } from '../services/evaluation/view'
import {
  getDatasetSummary,
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
import { defenseStars } from '../services/audits/defenseStars'
import {
  attackLabel,
  defenseColumnCsv,
  defenseColumnLabel,
  defenseRowLabel,
  epsilonPctValue,
  ratioPctValue
} from '../../contract/words'
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

/**
 * A stored defense table in words (rows "JPEG quality 80", columns "PGD, ε = 3 %", also for
 * runs stored before the words existed) with its stars by the separable-lowest rule, recomputed
 * from the stored ratios and image count so that old runs follow the same rule.
 */
export function defenseTableResult(
  run: RunRecord,
  datasetName: string | null = null
): DefenseTableResult {
  const r = resultsOf(run)
  const columns = ((r.columns ?? []) as DefenseTableResult['columns']).map((c) => ({
    ...c,
    label: defenseColumnLabel(c.key, c.label)
  }))
  const models = (r.models ?? []) as DefenseTableResult['models']
  const sampleCount = Number(r.sampleCount ?? 0)
  const rows = defenseRowsWithIntervals(
    ((r.rows ?? []) as DefenseTableResult['rows']).map((row) => ({
      ...row,
      label: defenseRowLabel(row.key, row.label)
    })),
    sampleCount
  )
  const source = models.find((m) => m.role === 'source')?.name
  const best = defenseStars(columns, rows, sampleCount)
  return {
    runId: run.id,
    columns,
    rows,
    sampleCount,
    best,
    datasetName,
    models,
    note: defenseTableNote({ columns, rows, sampleCount }, source)
  }
}

/** The dataset of a run by name, or null. */
export function runDatasetName(project: ProjectDb, run: RunRecord): string | null {
  return run.datasetId !== null && run.datasetId !== undefined
    ? (getDatasetSummary(project.db, run.datasetId)?.name ?? null)
    : null
}

/** CSV of a run's table: sweeps as one row per (attack, model, ε), tables as their grid. */
export function runCsv(run: RunRecord, models: readonly StoredModel[] = []): string {
  const esc = (v: unknown): string => {
    const s = v === null || v === undefined ? '' : String(v)
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }
  const lines: unknown[][] = []
  if (run.kind === 'attack-sweep') {
    // Units in the headers (issue 16): ε and the fooling ratio in %, each ratio with the
    // images it rests on and its 95 % Wilson interval (issue 17), also in %.
    const sweep = attackSweepResult(run)
    lines.push([
      'attack',
      'model',
      'role',
      'kind',
      'epsilon_pct',
      'fooling_pct',
      'fooled',
      'images',
      'fooling_ci95_low_pct',
      'fooling_ci95_high_pct'
    ])
    for (const c of sweep.curves) {
      for (const p of c.points)
        lines.push([
          attackLabel(c.attack),
          c.modelName,
          c.role,
          c.kind,
          epsilonPctValue(p.epsilon),
          ratioPctValue(p.foolingRatio),
          p.fooled,
          p.total ?? sweep.sampleCount,
          ratioPctValue(p.ci95?.[0]),
          ratioPctValue(p.ci95?.[1])
        ])
    }
  } else if (run.kind === 'defense-table') {
    const t = defenseTableResult(run)
    // Ratios in %, headers with their unit, each with its Wilson interval over the table's
    // images; the starred (separable lowest) cell ends in '*'.
    const ciHeader = (c: { key: string }, end: 'low' | 'high'): string =>
      defenseColumnCsv(c.key).replace(/_pct$/, `_ci95_${end}_pct`)
    lines.push([
      'defense',
      ...t.columns.flatMap((c) => [
        defenseColumnCsv(c.key),
        ciHeader(c, 'low'),
        ciHeader(c, 'high')
      ]),
      'images'
    ])
    for (const row of t.rows)
      lines.push([
        row.label,
        ...t.columns.flatMap((c) => {
          const v = ratioPctValue(row.values[c.key])
          const ci = row.ci95?.[c.key]
          return [
            v === '' ? '' : t.best[c.key] === row.key ? `${v}*` : v,
            ratioPctValue(ci?.[0]),
            ratioPctValue(ci?.[1])
          ]
        }),
        t.sampleCount
      ])
  } else if (run.kind === 'robustness-evaluation') {
    lines.push(EVALUATION_CSV_HEADERS)
    lines.push(...evaluationCsvRows(storedEvaluation(run).evaluation))
  } else if (run.kind === 'train') {
    const results = run.results as
      { history?: Record<string, unknown>[]; accuracyImages?: number } | undefined
    const history = results?.history ?? []
    const resolved = (run.config as { resolved?: { valLimit?: number } }).resolved
    const images = results?.accuracyImages ?? resolved?.valLimit ?? null
    lines.push([
      'epoch',
      'train_loss',
      'train_accuracy_pct',
      'val_accuracy_pct',
      'penalty',
      'seconds',
      'learning_rate',
      'val_images',
      'val_accuracy_ci95_low_pct',
      'val_accuracy_ci95_high_pct'
    ])
    const pctOf = (v: unknown): unknown => (typeof v === 'number' ? ratioPctValue(v) : v)
    for (const h of history) {
      const ci = ratioInterval(h.valAccuracy as number | undefined, images)
      lines.push([
        h.epoch,
        h.trainLoss,
        pctOf(h.trainAccuracy),
        pctOf(h.valAccuracy),
        h.penalty,
        h.seconds,
        h.learningRate,
        images,
        ratioPctValue(ci?.[0]),
        ratioPctValue(ci?.[1])
      ])
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
