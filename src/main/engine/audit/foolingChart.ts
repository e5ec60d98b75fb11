/**
 * The report's fooling-ratio charts (Figure 6.5's transfer curves, Figures 6.6 / 6.7 of a
 * plan): fooling ratio (%) against ε (% of the pixel range) with 95 % interval bars, as inline
 * SVG. Callers choose each curve's colour by its role; curves that share a colour are told
 * apart by their dashes.
 */
import { epsilonPercent } from '../../../contract/words'
import { lineChartSvg, type ChartSeries } from '../render/lineChart'

export interface FoolingCurve {
  label: string
  colour: string
  /** ε and the fooling ratio as fractions; low/high the ratio's 95 % interval, when known. */
  points: { epsilon: number; ratio: number; low?: number; high?: number }[]
}

const DASHES = ['', '6 3', '2 3', '8 3 2 3', '1 2']

export function foolingChartSvg(o: {
  title: string
  description: string
  width: number
  height: number
  curves: FoolingCurve[]
}): string {
  const eps = [...new Set(o.curves.flatMap((c) => c.points.map((p) => p.epsilon)))].sort(
    (a, b) => a - b
  )
  const sameColour = new Map<string, number>()
  const series: ChartSeries[] = o.curves.map((c) => {
    const k = sameColour.get(c.colour) ?? 0
    sameColour.set(c.colour, k + 1)
    return {
      label: c.label,
      colour: c.colour,
      dash: DASHES[k % DASHES.length] || undefined,
      markers: true,
      points: c.points.map((p) => ({
        x: p.epsilon,
        y: p.ratio,
        ...(p.low !== undefined && p.high !== undefined ? { low: p.low, high: p.high } : {})
      }))
    }
  })
  return lineChartSvg({
    title: o.title,
    description: o.description,
    width: o.width,
    height: o.height,
    x: {
      title: 'ε (% of the pixel range)',
      min: 0,
      max: Math.max(1e-9, ...eps),
      ticks: eps.map((e) => ({ value: e, label: epsilonPercent(e).replace(' %', '') }))
    },
    y: {
      title: 'fooling ratio (%)',
      min: 0,
      max: 1,
      grid: true,
      ticks: [0, 20, 40, 60, 80, 100].map((t) => ({ value: t / 100, label: String(t) }))
    },
    series
  })
}
