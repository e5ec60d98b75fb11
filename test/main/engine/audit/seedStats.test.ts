/**
 * Intervals over seeds on hand-computed cases: Student's t on the per-seed values, widened to
 * the pooled images' Wilson interval for ratios, and Wilson over images for a single seed.
 */
import { describe, expect, it } from 'vitest'
import {
  ratioOverSeeds,
  summarise,
  tInterval,
  tQuantile975,
  valueOverSeeds
} from '../../../../src/main/engine/audit/seedStats'
import { wilsonInterval, Z_95 } from '../../../../src/main/engine/audit/stats'

describe('t quantiles', () => {
  it('are the table values (checked by integrating the t density: 12.706205, 4.302653, 2.042272)', () => {
    expect(tQuantile975(1)).toBeCloseTo(12.706205, 5)
    expect(tQuantile975(2)).toBeCloseTo(4.302653, 5)
    expect(tQuantile975(4)).toBeCloseTo(2.776445, 5)
    expect(tQuantile975(30)).toBeCloseTo(2.042272, 5)
    // Past the table, Cornish–Fisher: t(0.975, 40) = 2.021075, t(0.975, 120) = 1.979930.
    expect(tQuantile975(40)).toBeCloseTo(2.021075, 4)
    expect(tQuantile975(120)).toBeCloseTo(1.97993, 4)
    expect(() => tQuantile975(0)).toThrow(/degrees of freedom/)
  })
})

describe('values over seeds', () => {
  it('mean ± sample std and the t-interval of three seeds', () => {
    // 0.5, 0.7, 0.6: mean 0.6, s = √((0.01 + 0.01 + 0)/2) = 0.1,
    // half-width t(0.975, 2)·0.1/√3 = 4.302653 · 0.057735 = 0.248414.
    const s = summarise([0.5, 0.7, 0.6])
    expect(s.mean).toBeCloseTo(0.6, 12)
    expect(s.std).toBeCloseTo(0.1, 12)
    const ci = tInterval([0.5, 0.7, 0.6])!
    expect(ci[0]).toBeCloseTo(0.351586, 5)
    expect(ci[1]).toBeCloseTo(0.848414, 5)
    expect(valueOverSeeds([0.5, 0.7, 0.6])).toMatchObject({ n: 3, method: 'seeds-t' })
    // One value: no spread to measure.
    expect(tInterval([0.4])).toBeNull()
    expect(summarise([0.4])).toEqual({ mean: 0.4, std: null, n: 1 })
  })

  it('clips a ratio’s t-interval to [0, 1]', () => {
    const ci = tInterval([0.02, 0.0, 0.04], [0, 1])!
    expect(ci[0]).toBe(0)
    expect(ci[1]).toBeCloseTo(0.02 + (4.302653 * 0.02) / Math.sqrt(3), 5)
  })
})

describe('ratios over seeds', () => {
  it('take the t-interval when it is the wider', () => {
    const r = ratioOverSeeds([
      { count: 50, total: 100 },
      { count: 70, total: 100 },
      { count: 60, total: 100 }
    ])
    expect(r.mean).toBeCloseTo(0.6, 12)
    expect(r.std).toBeCloseTo(0.1, 12)
    expect(r.method).toBe('seeds-t')
    expect(r.ci95![0]).toBeCloseTo(0.351586, 5)
    expect(r.ci95![1]).toBeCloseTo(0.848414, 5)
    expect(r.images).toBe(100)
  })

  it('widen seeds that agree exactly to the pooled images’ Wilson interval', () => {
    // Three seeds at 0 of 100: t gives [0, 0]; the 300 images pooled give [0, z²/(300 + z²)].
    const r = ratioOverSeeds([
      { count: 0, total: 100 },
      { count: 0, total: 100 },
      { count: 0, total: 100 }
    ])
    expect(r.ci95![0]).toBe(0)
    expect(r.ci95![1]).toBeCloseTo((Z_95 * Z_95) / (300 + Z_95 * Z_95), 12)
    expect(r.ci95![1]).toBeCloseTo(0.012643, 5)
  })

  it('fall back to Wilson over the images of a single seed, and say so', () => {
    const r = ratioOverSeeds([{ count: 12, total: 40 }])
    expect(r.method).toBe('wilson')
    expect(r.std).toBeNull()
    expect(r.ci95).toEqual(wilsonInterval(12, 40))
    expect(ratioOverSeeds([])).toMatchObject({ n: 0, ci95: null, method: 'none' })
  })
})
