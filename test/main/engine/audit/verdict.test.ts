import { describe, expect, it } from 'vitest'
import { verdictFor } from '../../../../src/main/engine/audit/verdict'
import { epsilonText, percent } from '../../../../src/main/engine/audit/wording'
import { ratio } from '../../../../src/main/engine/audit/stats'
import { atEpsilon, evaluationOf, healthyChecks, modelResult, threat } from './evaluationFixtures'

const n = 100
const options = { subject: 'Orthogonal training', sourceLabel: 'the reference' }

/** The case: 90 of 100 right; transfer leaves `transfer` robust, all attacks `worst`. */
function scenario(
  transfer: number,
  worst: number,
  extra: { clean?: number; checks?: ReturnType<typeof healthyChecks>; reference?: number } = {}
) {
  const clean = extra.clean ?? 90
  const e = atEpsilon(
    0.05,
    n,
    [
      threat('transfer', transfer, n, clean),
      threat('pgd', worst, n, clean),
      threat('apgd-ce', worst, n, worst, 0),
      threat('apgd-dlr', worst, n, worst, 0),
      threat('square', worst, n, worst, 0)
    ],
    worst
  )
  const model = modelResult(
    'ortho',
    clean,
    n,
    [e],
    extra.checks ?? healthyChecks(),
    extra.reference === undefined ? undefined : { clean: extra.reference }
  )
  return verdictFor(evaluationOf([model], n), 'ortho', options)
}

describe('plain-words verdict', () => {
  it('says transfer-only protection in words, with every number and interval it rests on', () => {
    const v = scenario(86, 2)
    expect(v.lines[0]).toBe(
      `On clean images it is right on 90 % of 100 (95 % CI ${Math.round(ratio(90, n).ci95[0] * 100)}–${Math.round(ratio(90, n).ci95[1] * 100)} %).`
    )
    const line = v.lines[1]!
    expect(line).toContain(
      'Against perturbations transferred from the reference (ε = 5 %): 86 % of images keep their label (n = 100, 95 % CI'
    )
    expect(line).toContain(
      'Against an attacker who has this model (ε = 5 %, worst case per image over transfer, PGD with restarts, APGD-CE, APGD-DLR and Square): 2 % of images keep their label'
    )
    // 86 of the 90 it gets right survive transfer (96 %): "protects"; 2 of 90 survive everything.
    expect(line).toContain(
      'Orthogonal training protects against transfer from the reference only: an attacker who has the model fools 98 % of the images it classifies correctly at ε = 5 %.'
    )
    expect(v.lines).toHaveLength(2)
  })

  it('changes its words when the numbers change', () => {
    const transferOnly = scenario(86, 2).lines.join(' ')
    const both = scenario(86, 86).lines.join(' ')
    expect(both).not.toContain('only')
    expect(both).toContain(
      'Orthogonal training protects against transfer from the reference and protects against an attacker who has the model as well: 96 % of the images it classifies correctly survive at ε = 5 %'
    )
    const partly = scenario(86, 60).lines.join(' ')
    expect(partly).toContain('partly protects against an attacker who has the model as well: 67 %')
    const none = scenario(20, 2).lines.join(' ')
    expect(none).toContain(
      'Orthogonal training does not protect against transfer from the reference at ε = 5 %: 78 % of the images it classifies correctly are fooled'
    )
    expect(new Set([transferOnly, both, partly, none]).size).toBe(4)
  })

  it('says when the sample is too small to be sure of its word', () => {
    // 9 of 10 correct images survive: 90 % is "protects", but the interval reaches far below.
    const small = verdictFor(
      evaluationOf(
        [modelResult('m', 10, 10, [atEpsilon(0.03, 10, [threat('transfer', 9, 10, 10)], 9)])],
        10
      ),
      'm'
    )
    expect(small.lines[1]).toContain(
      'protects against transfer from "reference" at ε = 3 % (10 correctly classified images are too few to be sure of that)'
    )
    expect(small.lines[1]).toContain('no attack with access to the model was run')
    // 980 of 1000: the whole interval (97–99 %) lies above the 90 % boundary.
    const large = verdictFor(
      evaluationOf(
        [
          modelResult('m', 1000, 1000, [
            atEpsilon(0.03, 1000, [threat('transfer', 980, 1000, 1000)], 980)
          ])
        ],
        1000
      ),
      'm'
    )
    expect(large.lines[1]).not.toContain('too few')
  })

  it('hedges the white-box claim and adds the warning when masking is suspected', () => {
    const checks = healthyChecks()
    checks.largeEpsilon = { epsilon: 1, steps: 10, ranOn: 50, fooled: 20, success: ratio(20, 50) }
    const v = scenario(86, 86, { checks })
    expect(v.lines[1]).toContain(
      'appears to withstand an attacker who has the model (96 % of the images it classifies correctly survive at ε = 5 %), but gradient masking is suspected'
    )
    expect(v.lines[1]).not.toContain('protects against an attacker')
    expect(v.lines[2]).toMatch(/^Warning: At ε = 100 %, white-box PGD fooled only 40 % of 50/)
  })

  it('reports the accuracy cost against the reference', () => {
    const v = scenario(50, 2, { clean: 52, reference: 92 })
    expect(v.lines.at(-1)).toBe(
      'Accuracy cost: Clean accuracy 52 % is 40 points below the reference "reference" (92 %, both on 100 images).'
    )
  })

  it('refuses a model the evaluation does not have', () => {
    expect(() => verdictFor(evaluationOf([], n), 'x')).toThrow(/no model "x"/)
  })
})

describe('wording', () => {
  it('never rounds a rate to 0 % or 100 % that is not exactly that', () => {
    expect(percent(0.96)).toBe('96 %')
    expect(percent(0.999)).toBe('99.9 %')
    expect(percent(0.0004)).toBe('0.04 %')
    expect(percent(1)).toBe('100 %')
    expect(percent(0)).toBe('0 %')
    expect(epsilonText(0.005)).toBe('0.5 %')
    expect(epsilonText(1)).toBe('100 %')
  })
})

describe('verdict on the transfer source itself', () => {
  it('does not call a white-box attack on itself "transfer"', () => {
    const e = atEpsilon(0.05, n, [threat('transfer', 30, n, 90), threat('pgd', 30, n, 90)], 30)
    const reference = modelResult('reference', 90, n, [e], healthyChecks())
    const evaluation = {
      ...evaluationOf([reference], n),
      ensemble: [{ id: 'reference', name: 'reference' }]
    }
    const line = verdictFor(evaluation, 'reference').lines[1]!
    expect(line).toContain(
      'Against perturbations crafted on itself (it is the transfer source, ε = 5 %): 30 %'
    )
    expect(line).not.toContain('against transfer')
    expect(line).toContain(
      'This model does not protect against an attacker who has the model: 33 % of the images it classifies correctly survive at ε = 5 %.'
    )
  })
})
