/**
 * The report's tables as CSV (RFC 4180): every ratio in [0, 1] with the images it rests on and
 * its 95 % Wilson interval. Re-exported by report.ts.
 */
import type { ReportDefenseTable, ReportModel, ReportSimilarity, ReportSweep } from './reportTypes'
import { wilsonInterval } from './stats'
import {
  attackLabel,
  defenseColumnCsv,
  epsilonPctValue,
  ratioPctValue
} from '../../../contract/words'

/** The Wilson 95 % interval of a ratio of `n` images (k = round(ratio·n)); null when unknown. */
export function ratioCi(
  v: number | null | undefined,
  n: number | null | undefined
): [number, number] | null {
  if (v === null || v === undefined || !Number.isFinite(v) || !n || n <= 0) return null
  return wilsonInterval(Math.min(n, Math.max(0, Math.round(v * n))), n)
}

function csvField(v: unknown): string {
  const s =
    v === null || v === undefined
      ? ''
      : typeof v === 'number' && !Number.isFinite(v)
        ? ''
        : String(v)
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** RFC 4180 CSV: a header line, then one line per row; fields quoted when needed. */
export function toCsv(headers: string[], rows: unknown[][]): string {
  return [headers, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n'
}

/** Parses CSV written by `toCsv` (quoted fields, doubled quotes, embedded newlines). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (ch === '"') quoted = false
      else field += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      row.push(field)
      field = ''
    } else if (ch === '\n') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
    } else if (ch !== '\r') field += ch
  }
  if (field !== '' || row.length > 0) {
    row.push(field)
    rows.push(row)
  }
  return rows
}

/** Models table as CSV: accuracy in % with its images and 95 % interval (in %), δ as a cosine. */
export function modelsCsv(models: ReportModel[]): string {
  return toCsv(
    [
      'id',
      'name',
      'architecture',
      'kind',
      'lambda',
      'reference',
      'status',
      'accuracy_pct',
      'delta',
      'accuracy_images',
      'accuracy_ci95_low_pct',
      'accuracy_ci95_high_pct',
      'flags'
    ],
    models.map((m) => {
      const ci = ratioCi(m.accuracy, m.accuracyImages)
      return [
        m.id,
        m.name,
        m.architecture,
        m.kind,
        m.lambda,
        m.referenceId,
        m.status,
        ratioPctValue(m.accuracy),
        m.delta,
        m.accuracyImages ?? null,
        ratioPctValue(ci?.[0]),
        ratioPctValue(ci?.[1]),
        (m.flags ?? []).join(' | ')
      ]
    })
  )
}

/** Similarity (Table 6.1) as CSV. */
export function similarityCsv(rows: ReportSimilarity[]): string {
  return toCsv(
    [
      'model_1',
      'model_2',
      'delta_mean',
      'delta_std',
      'count',
      'accuracy_1_pct',
      'accuracy_2_pct',
      'accuracy_1_ci95_low_pct',
      'accuracy_1_ci95_high_pct',
      'accuracy_2_ci95_low_pct',
      'accuracy_2_ci95_high_pct'
    ],
    rows.map((r) => [
      r.modelA,
      r.modelB,
      r.mean,
      r.std,
      r.count,
      ratioPctValue(r.accuracyA),
      ratioPctValue(r.accuracyB),
      ...(ratioCi(r.accuracyA, r.count) ?? [null, null]).map(ratioPctValue),
      ...(ratioCi(r.accuracyB, r.count) ?? [null, null]).map(ratioPctValue)
    ])
  )
}

/**
 * A sweep as CSV: one row per (attack, model, ε), ε and ratios in % under headers that say so
 * (issue 16), with the images each ratio rests on and its 95 % interval.
 */
export function sweepCsv(sweep: ReportSweep): string {
  const n = sweep.sampleCount
  return toCsv(
    [
      'attack',
      'model_id',
      'model',
      'role',
      'epsilon_pct',
      'fooling_pct',
      'fooled',
      'images',
      'fooling_ci95_low_pct',
      'fooling_ci95_high_pct'
    ],
    sweep.curves.flatMap((c) =>
      c.points.map((p) => {
        const ci = ratioCi(p.foolingRatio, n)
        return [
          attackLabel(c.attack),
          c.modelId,
          c.modelName,
          c.role,
          epsilonPctValue(p.epsilon),
          ratioPctValue(p.foolingRatio),
          Math.round(p.foolingRatio * n),
          n,
          ratioPctValue(ci?.[0]),
          ratioPctValue(ci?.[1])
        ]
      })
    )
  )
}

/**
 * A defense table as CSV: ratios in %, each column's header with its unit ("pgd_eps3pct_
 * fooling_pct") followed by its 95 % interval's ends, then the images.
 */
export function defenseCsv(table: ReportDefenseTable): string {
  const n = table.sampleCount
  const ciHeader = (key: string, end: 'low' | 'high'): string =>
    defenseColumnCsv(key).replace(/_pct$/, `_ci95_${end}_pct`)
  return toCsv(
    [
      'defense',
      ...table.columns.flatMap((c) => [
        defenseColumnCsv(c.key),
        ciHeader(c.key, 'low'),
        ciHeader(c.key, 'high')
      ]),
      'images'
    ],
    table.rows.map((r) => [
      r.label,
      ...table.columns.flatMap((c) => {
        const ci = ratioCi(r.values[c.key], n)
        return [ratioPctValue(r.values[c.key]), ratioPctValue(ci?.[0]), ratioPctValue(ci?.[1])]
      }),
      n
    ])
  )
}
