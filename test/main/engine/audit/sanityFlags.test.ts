import { describe, expect, it } from 'vitest'
import { ratio } from '../../../../src/main/engine/audit/stats'
import { sanityFlags } from '../../../../src/main/engine/audit/sanityFlags'
import { atEpsilon, healthyChecks, modelResult, threat } from './evaluationFixtures'

const n = 100

/** An ordinary model: transfer fools some, white-box nearly all, Square nothing more. */
function ordinary(overrides: { pgdRobust?: number; squareFooled?: number } = {}) {
  const pgdRobust = overrides.pgdRobust ?? 5
  const squareFooled = overrides.squareFooled ?? 0
  return atEpsilon(
    0.05,
    n,
    [
      threat('transfer', 60, n, 90),
      threat('pgd', pgdRobust, n, 90),
      threat('apgd-ce', 3, n, 5, 2),
      threat('apgd-dlr', 3, n, 3, 0),
      threat('square', 3 - squareFooled, n, 3 + squareFooled, squareFooled)
    ],
    3 - squareFooled
  )
}

describe('sanity flags', () => {
  it('raise nothing on consistent numbers', () => {
    expect(modelResult('m', 90, n, [ordinary()], healthyChecks(), { clean: 92 }).flags).toEqual([])
  })

  it('(a) white-box PGD short of ~100 % at ε = 100 % → gradient masking suspected', () => {
    const checks = healthyChecks()
    checks.largeEpsilon = { epsilon: 1, steps: 10, ranOn: 50, fooled: 31, success: ratio(31, 50) }
    const [flag] = modelResult('m', 90, n, [ordinary()], checks).flags
    expect(flag).toMatchObject({
      code: 'gradient-masking',
      modelId: 'm',
      epsilon: 1,
      values: { success: 0.62, fooled: 31, ranOn: 50 }
    })
    expect(flag!.message).toContain('62 % of 50')
    expect(flag!.message).toMatch(/gradient masking suspected/)
  })

  it('(b) Square taking more than a few points the gradient attacks missed', () => {
    const result = modelResult('m', 90, n, [ordinary({ squareFooled: 2 })], healthyChecks())
    expect(result.flags).toEqual([]) // 2 points: within the margin of 3
    const flagged = modelResult(
      'm',
      90,
      n,
      [atEpsilon(0.05, n, [threat('pgd', 40, n, 90), threat('square', 34, n, 40, 6)], 34)],
      healthyChecks()
    )
    expect(flagged.flags.map((f) => f.code)).toEqual(['gradient-free-stronger'])
    expect(flagged.flags[0]!.values).toMatchObject({ fooled: 6, samples: 100, points: 0.06 })
    expect(flagged.flags[0]!.message).toContain('6 of 100 images (6.0 points')
    // Square alone (no gradient attack ran) has nothing to be compared with.
    expect(
      modelResult('m', 90, n, [atEpsilon(0.05, n, [threat('square', 34, n, 90, 56)], 34)]).flags
    ).toEqual([])
  })

  it('(c) more iterations fooling fewer images', () => {
    const checks = healthyChecks()
    checks.iterations!.more = { steps: 50, fooled: 30, success: ratio(30, 50) } // 40 with 10 steps
    const [flag] = modelResult('m', 90, n, [ordinary()], checks).flags
    expect(flag).toMatchObject({
      code: 'more-iterations-weaker',
      values: { fewerSteps: 10, moreSteps: 50, fewerSuccess: 0.8, moreSuccess: 0.6 }
    })
  })

  it('(d) white-box weaker than transfer', () => {
    const e = atEpsilon(
      0.05,
      n,
      [threat('transfer', 30, n, 90), threat('ensemble', 31, n, 90), threat('pgd', 70, n, 90)],
      25
    )
    const flags = modelResult('m', 90, n, [e], healthyChecks()).flags
    expect(flags.map((f) => f.code)).toEqual([
      'white-box-weaker-than-transfer',
      'white-box-weaker-than-transfer'
    ])
    expect(flags[0]!.values).toMatchObject({ whiteBoxRobust: 0.7, transferRobust: 0.3 })
    expect(flags[0]!.message).toContain('transferred from the source only 30 %')
    expect(flags[1]!.message).toContain('from the ensemble only 31 %')
  })

  it('accuracy cost: more than 5 points below the reference', () => {
    expect(modelResult('m', 87, n, [ordinary()], healthyChecks(), { clean: 92 }).flags).toEqual([]) // 5 points: not more
    const flags = modelResult('m', 52, n, [ordinary()], healthyChecks(), { clean: 92 }).flags
    expect(flags).toHaveLength(1)
    expect(flags[0]).toMatchObject({
      code: 'accuracy-cost',
      values: { clean: 0.52, referenceClean: 0.92 }
    })
    expect(flags[0]!.values.cost).toBeCloseTo(0.4, 12)
    expect(flags[0]!.message).toBe(
      'Clean accuracy 52 % is 40 points below the reference "reference" (92 %, both on 100 images).'
    )
    // The reference is never flagged against itself.
    const self = {
      id: 'reference',
      name: 'reference',
      clean: ratio(92, n),
      byEpsilon: [],
      checks: {}
    }
    expect(
      sanityFlags(self, { reference: { id: 'reference', name: 'reference', clean: ratio(92, n) } })
    ).toEqual([])
  })

  it('take their margins from the thresholds', () => {
    const base = { id: 'm', name: 'm', clean: ratio(52, n), byEpsilon: [], checks: {} }
    const reference = { id: 'r', name: 'r', clean: ratio(60, n) }
    expect(sanityFlags(base, { reference })).toHaveLength(1) // 8 points > 5
    expect(sanityFlags(base, { reference, thresholds: { accuracyCost: 0.1 } })).toHaveLength(0)
  })
})
