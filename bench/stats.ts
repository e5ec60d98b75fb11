/**
 * The bench's statistics over noisy samples: minimum (the least disturbed estimate), median,
 * relative spread, and the flag for a comparison whose two sides were disturbed unequally.
 */

/** Smallest sample (Infinity for none). */
export const minOf = (xs: number[]): number => xs.reduce((a, b) => Math.min(a, b), Infinity)

/** Median (NaN for none). */
export function median(xs: number[]): number {
  if (!xs.length) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** (median − min) / min: how far a typical sample sits above the best one. */
export function spread(xs: number[]): number {
  const lo = minOf(xs)
  return xs.length && lo > 0 ? (median(xs) - lo) / lo : NaN
}

/**
 * Spreads below this are treated as equal to it when comparing: 1 % against 3 % is quiet
 * against quiet, not a disturbed side.
 */
export const SPREAD_FLOOR = 0.05

/**
 * Whether two sides' spreads differ by more than 2×: one side ran under load the other did
 * not see, so the ratio of their minima is less trustworthy than the rest of the table.
 */
export function spreadsDiffer(a: number, b: number): boolean {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false
  const hi = Math.max(a, b, SPREAD_FLOOR)
  const lo = Math.max(Math.min(a, b), SPREAD_FLOOR)
  return hi / lo > 2
}
