/**
 * How the command line prints the audits: the transfer ε sweep as one table per attack, the
 * defense table as Table 6.3, and writes the HTML report (SPEC §2.9).
 */
import { resolve } from 'node:path'
import type { ProjectDb } from '../store'
import type { AttackSweepOutcome } from '../services/audits/sweep'
import type { DefenseTableOutcome } from '../services/audits/defenseTable'
import { writeReport } from '../services/report'
import type { Values } from './args'
import { table } from './output'

const pct1 = (r: number | undefined) => (r === undefined ? '—' : (100 * r).toFixed(1))
const epsPct = (e: number) => `${+(e * 100).toFixed(2)}`

/** One compact table per attack: rows ε (%), columns each model's fooling ratio (%). */
export function sweepTables(
  r: Pick<AttackSweepOutcome, 'attacks' | 'epsilons' | 'curves'>
): string {
  return r.attacks
    .map((attack) => {
      const curves = r.curves.filter((c) => c.attack === attack)
      return (
        `${attack.toUpperCase()}: fooling ratio (%)\n` +
        table(
          ['ε (%)', ...curves.map((c) => `${c.kind} (${c.modelName})`)],
          r.epsilons.map((e) => [
            epsPct(e),
            ...curves.map((c) => pct1(c.points.find((p) => p.epsilon === e)?.foolingRatio))
          ])
        )
      )
    })
    .join('\n\n')
}

/** Table 6.3 as text: fooling ratios in %, best (lowest) per column starred. */
export function defenseText(r: Pick<DefenseTableOutcome, 'columns' | 'rows'>): string {
  return table(
    ['Defense', ...r.columns.map((c) => c.label)],
    r.rows.map((row) => [
      row.label,
      ...r.columns.map((c) => `${pct1(row.values[c.key])}${row.best[c.key] ? '*' : ''}`)
    ])
  )
}

export function sweepText(outcome: AttackSweepOutcome): string {
  return `Attack sweep run ${outcome.runId} over ${outcome.sampleCount} samples correct on every model (${outcome.seconds.toFixed(0)} s)\n\n${sweepTables(outcome)}`
}

export function defenseTableText(outcome: DefenseTableOutcome): string {
  return `Defense table run ${outcome.runId} over ${outcome.sampleCount} samples (fooling ratio %, * = best per column; ${outcome.seconds.toFixed(0)} s)\n\n${defenseText(outcome)}`
}

export function reportCommand(
  project: ProjectDb,
  file: string,
  v: Values
): { htmlPath: string; files: string[]; text: string } {
  const out = resolve(
    typeof v.out === 'string' ? v.out : file.replace(/\.[^./\\]+$/, '') + '.report.html'
  )
  const csvDir = typeof v['csv-dir'] === 'string' ? resolve(v['csv-dir']) : undefined
  const written = writeReport(project, out, { ...(csvDir ? { csvDir } : {}) })
  const text = [
    `Report written to ${written.htmlPath}`,
    ...written.files.map((f) => `  ${f}`)
  ].join('\n')
  return { ...written, text }
}
