import { describe, expect, it } from 'vitest'
import {
  ratio,
  separableLowest,
  separableLowestRatio,
  wilsonInterval,
  Z_95
} from '../../../../src/main/engine/audit/stats'

describe('Wilson interval', () => {
  it('has the closed forms at 0/n and n/n', () => {
    // k = 0: [0, z²/(n + z²)]; k = n: [n/(n + z²), 1]. z² = 3.841459.
    expect(wilsonInterval(0, 10)[0]).toBe(0)
    expect(wilsonInterval(0, 10)[1]).toBeCloseTo(3.841459 / 13.841459, 6) // 0.277533
    expect(wilsonInterval(10, 10)[0]).toBeCloseTo(10 / 13.841459, 6) // 0.722467
    expect(wilsonInterval(10, 10)[1]).toBe(1)
  })

  it('matches hand-computed intervals', () => {
    // 5/10: centre (0.5 + 0.192073)/1.384146 = 0.5, half 1.96·√(0.025 + 0.0096037)/1.384146 = 0.263407.
    const [lo, hi] = wilsonInterval(5, 10)
    expect(lo).toBeCloseTo(0.236593, 6)
    expect(hi).toBeCloseTo(0.763407, 6)
    // 96/100: centre (0.96 + 0.019207)/1.038415 = 0.942983, half 0.041353.
    expect(wilsonInterval(96, 100)[0]).toBeCloseTo(0.901629, 6)
    expect(wilsonInterval(96, 100)[1]).toBeCloseTo(0.984337, 6)
    // 2/100 does not reach below 0, unlike p ± z·√(p(1−p)/n) = [−0.0074, 0.0474].
    expect(wilsonInterval(2, 100)[0]).toBeCloseTo(0.005502, 6)
    expect(wilsonInterval(2, 100)[1]).toBeCloseTo(0.070012, 6)
    expect(Z_95).toBeCloseTo(1.96, 2)
  })

  it('knows nothing without trials and refuses impossible counts', () => {
    expect(wilsonInterval(0, 0)).toEqual([0, 1])
    expect(() => wilsonInterval(3, 2)).toThrow(/successes must be an integer in \[0, 2\]/)
    expect(() => wilsonInterval(1.5, 2)).toThrow(/successes/)
    expect(() => wilsonInterval(0, -1)).toThrow(/trials/)
  })

  it('ratio carries the count, the fraction and the interval', () => {
    expect(ratio(96, 100)).toMatchObject({ count: 96, total: 100, value: 0.96 })
    expect(ratio(0, 0).value).toBe(0)
  })
})

describe('separableLowest: the star of the defense table', () => {
  it('stars the lowest only when its interval clears the runner-up’s', () => {
    // 5 vs 20 of 100: [2.2–11.2] is below [13.3–28.9].
    expect(separableLowest([20, 5, 40], 100)).toBe(1)
    // 5 vs 10 of 100: [2.2–11.2] overlaps [5.5–17.4]: noise, no star, though 5 is lowest.
    expect(separableLowest([10, 5, 40], 100)).toBeNull()
    // The same shares over 1,000 images: 50 [3.8–6.5] vs 100 [8.3–12.0] separate.
    expect(separableLowest([100, 50, 400], 1000)).toBe(1)
  })

  it('gives no star to ties, to a single row or to empty cells', () => {
    expect(separableLowest([0, 0, 50], 100)).toBeNull()
    expect(separableLowest([3], 100)).toBeNull()
    expect(separableLowest([undefined, 0, undefined], 100)).toBeNull()
    expect(separableLowest([undefined, 0, 60], 100)).toBe(1)
    expect(separableLowest([0, 60], 0)).toBeNull()
  })

  it('reads stored ratios back as counts of the images', () => {
    expect(separableLowestRatio([0.2, 0.05, null], 100)).toBe(1)
    expect(separableLowestRatio([0.1, 0.05], 100)).toBeNull()
  })
})
