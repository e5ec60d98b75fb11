/**
 * Proportions with their uncertainty. Every ratio the evaluation reports (accuracy, robust
 * accuracy, attack success) is k of n images; the 95 % Wilson score interval says how far the
 * true rate may lie from k/n (E. B. Wilson, "Probable Inference, the Law of Succession, and
 * Statistical Inference", JASA 1927). Unlike the normal approximation p̂ ± z·√(p̂(1−p̂)/n), it
 * stays inside [0, 1] and does not collapse to a point at 0/n or n/n, where robustness figures
 * often sit.
 */

/** z for a two-sided 95 % interval: the 97.5 % quantile of the standard normal. */
export const Z_95 = 1.959963984540054

/**
 * The Wilson score interval for `successes` out of `trials`:
 *   (p̂ + z²/2n ± z·√(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n).
 * With no trials nothing is known: [0, 1].
 */
export function wilsonInterval(successes: number, trials: number, z = Z_95): [number, number] {
  if (!Number.isInteger(trials) || trials < 0)
    throw new Error(`Wilson interval: trials must be an integer ≥ 0, got ${trials}`)
  if (!Number.isInteger(successes) || successes < 0 || successes > trials) {
    throw new Error(
      `Wilson interval: successes must be an integer in [0, ${trials}], got ${successes}`
    )
  }
  if (trials === 0) return [0, 1]
  const p = successes / trials
  const z2 = z * z
  const denominator = 1 + z2 / trials
  const centre = (p + z2 / (2 * trials)) / denominator
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denominator
  // The exact ends at 0/n and n/n (rounding would leave 1e-17 outside them).
  return [
    successes === 0 ? 0 : Math.max(0, centre - half),
    successes === trials ? 1 : Math.min(1, centre + half)
  ]
}

/** k of n images, the fraction, and its 95 % Wilson interval: how every ratio is reported. */
export interface Ratio {
  count: number
  total: number
  /** count / total, in [0, 1] (0 when total is 0). */
  value: number
  ci95: [number, number]
}

export function ratio(count: number, total: number): Ratio {
  return {
    count,
    total,
    value: total === 0 ? 0 : count / total,
    ci95: wilsonInterval(count, total)
  }
}

/**
 * Which of several ratios over the same `trials` images is the separable lowest: the index of
 * the smallest count when its 95 % Wilson interval lies wholly below the runner-up's (the
 * second smallest; non-overlap with it means non-overlap with every other row), else null.
 * This is the star of the defense table: with 50 images, 4 % against 6 % is noise and gets no
 * star; with 1,000 images, 2 % against 6 % is not. Ties, a single row and `undefined` entries
 * (a cell with no value) never make a best.
 */
export function separableLowest(counts: (number | undefined)[], trials: number): number | null {
  const present = counts
    .map((k, i) => ({ k, i }))
    .filter((c): c is { k: number; i: number } => c.k !== undefined)
    .sort((a, b) => a.k - b.k)
  if (present.length < 2 || trials <= 0) return null
  const [best, runnerUp] = [present[0]!, present[1]!]
  if (best.k === runnerUp.k) return null
  return wilsonInterval(best.k, trials)[1] < wilsonInterval(runnerUp.k, trials)[0] ? best.i : null
}

/**
 * The same rule for ratios in [0, 1] (a stored table keeps ratios, not counts): each is turned
 * back into its count of `trials` images, round(ratio · trials).
 */
export function separableLowestRatio(
  ratios: (number | null | undefined)[],
  trials: number
): number | null {
  const counts = ratios.map((r) =>
    typeof r === 'number' && Number.isFinite(r)
      ? Math.min(trials, Math.max(0, Math.round(r * trials)))
      : undefined
  )
  return separableLowest(counts, trials)
}
