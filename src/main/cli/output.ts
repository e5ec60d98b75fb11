/** Printing for humans (tables, progress lines on stderr) or for scripts (--json on stdout). */
import type { JobProgress } from '../services/hooks'
import { ratioInterval } from '../services/intervals'

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))]
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd()
  return [
    line(cells[0]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.slice(1).map(line)
  ].join('\n')
}

export function pct(v: number | undefined, digits = 1): string {
  return v === undefined || !Number.isFinite(v) ? '—' : `${(100 * v).toFixed(digits)} %`
}

/**
 * A ratio of `n` images with its 95 % Wilson interval: "86.8 % [85.3, 88.2]". Without a known
 * `n` the ratio alone.
 */
export function pctCi(
  v: number | undefined | null,
  n: number | undefined | null,
  digits = 1
): string {
  if (v === undefined || v === null || !Number.isFinite(v)) return '—'
  const ci = ratioInterval(v, n)
  const p = (x: number) => (100 * x).toFixed(digits)
  return ci ? `${p(v)} % [${p(ci[0])}, ${p(ci[1])}]` : `${p(v)} %`
}

/** A throttled one-line progress reporter on stderr (stdout stays clean for --json). */
export function progressPrinter(quiet: boolean): (p: JobProgress) => void {
  let last = 0
  return (p) => {
    if (quiet) return
    const now = Date.now()
    if (now - last < 2000 && p.fraction < 1) return
    last = now
    const eta =
      p.etaSeconds !== undefined && Number.isFinite(p.etaSeconds)
        ? `, ~${Math.round(p.etaSeconds)} s left`
        : ''
    const m = p.metrics
      ? ' ' +
        Object.entries(p.metrics)
          .map(([k, v]) => `${k}=${Number(v).toFixed(3)}`)
          .join(' ')
      : ''
    process.stderr.write(`[${(100 * p.fraction).toFixed(0).padStart(3)} %] ${p.stage}${eta}${m}\n`)
  }
}

export function log(quiet: boolean, message: string): void {
  if (!quiet) process.stderr.write(message + '\n')
}
