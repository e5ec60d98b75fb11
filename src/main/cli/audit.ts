/**
 * `ortholens attack | defense | report`: the transfer ε sweep, the defense table and the HTML
 * report from the command line, over the same services as the window (SPEC §2.9).
 */
import { resolve } from 'node:path'
import { DEFAULT_EPSILONS } from '../engine/audit/transfer'
import { listAttacks } from '../engine/attacks'
import type { ProjectDb } from '../store'
import {
  runAttackSweep,
  runDefenseTable,
  type AttackSweepOutcome,
  type DefenseTableOutcome
} from '../services/audits'
import { writeReport } from '../services/report'
import type { JobProgress } from '../services/hooks'
import { optionalInt, requireInt, UsageError } from './args'
import { table } from './output'

type Values = Record<string, string | boolean | undefined>

/** The four attacks of the thesis' Figures 6.5–6.7, the default of both commands. */
export const THESIS_ATTACKS = ['fgsm', 'ifgsm', 'mifgsm', 'pgd']

function idList(v: Values, name: string): number[] {
  const raw = v[name]
  if (typeof raw !== 'string' || raw.trim() === '')
    throw new UsageError(`--${name} is required (comma-separated model ids)`)
  return raw.split(',').map((s) => {
    const n = Number(s.trim())
    if (!Number.isInteger(n)) throw new UsageError(`--${name}: "${s}" is not a model id`)
    return n
  })
}

function attacksOf(v: Values): string[] {
  const raw = v.attacks
  if (raw === undefined) return THESIS_ATTACKS
  const known = listAttacks().map((a) => a.id)
  const list = String(raw)
    .split(',')
    .map((s) => s.trim().toLowerCase())
  for (const a of list)
    if (!known.includes(a))
      throw new UsageError(`--attacks: unknown attack "${a}" (known: ${known.join(', ')})`)
  return list
}

/** --epsilons are given in percent of the dynamic range (0,0.5,1 … 8), as the figures label them. */
export function epsilonsOf(v: Values, fallback: number[] = DEFAULT_EPSILONS): number[] {
  const raw = v.epsilons
  if (raw === undefined) return fallback
  return String(raw)
    .split(',')
    .map((s) => {
      const pct = Number(s.trim())
      if (!Number.isFinite(pct) || pct < 0 || pct > 100)
        throw new UsageError(`--epsilons: "${s}" is not a percentage in [0, 100]`)
      return +(pct / 100).toFixed(6)
    })
}

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

export async function attackCommand(
  project: ProjectDb,
  v: Values,
  progress: (p: JobProgress) => void
): Promise<{ outcome: AttackSweepOutcome; text: string }> {
  const outcome = await runAttackSweep(
    project,
    {
      datasetId: requireInt(v, 'dataset'),
      sourceModelId: requireInt(v, 'source'),
      targetModelIds: v.targets === undefined ? [] : idList(v, 'targets'),
      attacks: attacksOf(v),
      epsilons: epsilonsOf(v),
      ...defined({
        sampleCount: optionalInt(v, 'samples'),
        seed: optionalInt(v, 'seed'),
        galleryCount: optionalInt(v, 'gallery'),
        batchSize: optionalInt(v, 'batch')
      })
    },
    { onProgress: progress }
  )
  const text = `Attack sweep run ${outcome.runId} over ${outcome.sampleCount} samples correct on every model (${outcome.seconds.toFixed(0)} s)\n\n${sweepTables(outcome)}`
  return { outcome, text }
}

export async function defenseCommand(
  project: ProjectDb,
  v: Values,
  progress: (p: JobProgress) => void
): Promise<{ outcome: DefenseTableOutcome; text: string }> {
  const defenses =
    typeof v.defenses === 'string' ? v.defenses.split(',').map((s) => s.trim()) : undefined
  const outcome = await runDefenseTable(
    project,
    {
      datasetId: requireInt(v, 'dataset'),
      sourceModelId: requireInt(v, 'source'),
      ordinaryModelId: requireInt(v, 'ordinary'),
      orthogonalModelId: requireInt(v, 'orthogonal'),
      attacks: attacksOf(v),
      epsilons: epsilonsOf(v, [0.03, 0.05]),
      ...defined({
        sampleCount: optionalInt(v, 'samples'),
        seed: optionalInt(v, 'seed'),
        batchSize: optionalInt(v, 'batch'),
        defenses
      })
    },
    { onProgress: progress }
  )
  const text = `Defense table run ${outcome.runId} over ${outcome.sampleCount} samples (fooling ratio %, * = best per column; ${outcome.seconds.toFixed(0)} s)\n\n${defenseText(outcome)}`
  return { outcome, text }
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

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as Partial<T>
}
