/**
 * Figures over repeated trainings (seeds), as the thesis' Table 6.2 reports them: mean ± sample
 * standard deviation, and a 95 % confidence interval for the mean over seeds.
 *
 * The interval over seeds is Student's t on the per-seed values: mean ± t₀.₉₇₅,ₙ₋₁ · s/√n
 * (W. S. Gosset, "The probable error of a mean", Biometrika 1908). It treats each seed's
 * figure (its accuracy, its fooling ratio over its images) as one draw of the training's
 * outcome, so it covers the spread between trainings and, through each figure, the images.
 * For ratios the t-interval is widened to at least the Wilson interval of all the seeds' images
 * pooled, so seeds that happen to agree exactly still show how few images stand behind them.
 * A single seed has no spread to measure: its ratios then fall back to the Wilson interval
 * over images (stats.ts), which covers the images only.
 */
import { wilsonInterval } from './stats'

/**
 * t₀.₉₇₅ for 1 … 30 degrees of freedom (the standard table; checked by numerical integration
 * of the t density in the test's comments).
 */
const T_975 = [
  12.706204736, 4.30265273, 3.182446305, 2.776445105, 2.570581836, 2.446911851, 2.364624252,
  2.306004135, 2.262157163, 2.228138852, 2.20098516, 2.17881283, 2.160368656, 2.144786688,
  2.131449546, 2.119905299, 2.109815578, 2.10092204, 2.093024054, 2.085963447, 2.079613845,
  2.073873068, 2.06865761, 2.063898562, 2.059538553, 2.055529439, 2.051830516, 2.048407142,
  2.045229642, 2.042272456
]

/**
 * The 97.5 % quantile of Student's t with `df` degrees of freedom: the table up to 30, then
 * the Cornish–Fisher expansion z + (z³ + z)/4ν + (5z⁵ + 16z³ + 3z)/96ν² (error < 1e-4 there).
 */
export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1)
    throw new RangeError(`degrees of freedom must be an integer ≥ 1, got ${df}`)
  if (df <= T_975.length) return T_975[df - 1]!
  const z = 1.959963984540054
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df)
}

export interface SeedSummary {
  mean: number
  /** Sample standard deviation (n − 1); null for one value. */
  std: number | null
  n: number
}

/** Mean and sample standard deviation of finite values (NaN mean for none). */
export function summarise(values: readonly number[]): SeedSummary {
  const n = values.length
  if (n === 0) return { mean: NaN, std: null, n: 0 }
  const mean = values.reduce((s, v) => s + v, 0) / n
  if (n === 1) return { mean, std: null, n }
  const ss = values.reduce((s, v) => s + (v - mean) ** 2, 0)
  return { mean, std: Math.sqrt(ss / (n - 1)), n }
}

/**
 * The 95 % t-interval of the mean of `values`, clipped to [lo, hi] (e.g. [0, 1] for ratios);
 * null for fewer than two values.
 */
export function tInterval(
  values: readonly number[],
  clip: [number, number] = [-Infinity, Infinity]
): [number, number] | null {
  const s = summarise(values)
  if (s.n < 2 || s.std === null) return null
  const half = (tQuantile975(s.n - 1) * s.std) / Math.sqrt(s.n)
  return [Math.max(clip[0], s.mean - half), Math.min(clip[1], s.mean + half)]
}

/** A ratio over seeds: each seed's k of n images. */
export interface SeedRatio {
  count: number
  total: number
}

export interface RatioOverSeeds extends SeedSummary {
  ci95: [number, number] | null
  /** How `ci95` was computed. */
  method: 'seeds-t' | 'wilson' | 'none'
  /** The fewest images any seed's ratio rests on. */
  images: number | null
}

/**
 * Mean ± std of the seeds' ratios and the 95 % interval of the mean: over seeds (t, widened to
 * the pooled images' Wilson interval) when there are two or more, else Wilson over the one
 * seed's images.
 */
export function ratioOverSeeds(ratios: readonly SeedRatio[]): RatioOverSeeds {
  const usable = ratios.filter((r) => r.total > 0)
  const values = usable.map((r) => r.count / r.total)
  const s = summarise(values)
  const images = usable.length ? Math.min(...usable.map((r) => r.total)) : null
  if (usable.length >= 2) {
    // Seeds that agree exactly (every one at 0 %, say) give a t-interval of width 0, as if the
    // few images behind them proved the rate: the interval is widened to at least the Wilson
    // interval of all the seeds' images together.
    const t = tInterval(values, [0, 1])!
    const pooled = wilsonInterval(
      usable.reduce((a, r) => a + r.count, 0),
      usable.reduce((a, r) => a + r.total, 0)
    )
    return {
      ...s,
      ci95: [Math.min(t[0], pooled[0]), Math.max(t[1], pooled[1])],
      method: 'seeds-t',
      images
    }
  }
  if (usable.length === 1) {
    const r = usable[0]!
    return { ...s, ci95: wilsonInterval(r.count, r.total), method: 'wilson', images }
  }
  return { ...s, ci95: null, method: 'none', images }
}

/** Mean ± std and the t-interval of plain values (δ, seconds) over seeds. */
export function valueOverSeeds(values: readonly number[]): RatioOverSeeds {
  const s = summarise(values)
  const ci95 = tInterval(values)
  return { ...s, ci95, method: ci95 ? 'seeds-t' : 'none', images: null }
}
