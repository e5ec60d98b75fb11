/**
 * The bench's rows and tables: per (threads, backend, architecture, batch) the samples of both
 * sides, reduced to minima, medians, spreads, wall-clock and CPU-time ratios, and the flag for
 * rows whose sides were disturbed unequally; and, with BENCH_REPEAT, the median ratio over
 * repeats.
 */
import { loadavg } from 'node:os'
import { PATHS, type Path } from './torchReference'
import { median, minOf, spread, spreadsDiffer } from './stats'

export const OOM = 'out of memory (4 GB wasm heap)'

/** Samples (ms) per path. */
export type Samples = Partial<Record<Path, number[]>>

/** Both sides' samples of one row: wall and process CPU time. */
export interface RowSamples {
  ours: Samples
  oursCpu: Samples
  torch: Samples
  torchCpu: Samples
}

export const emptySamples = (): RowSamples => ({ ours: {}, oursCpu: {}, torch: {}, torchCpu: {} })

/** Appends `xs` to `s[p]`. */
export function addSamples(s: Samples, p: Path, xs: number[] | undefined): void {
  if (xs?.length) s[p] = [...(s[p] ?? []), ...xs]
}

/** One row of the table and of the JSON: a thread count, backend, architecture and batch. */
export type Entry = Record<string, unknown> & {
  errors: Partial<Record<Path, string>>
  notes: string[]
  samples: RowSamples
}

/** The 1-, 5- and 15-minute load averages, as printed. */
export const loadText = (): string =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(', ')

const round = (v: number, digits = 1): number | null =>
  Number.isFinite(v) ? Math.round(v * 10 ** digits) / 10 ** digits : null
export const ratioOf = (
  a: number | null | undefined,
  b: number | null | undefined
): number | null =>
  typeof a === 'number' && typeof b === 'number' && Number.isFinite(a) && b > 0
    ? Math.round((a / b) * 100) / 100
    : null

/** Minima, medians, spreads, ratios, flags and throughput; nulls for paths without a time. */
export function finish(row: Entry): void {
  const { ours, oursCpu, torch, torchCpu } = row.samples
  for (const p of PATHS) {
    const a = ours[p] ?? []
    // A fallback child's reference also timed the paths it was not asked about: drop those.
    const b = a.length || row.errors[p] ? (torch[p] ?? []) : []
    row[`${p}_ms`] = round(minOf(a))
    row[`torch_${p}_ms`] = round(minOf(b))
    row[`${p}_median_ms`] = round(median(a))
    row[`torch_${p}_median_ms`] = round(median(b))
    row[`${p}_spread`] = round(spread(a), 3)
    row[`torch_${p}_spread`] = round(spread(b), 3)
    row[`${p}_samples`] = a.length
    row[`torch_${p}_samples`] = b.length
    row[`ratio_${p}`] = ratioOf(
      row[`${p}_ms`] as number | null,
      row[`torch_${p}_ms`] as number | null
    )
    row[`ratio_cpu_${p}`] =
      a.length && b.length ? ratioOf(minOf(oursCpu[p] ?? []), minOf(torchCpu[p] ?? [])) : null
    row[`spreads_differ_${p}`] = a.length > 0 && b.length > 0 && spreadsDiffer(spread(a), spread(b))
  }
  // Attack throughput: images through 10 PGD iterations per second.
  const perSec = (ms: unknown) =>
    typeof ms === 'number' && ms > 0
      ? Math.round(((row.batch as number) / ms) * 1000 * 10) / 10
      : null
  row.pgd10_images_per_s = perSec(row.pgd10_ms)
  row.torch_pgd10_images_per_s = perSec(row.torch_pgd10_ms)
  row.note = row.notes.length ? row.notes.join('; ') : undefined
}

const threadsText = (e: Entry): string =>
  e.threadsActual !== null && e.threadsActual !== e.threads
    ? `${e.threads}→${e.threadsActual}`
    : `${e.threads}`
const rowName = (e: Entry): string => `${e.threads}t ${e.backend} ${e.arch} batch ${e.batch}`
const pct = (v: unknown): string => (typeof v === 'number' ? `${Math.round(v * 100)}%` : '-')

/** The ratio table of one comparison, its flags and notes. */
export function printTable(rows: Entry[]): void {
  console.log(
    "\nratio project / PyTorch at the same thread count (minimum over all samples; * = the two sides' spreads differ by more than 2×);" +
      '\nCPU-time ratios (process CPU per step, minimum); PGD-10 throughput in images/s:'
  )
  console.log(
    'threads  backend     arch       batch   ortho   plain   pgd10 | cpu: ortho plain pgd10 | pgd10 img/s (torch)'
  )
  for (const e of rows) {
    const r = (p: Path) => {
      const v = e[`ratio_${p}`] as number | null
      const flag = e[`spreads_differ_${p}`] ? '*' : ' '
      return (
        e.errors[p] === OOM
          ? 'OOM '
          : e.errors[p]
            ? 'failed '
            : v === null
              ? '- '
              : v.toFixed(2) + flag
      ).padStart(8)
    }
    const c = (p: Path) => {
      const v = e[`ratio_cpu_${p}`] as number | null
      return (v === null ? '-' : v.toFixed(2)).padStart(6)
    }
    const ips = `${e.pgd10_images_per_s ?? '-'} (${e.torch_pgd10_images_per_s ?? '-'})`.padStart(20)
    console.log(
      `${threadsText(e).padEnd(9)}${String(e.backend).padEnd(12)}${String(e.arch).padEnd(9)}${String(e.batch).padStart(7)}` +
        `${r('ortho')}${r('plain')}${r('pgd10')} |     ${c('ortho')}${c('plain')}${c('pgd10')} |${ips}`
    )
  }
  const lines: string[] = []
  for (const e of rows) {
    for (const p of PATHS) {
      const n = e[`${p}_samples`] as number
      const tn = e[`torch_${p}_samples`] as number
      const spreads =
        `${p}: ours ${e[`${p}_ms`] ?? '-'} ms, spread ${pct(e[`${p}_spread`])} (n=${n}); ` +
        `torch ${e[`torch_${p}_ms`] ?? '-'} ms, spread ${pct(e[`torch_${p}_spread`])} (n=${tn})`
      if (e[`spreads_differ_${p}`]) lines.push(`  * ${rowName(e)} ${spreads}`)
      else if ((n > 0 && n < 10) || (tn > 0 && tn < 10))
        lines.push(`  fewer than 10 samples: ${rowName(e)} ${spreads}`)
    }
    if (e.load) lines.push(`  load ${rowName(e)}: ${(e.load as string[]).join(' → ')}`)
  }
  for (const l of lines) console.log(l)
  const notes = rows.filter((e) => e.note)
  if (notes.length) console.log('notes:')
  for (const e of notes) console.log(`  ${rowName(e)}: ${e.note}`)
  const short = rows.filter((e) => e.threadsActual !== null && e.threadsActual !== e.threads)
  for (const e of short)
    console.log(`  ${e.backend} asked for ${e.threads} threads and started with ${e.threadsActual}`)
}

/** Per row and path, the median of the ratios over repeats (BENCH_REPEAT), with the ratios. */
export function medianRatios(repeats: Entry[][]): Record<string, unknown>[] {
  const byKey = new Map<string, Entry[]>()
  for (const rows of repeats) {
    for (const e of rows) {
      const key = `${e.threads}|${e.backend}|${e.arch}|${e.batch}`
      byKey.set(key, [...(byKey.get(key) ?? []), e])
    }
  }
  return [...byKey.values()].map((es) => {
    const first = es[0]!
    const out: Record<string, unknown> = {
      threads: first.threads,
      backend: first.backend,
      arch: first.arch,
      batch: first.batch
    }
    for (const p of PATHS) {
      const rs = es.map((e) => e[`ratio_${p}`]).filter((v): v is number => typeof v === 'number')
      out[`ratio_${p}`] = rs.length ? Math.round(median(rs) * 100) / 100 : null
      out[`ratios_${p}`] = rs
    }
    return out
  })
}

/** The table of median ratios over repeats. */
export function printMedianTable(rows: Record<string, unknown>[], repeats: number): void {
  console.log(
    `\nmedian ratio project / PyTorch over ${repeats} repeats (each repeat's ratio in brackets):`
  )
  for (const r of rows) {
    const cell = (p: Path) =>
      `${p} ${r[`ratio_${p}`] === null ? '-' : (r[`ratio_${p}`] as number).toFixed(2)} [${(r[`ratios_${p}`] as number[]).map((v) => v.toFixed(2)).join(' ')}]`
    console.log(
      `  ${r.threads}t ${r.backend} ${r.arch} batch ${r.batch}: ${PATHS.map(cell).join(', ')}`
    )
  }
}
