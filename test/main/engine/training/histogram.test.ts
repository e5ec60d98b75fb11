import { describe, expect, it } from 'vitest'
import { histogram, summariseSimilarity } from '../../../../src/main/engine/training/evaluate'

describe('δ histogram and summary', () => {
  it('counts values in equal bins over [-1, 1], the ends closed, NaN left out', () => {
    const h = histogram([-1, -0.96, 0, 0.049, 0.051, 0.99, 1, 1.0000001, -1.0000001, NaN], {
      min: -1,
      max: 1,
      bins: 40
    })
    expect(h.edges).toHaveLength(41)
    expect(h.edges[0]).toBe(-1)
    expect(h.edges[20]).toBe(0)
    expect(h.edges[40]).toBe(1)
    const nonZero = Object.fromEntries(h.counts.flatMap((c, i) => (c > 0 ? [[i, c]] : [])))
    // -1, -0.96 and -1.0000001 in the first bin; 0 and 0.049 in [0, 0.05); 0.051 in the next;
    // 0.99, 1 and 1.0000001 in the last (closed) one.
    expect(nonZero).toEqual({ 0: 3, 20: 2, 21: 1, 39: 3 })
  })

  it('gives the mean, the sample standard deviation and the mean |δ|', () => {
    const s = summariseSimilarity({ deltas: [0.5, -0.5, 1], gradNormA: 2, gradNormB: 3 })
    expect(s.mean).toBeCloseTo(1 / 3, 12)
    // Deviations 1/6, -5/6, 2/3: squares sum to 7/6, over n - 1 = 2.
    expect(s.std).toBeCloseTo(Math.sqrt(7 / 12), 12)
    expect(s.meanAbs).toBeCloseTo(2 / 3, 12)
    expect(s).toMatchObject({ count: 3, gradNormA: 2, gradNormB: 3 })
  })
})
