/** Hand-made evaluation results for the flag and verdict tests (no tensors involved). */
import { ratio } from '../../../../src/main/engine/audit/stats'
import { sanityFlags } from '../../../../src/main/engine/audit/sanityFlags'
import {
  DEFAULT_FLAG_THRESHOLDS,
  STANDALONE_THREATS,
  type EpsilonResult,
  type ModelEvaluation,
  type RobustnessEvaluation,
  type SanityChecks,
  type ThreatId,
  type ThreatResult
} from '../../../../src/main/engine/audit/robustnessTypes'

/** A threat result: `robust` of `n` images robust; `fooled` of `ranOn` (defaults: consistent). */
export function threat(
  id: ThreatId,
  robust: number,
  n: number,
  ranOn = n,
  fooled = ranOn - robust
): ThreatResult {
  return {
    threat: id,
    attackId: id === 'transfer' || id === 'ensemble' ? 'pgd' : id,
    config: {
      epsilon: 0.05,
      steps: 10,
      stepSize: 0.0125,
      decay: 0,
      seed: 0,
      diversityProb: 0,
      resizeRate: 1,
      batchSize: 100
    },
    basis: STANDALONE_THREATS.includes(id) ? 'standalone' : 'cascade',
    ranOn,
    fooled,
    robust: ratio(robust, n)
  }
}

export function atEpsilon(
  epsilon: number,
  n: number,
  threats: ThreatResult[],
  worst: number
): EpsilonResult {
  return { epsilon, threats, worst: ratio(worst, n), robustSamples: [], fooledBy: {} }
}

/** A model with flags computed from its numbers (reference optional). */
export function modelResult(
  id: string,
  clean: number,
  n: number,
  byEpsilon: EpsilonResult[],
  checks: SanityChecks = {},
  reference?: { clean: number }
): ModelEvaluation {
  const base = { id, name: id, clean: ratio(clean, n), byEpsilon, checks }
  const flags = sanityFlags(base, {
    reference: reference
      ? { id: 'reference', name: 'reference', clean: ratio(reference.clean, n) }
      : undefined
  })
  return { ...base, flags }
}

export function evaluationOf(models: ModelEvaluation[], n: number): RobustnessEvaluation {
  return {
    epsilons: [...new Set(models.flatMap((m) => m.byEpsilon.map((e) => e.epsilon)))],
    samples: n,
    sampleIndices: [],
    seed: 0,
    threats: ['transfer', 'pgd', 'apgd-ce', 'apgd-dlr', 'square'],
    source: { id: 'reference', name: 'reference' },
    models,
    thresholds: DEFAULT_FLAG_THRESHOLDS,
    seconds: 0
  }
}

/** Healthy masking checks: PGD fools all at ε = 100 % and more steps fool more. */
export function healthyChecks(m = 50): SanityChecks {
  return {
    largeEpsilon: { epsilon: 1, steps: 10, ranOn: m, fooled: m, success: ratio(m, m) },
    iterations: {
      epsilon: 0.05,
      ranOn: m,
      fewer: { steps: 10, fooled: m - 10, success: ratio(m - 10, m) },
      more: { steps: 50, fooled: m - 5, success: ratio(m - 5, m) }
    }
  }
}
