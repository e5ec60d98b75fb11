/**
 * Number formats shared by the flags and the verdict, chosen so that no rounded figure says
 * more than the count behind it: a rate that is not exactly 0 or 1 never prints as "0 %" or
 * "100 %" (one image fooled out of 1000 is 99.9 %, not 100 %).
 */
import type { Ratio } from './stats'

/** A fraction as a percentage: whole percent, one decimal (or more) near 0 % and 100 %. */
export function percent(value: number): string {
  if (!Number.isFinite(value)) return 'n/a'
  const whole = Math.round(value * 100)
  if ((whole === 0 && value > 0) || (whole === 100 && value < 1)) {
    for (const digits of [1, 2, 3]) {
      const text = (value * 100).toFixed(digits)
      if (Number(text) !== 0 && Number(text) !== 100) return `${text} %`
    }
    return value > 0.5 ? '> 99.9 %' : '< 0.1 %'
  }
  return `${whole} %`
}

/** ε as a percentage of the dynamic range: 0.05 → "5 %", 0.005 → "0.5 %". */
export function epsilonText(epsilon: number): string {
  return `${+(epsilon * 100).toFixed(3)} %`
}

/** A difference of two fractions in percentage points: one decimal below 10, whole above. */
export function points(difference: number): string {
  const p = Math.abs(difference) * 100
  return p < 10 ? p.toFixed(1) : String(Math.round(p))
}

/** "95 % CI 89–93 %" for a ratio. */
export function interval(r: Ratio): string {
  const [lo, hi] = r.ci95
  return `95 % CI ${percent(lo).replace(' %', '')}–${percent(hi)}`
}
