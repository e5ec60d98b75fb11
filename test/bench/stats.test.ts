import { describe, expect, it } from 'vitest'
import { median, minOf, spread, spreadsDiffer, SPREAD_FLOOR } from '../../bench/stats'
import { medianRatios, type Entry } from '../../bench/report'

describe('bench statistics', () => {
  it('takes minima, medians and the relative spread (median − min) / min', () => {
    const xs = [12, 10, 30, 11, 15]
    expect(minOf(xs)).toBe(10)
    expect(median(xs)).toBe(12)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(spread(xs)).toBeCloseTo(0.2, 12)
    expect(minOf([])).toBe(Infinity)
    expect(spread([])).toBeNaN()
  })

  it('flags two sides whose spreads differ by more than 2×, quiet sides counting as the floor', () => {
    expect(spreadsDiffer(0.3, 0.1)).toBe(true)
    expect(spreadsDiffer(0.1, 0.3)).toBe(true)
    expect(spreadsDiffer(0.2, 0.1)).toBe(false)
    // 1 % against 4 %: both below the floor, both quiet.
    expect(spreadsDiffer(0.01, 0.04)).toBe(false)
    expect(spreadsDiffer(0.01, 2 * SPREAD_FLOOR + 0.001)).toBe(true)
    expect(spreadsDiffer(NaN, 0.5)).toBe(false)
  })

  it('reports the median ratio per row and path over repeats', () => {
    const row = (ratio: number | null): Entry => ({
      threads: 2,
      backend: 'wasm',
      arch: 'cnn',
      batch: 64,
      ratio_ortho: ratio,
      ratio_plain: 1,
      ratio_pgd10: null,
      errors: {},
      notes: [],
      samples: { ours: {}, oursCpu: {}, torch: {}, torchCpu: {} }
    })
    const [m] = medianRatios([[row(0.9)], [row(3.1)], [row(1.2)]])
    expect(m).toMatchObject({
      threads: 2,
      backend: 'wasm',
      ratio_ortho: 1.2,
      ratio_plain: 1,
      ratio_pgd10: null
    })
    expect(m!.ratios_ortho).toEqual([0.9, 3.1, 1.2])
  })
})
