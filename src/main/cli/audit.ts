/**
 * How the command line prints the audits: the transfer ε sweep as one table per attack, the
 * defense table as Table 6.3, and writes the HTML report (SPEC §2.9).
 */
import { attackLabel } from '../../contract/words'
import { resolve } from 'node:path'
import type { ProjectDb } from '../store'
import type { AttackSweepOutcome } from '../services/audits/sweep'
import type { DefenseTableOutcome } from '../services/audits/defenseTable'
import { defenseTableNote } from '../services/audits/defenseNote'
import { writeReport } from '../services/report'
import type { Values } from './args'
import { table } from './output'
import { ratioInterval } from '../services/intervals'

const pct1 = (r: number | undefined) => (r === undefined ? '—' : (100 * r).toFixed(1))
/** A ratio of `n` images in % with its 95 % Wilson interval: "12.0 [8.1, 17.3]". */
function pct1Ci(r: number | undefined | null, n: number | undefined): string {
  if (r === undefined || r === null) return '—'
  const ci = ratioInterval(r, n)
  return ci ? `${pct1(r)} [${pct1(ci[0])}, ${pct1(ci[1])}]` : pct1(r)
}
const epsPct = (e: number) => `${+(e * 100).toFixed(2)}`

/**
 * One compact table per attack: rows ε (%), columns each model's fooling ratio (%); a model
 * with the accuracy-cost flag is marked ⚠ and its flag follows the tables.
 */
export function sweepTables(
  r: Pick<AttackSweepOutcome, 'attacks' | 'epsilons' | 'curves'> &
    Partial<Pick<AttackSweepOutcome, 'models' | 'sampleCount'>>
): string {
  const costOf = (id: number) => r.models?.find((m) => m.id === id)?.accuracyCost ?? null
  const flags = (r.models ?? [])
    .filter((m) => m.accuracyCost)
    .map((m) => `\n⚠ accuracy cost of "${m.name}": ${m.accuracyCost}`)
  return r.attacks
    .map((attack) => {
      const curves = r.curves.filter((c) => c.attack === attack)
      return (
        `${attackLabel(attack)}: fooling ratio (%) [95 % interval over the images, Wilson], ε in % of the pixel range\n` +
        table(
          [
            'ε (%)',
            ...curves.map((c) => `${c.kind} (${c.modelName})${costOf(c.modelId) ? ' ⚠' : ''}`)
          ],
          r.epsilons.map((e) => [
            epsPct(e),
            ...curves.map((c) => {
              const p = c.points.find((q) => q.epsilon === e)
              return pct1Ci(p?.foolingRatio, p?.total ?? r.sampleCount)
            })
          ])
        )
      )
    })
    .join('\n\n')
    .concat(flags.join(''))
}

/** The model a row of Table 6.3 shows: the orthogonal model's row, else the ordinary target's. */
function rowModel(
  models: DefenseTableOutcome['models'] | undefined,
  rowKey: string
): DefenseTableOutcome['models'][number] | undefined {
  return models?.find((m) => m.role === (rowKey === 'orthogonal' ? 'orthogonal' : 'ordinary'))
}

/**
 * Table 6.3 as text: fooling ratios in % with their 95 % Wilson interval, best (lowest) per
 * column starred; a row whose model carries the accuracy-cost flag is marked ⚠; what the
 * table measures (transfer only, the adaptive column's figures) and the flags come first.
 */
export function defenseText(
  r: Pick<DefenseTableOutcome, 'columns' | 'rows'> &
    Partial<Pick<DefenseTableOutcome, 'models' | 'sampleCount'>>
): string {
  const grid = table(
    ['Defense', ...r.columns.map((c) => c.label)],
    r.rows.map((row) => [
      `${row.label}${rowModel(r.models, row.key)?.accuracyCost ? ' ⚠' : ''}`,
      ...r.columns.map(
        (c) => `${pct1Ci(row.values[c.key], r.sampleCount)}${row.best[c.key] ? '*' : ''}`
      )
    ])
  )
  const note = defenseTableNote(
    { columns: r.columns, rows: r.rows, sampleCount: r.sampleCount ?? 0 },
    r.models?.find((m) => m.role === 'source')?.name
  )
  const flags = (r.models ?? [])
    .filter((m) => m.role !== 'source' && m.accuracyCost)
    .map((m) => `⚠ accuracy cost of "${m.name}": ${m.accuracyCost}`)
  return [...note, ...flags, '', grid].join('\n')
}

export function sweepText(outcome: AttackSweepOutcome): string {
  return `Attack sweep run ${outcome.runId} over ${outcome.sampleCount} samples correct on every model (${outcome.seconds.toFixed(0)} s)\n\n${sweepTables(outcome)}`
}

export function defenseTableText(outcome: DefenseTableOutcome): string {
  return `Defense table run ${outcome.runId} over ${outcome.sampleCount} samples (fooling ratio % [95 % Wilson interval]; * = a column's lowest, only where it is clearly lower than every other row given ${outcome.sampleCount} images; ${outcome.seconds.toFixed(0)} s)\n\n${defenseText(outcome)}`
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
