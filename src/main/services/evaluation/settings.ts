/**
 * The robustness evaluation's defaults and what a request resolves to: the engine's
 * configuration, and the record stored beside the request (every setting as it ran), so a run
 * says what it measured and re-runs the same way.
 */
import { attackLabel } from '../../../contract/words'
import type { EvaluationRequest } from '../../../contract/evaluation'
import type { ThreatName } from '../../../contract/names'
import {
  DEFAULT_FLAG_THRESHOLDS,
  THREAT_ORDER,
  type RobustnessConfig
} from '../../engine/audit/robustnessTypes'

/** Table 6.3's ε1 and ε2. */
export const DEFAULT_EVALUATION_EPSILONS = [0.03, 0.05]
/** Images drawn unless a request says otherwise (the thesis' 1000). */
export const DEFAULT_EVALUATION_SAMPLES = 1000
export const DEFAULT_PGD = { steps: 10, restarts: 5 }
/** Croce & Hein 2020: 100 iterations, one run (AutoAttack's standard version). */
export const DEFAULT_APGD = { steps: 100, restarts: 1 }
/**
 * Square's query budget in an evaluation. AutoAttack's standard is 5,000; here Square runs
 * last, only on the images PGD and both APGD losses left unfooled, and on those a robust image
 * spends the whole budget. Measured on the 2-core machine (cnn "ordinary" of the demo,
 * Fashion-MNIST, 1,000 images, ε = 3 %, transfer + PGD + APGD-CE + APGD-DLR + Square, wasm on
 * one thread, so CPU time bounds the wall time): 151 CPU-s with 1,000 queries, 444 CPU-s with
 * 5,000 (Square ran on the 424 survivors and fooled none of them either way). Issue 14 asks for
 * under 5 minutes at 1,000 images and one ε, so the default is 1,000 queries. Square's job here
 * is the masking check (a gradient-free attack beating the gradient ones by more than a few
 * points), which it does within 1,000 queries on a model whose gradients are masked. The
 * budget is recorded with every run and shown beside Square's figure; `square.queries`
 * (`--square-queries 5000`) runs AutoAttack's.
 */
export const DEFAULT_SQUARE = { queries: 1000, pInit: 0.8 }
export const DEFAULT_TRANSFER_ATTACK = 'pgd'

/** Every setting of an evaluation with its default filled in, as stored with the run. */
export interface ResolvedEvaluation {
  epsilons: number[]
  sampleCount: number
  seed: number
  batchSize: number
  threats: ThreatName[]
  transferAttack: string
  pgd: { steps: number; restarts: number }
  apgd: { steps: number; restarts: number }
  square: { queries: number; pInit: number }
  checks: boolean
  referenceId: number | null
  thresholds: typeof DEFAULT_FLAG_THRESHOLDS
}

/** The threats a request runs: those it lists, else every one its models allow, in run order. */
export function threatsOf(request: EvaluationRequest): ThreatName[] {
  const listed = request.threats
  return THREAT_ORDER.filter((t) =>
    listed
      ? listed.includes(t)
      : (t !== 'transfer' || request.sourceId !== undefined) &&
        (t !== 'ensemble' || (request.ensembleIds?.length ?? 0) > 0)
  )
}

export function resolveEvaluation(request: EvaluationRequest): ResolvedEvaluation {
  return {
    epsilons: [...(request.epsilons ?? DEFAULT_EVALUATION_EPSILONS)].sort((a, b) => a - b),
    sampleCount: request.sampleCount ?? DEFAULT_EVALUATION_SAMPLES,
    seed: request.seed ?? 0,
    batchSize: request.batchSize ?? 100,
    threats: threatsOf(request),
    transferAttack: request.transferAttack ?? DEFAULT_TRANSFER_ATTACK,
    pgd: { ...DEFAULT_PGD, ...request.pgd },
    apgd: { ...DEFAULT_APGD, ...request.apgd },
    square: { ...DEFAULT_SQUARE, ...request.square },
    checks: request.checks ?? true,
    referenceId: request.referenceId ?? request.sourceId ?? null,
    thresholds: DEFAULT_FLAG_THRESHOLDS
  }
}

/** The engine's configuration for resolved settings. */
export function engineConfig(r: ResolvedEvaluation): RobustnessConfig {
  return {
    epsilons: r.epsilons,
    sampleCount: r.sampleCount,
    seed: r.seed,
    batchSize: r.batchSize,
    threats: r.threats,
    transferAttack: { id: r.transferAttack },
    ensembleAttack: { id: r.transferAttack },
    pgd: r.pgd,
    apgd: r.apgd,
    square: r.square,
    checks: r.checks ? {} : false,
    thresholds: r.thresholds
  }
}

const count = (n: number) => n.toLocaleString('en-US')

/** The attacks' settings in words, for the window, the command line and the report. */
export function settingsWords(r: ResolvedEvaluation): string[] {
  const has = (t: ThreatName) => r.threats.includes(t)
  const out: string[] = []
  const crafted = [has('transfer') && 'the source', has('ensemble') && 'the ensemble'].filter(
    Boolean
  )
  if (crafted.length > 0)
    out.push(
      `${has('ensemble') ? (has('transfer') ? 'Transfer and ensemble' : 'Ensemble') : 'Transfer'}: ` +
        `${attackLabel(r.transferAttack)} crafted on ${crafted.join(' and on ')}`
    )
  if (has('pgd'))
    out.push(
      `White-box PGD: ${r.pgd.steps} steps × ${r.pgd.restarts} random restart${r.pgd.restarts === 1 ? '' : 's'}`
    )
  if (has('apgd-ce') || has('apgd-dlr'))
    out.push(
      `APGD: ${r.apgd.steps} iterations × ${r.apgd.restarts} restart${r.apgd.restarts === 1 ? '' : 's'}`
    )
  if (has('square'))
    out.push(
      `Square: ${count(r.square.queries)} queries per image, p_init ${r.square.pInit}` +
        (r.square.queries < 5000 ? ' (AutoAttack uses 5,000)' : '')
    )
  if (r.checks)
    out.push('Masking checks: PGD at ε = 100 % and with 5× the steps, on up to 100 images')
  return out
}
