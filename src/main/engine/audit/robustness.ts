/**
 * The robustness evaluation (SPEC §2.10; Carlini et al. 2019, "On Evaluating Adversarial
 * Robustness", https://arxiv.org/abs/1902.06705; AutoAttack, Croce & Hein 2020,
 * https://arxiv.org/abs/2003.01690). Per model and ε: clean accuracy, robust accuracy under
 * each threat model (robustnessTypes.ts), and the worst case per image.
 *
 * Unlike the transfer protocol (transfer.ts) the images are NOT filtered by correctness: N
 * validation images are drawn once (seeded), the same for every model, and every accuracy is
 * over all N, so robust accuracy ≤ clean accuracy and models are compared on equal terms.
 * Attacks use the true labels; an image is fooled when the prediction differs from its label.
 */
import { LIMITS } from '../../../contract/limits'
import { tf } from '../tf'
import type { Tensor1D, Tensor4D } from '../tf'
import type { Classifier } from '../models/types'
import type { ImageDataset } from '../data/types'
import { abortError } from '../attacks/base'
import { checkAttackConfig, getAttack, runAttack, type ResolvedAttackConfig } from '../attacks'
import { ensembleClassifier } from '../attacks/ensemble'
import { createRng, shuffledIndices } from '../attacks/random'
import { keepFirstSuccess, predictedClasses } from '../attacks/restarts'
import { sampleBatch } from './sampling'
import { ratio } from './stats'
import { worstCase, type SampleRecord } from './worstCase'
import { sanityFlags } from './sanityFlags'
import {
  DEFAULT_FLAG_THRESHOLDS,
  GRADIENT_THREATS,
  STANDALONE_THREATS,
  THREAT_ORDER,
  type EpsilonResult,
  type FlagThresholds,
  type ModelEvaluation,
  type RobustnessConfig,
  type RobustnessEvaluation,
  type RobustnessProgress,
  type SanityChecks,
  type ThreatId,
  type ThreatResult
} from './robustnessTypes'

export interface RobustnessModels {
  /** The models evaluated. */
  models: Classifier[]
  /** Source of the `transfer` threat (e.g. the reference). */
  source?: Classifier
  /** Members of the `ensemble` threat (e.g. reference + ordinary). */
  ensemble?: Classifier[]
  /** Accuracy costs are measured against it (default: the source). */
  reference?: Classifier
}

export interface RobustnessRunOptions {
  onProgress?: (p: RobustnessProgress) => void
  signal?: AbortSignal
}

interface ResolvedConfig {
  epsilons: number[]
  sampleCount: number
  seed: number
  batchSize: number
  threats: ThreatId[]
  /** Per threat and ε, the attack and its checked config. */
  attacks: Map<string, { attackId: string; config: ResolvedAttackConfig }>
  pgdRestarts: number
  checks: { samples: number; iterationFactor: number } | false
  thresholds: FlagThresholds
}

const key = (threat: ThreatId, epsilon: number) => `${threat}@${epsilon}`

/** Checks everything up front, so a bad setting fails before minutes of work. */
function resolveConfig(config: RobustnessConfig, models: RobustnessModels): ResolvedConfig {
  const epsilons = config.epsilons ?? [0.03, 0.05]
  if (!Array.isArray(epsilons) || epsilons.length === 0)
    throw new Error('Evaluation: "epsilons" must list at least one ε')
  for (const e of epsilons) {
    if (!(typeof e === 'number' && e > 0 && e <= 1))
      throw new Error(`Evaluation: every ε must be a number in (0, 1], got ${String(e)}`)
  }
  const sampleCount = config.sampleCount ?? 1000
  const batchSize = config.batchSize ?? 100
  const seed = config.seed ?? 0
  if (!Number.isInteger(sampleCount) || sampleCount < 1)
    throw new Error(`Evaluation: "sampleCount" must be an integer ≥ 1, got ${sampleCount}`)
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`Evaluation: "batchSize" must be an integer ≥ 1, got ${batchSize}`)
  if (models.models.length === 0)
    throw new Error('Evaluation: "models" must list at least one model')
  const ids = models.models.map((m) => m.id)
  if (new Set(ids).size !== ids.length)
    throw new Error('Evaluation: the evaluated models need distinct ids')
  const available = THREAT_ORDER.filter(
    (t) =>
      (t !== 'transfer' || models.source) &&
      (t !== 'ensemble' || (models.ensemble?.length ?? 0) > 0)
  )
  const threats = config.threats ?? available
  for (const t of threats) {
    if (!THREAT_ORDER.includes(t))
      throw new Error(
        `Evaluation: unknown threat "${String(t)}" (known: ${THREAT_ORDER.join(', ')})`
      )
    if (t === 'transfer' && !models.source)
      throw new Error('Evaluation: the "transfer" threat needs a source model')
    if (t === 'ensemble' && !(models.ensemble?.length ?? 0))
      throw new Error('Evaluation: the "ensemble" threat needs at least one ensemble model')
  }
  if (threats.length === 0)
    throw new Error('Evaluation: "threats" must list at least one threat model')
  const ordered = THREAT_ORDER.filter((t) => threats.includes(t))
  const pgdRestarts = config.pgd?.restarts ?? 5
  const { min, max } = LIMITS.restarts
  if (!Number.isInteger(pgdRestarts) || pgdRestarts < min || pgdRestarts > max) {
    throw new Error(
      `Evaluation: "pgd.restarts" must be an integer in [${min}, ${max}], got ${String(pgdRestarts)}`
    )
  }
  const attacks = new Map<string, { attackId: string; config: ResolvedAttackConfig }>()
  for (const epsilon of epsilons) {
    for (const t of ordered) {
      const [attackId, settings] = ((): [string, object] => {
        switch (t) {
          case 'transfer':
            return [config.transferAttack?.id ?? 'pgd', { ...config.transferAttack?.config }]
          case 'ensemble':
            return [config.ensembleAttack?.id ?? 'pgd', { ...config.ensembleAttack?.config }]
          case 'pgd':
            return ['pgd', { steps: config.pgd?.steps, seed }]
          case 'apgd-ce':
          case 'apgd-dlr':
            return [t, { steps: config.apgd?.steps, restarts: config.apgd?.restarts, seed }]
          case 'square':
            return [
              'square',
              { queries: config.square?.queries, pInit: config.square?.pInit, seed }
            ]
        }
      })()
      const checked = checkAttackConfig(getAttack(attackId), { batchSize, ...settings, epsilon })
      attacks.set(key(t, epsilon), {
        attackId,
        config: t === 'pgd' ? { ...checked, restarts: pgdRestarts } : checked
      })
    }
  }
  const checks =
    config.checks === false
      ? false
      : {
          samples: config.checks?.samples ?? 100,
          iterationFactor: config.checks?.iterationFactor ?? 5
        }
  if (checks && (!Number.isInteger(checks.samples) || checks.samples < 1)) {
    throw new Error(`Evaluation: "checks.samples" must be an integer ≥ 1, got ${checks.samples}`)
  }
  if (checks && (!Number.isInteger(checks.iterationFactor) || checks.iterationFactor < 2)) {
    throw new Error(
      `Evaluation: "checks.iterationFactor" must be an integer ≥ 2, got ${checks.iterationFactor}`
    )
  }
  return {
    epsilons: [...epsilons].sort((a, b) => a - b),
    sampleCount,
    seed,
    batchSize,
    threats: ordered,
    attacks,
    pgdRestarts,
    checks,
    thresholds: { ...DEFAULT_FLAG_THRESHOLDS, ...config.thresholds }
  }
}

/** Predicted classes in batches (a forward pass over 1000 images at once would hold every activation). */
function classesOf(model: Classifier, x: Tensor4D, batchSize: number): Int32Array {
  const n = x.shape[0]
  const out = new Int32Array(n)
  for (let begin = 0; begin < n; begin += batchSize) {
    const size = Math.min(batchSize, n - begin)
    const part = tf.slice(x, [begin, 0, 0, 0], [size, -1, -1, -1]) as Tensor4D
    out.set(predictedClasses(model, part), begin)
    part.dispose()
  }
  return out
}

/** Rows `positions` of `x` (a new tensor). */
function rows<T extends tf.Tensor>(x: T, positions: number[]): T {
  return tf.tidy(() => tf.gather(x, tf.tensor1d(positions, 'int32')) as T)
}

/**
 * Runs the evaluation: draws the images, measures clean accuracy, runs the threat models per ε
 * (transfer perturbations are crafted once per ε and shown to every model), applies the
 * worst-case rule, runs the masking checks and raises the flags.
 */
export async function runRobustnessEvaluation(
  dataset: ImageDataset,
  models: RobustnessModels,
  config: RobustnessConfig = {},
  options: RobustnessRunOptions = {}
): Promise<RobustnessEvaluation> {
  const started = performance.now()
  const cfg = resolveConfig(config, models)
  const { signal } = options
  if (signal?.aborted) throw abortError()
  const n = Math.min(cfg.sampleCount, dataset.validation.count)
  const sampleIndices = shuffledIndices(dataset.validation.count, createRng(cfg.seed)).slice(0, n)
  const labels = Int32Array.from(sampleIndices, (i) => dataset.validation.labels[i]!)
  const crafted = cfg.threats.filter((t) => t === 'transfer' || t === 'ensemble').length
  const total =
    1 +
    cfg.epsilons.length * (crafted + models.models.length * cfg.threats.length) +
    (cfg.checks ? models.models.length : 0)
  let completed = 0
  const report = (p: Omit<RobustnessProgress, 'completed' | 'total'>, done = true) => {
    if (done) completed++
    options.onProgress?.({ ...p, completed, total })
  }
  const checkCancel = () => {
    if (signal?.aborted) throw abortError()
  }
  report({ phase: 'sampling' }, false)
  const { x, y } = sampleBatch(dataset, sampleIndices)
  const y32 = tf.cast(y, 'int32') as Tensor1D
  y.dispose()
  const shared = new Map<string, Tensor4D>()
  try {
    const reference = models.reference ?? models.source
    const correctOf = (m: Classifier) => {
      const predicted = classesOf(m, x, cfg.batchSize)
      return Array.from(predicted, (p, i) => p === labels[i])
    }
    const correct = models.models.map(correctOf)
    const referenceCorrect = reference ? correctOf(reference) : undefined
    report({ phase: 'clean' })
    const results: ModelEvaluation[] = models.models.map((m, j) => ({
      id: m.id,
      name: m.name,
      clean: ratio(correct[j]!.filter(Boolean).length, n),
      byEpsilon: [],
      checks: {},
      flags: []
    }))

    for (const epsilon of cfg.epsilons) {
      // Transfer and ensemble perturbations do not depend on the target: craft them once.
      for (const threat of ['transfer', 'ensemble'] as const) {
        if (!cfg.threats.includes(threat)) continue
        checkCancel()
        const crafter =
          threat === 'transfer' ? models.source! : ensembleClassifier(models.ensemble!)
        const { attackId, config: attackConfig } = cfg.attacks.get(key(threat, epsilon))!
        shared.set(threat, await runAttack(attackId, crafter, x, y32, attackConfig, { signal }))
        report({ phase: 'crafting', epsilon, threat })
      }
      for (const [j, model] of models.models.entries()) {
        results[j]!.byEpsilon.push(
          await evaluateAtEpsilon(
            model,
            correct[j]!,
            epsilon,
            x,
            y32,
            labels,
            shared,
            cfg,
            signal,
            (threat) => report({ phase: 'attacking', modelId: model.id, epsilon, threat })
          )
        )
      }
      for (const t of shared.values()) t.dispose()
      shared.clear()
    }

    if (cfg.checks && cfg.threats.some((t) => GRADIENT_THREATS.includes(t))) {
      for (const [j, model] of models.models.entries()) {
        checkCancel()
        const checkSet = correct[j]!.flatMap((c, i) => (c ? [i] : [])).slice(0, cfg.checks.samples)
        results[j]!.checks = await maskingChecks(model, x, y32, labels, checkSet, cfg, signal)
        report({ phase: 'checks', modelId: model.id })
      }
    }
    const referenceResult = reference
      ? {
          id: reference.id,
          name: reference.name,
          clean: ratio(referenceCorrect!.filter(Boolean).length, n)
        }
      : undefined
    for (const r of results)
      r.flags = sanityFlags(r, { reference: referenceResult, thresholds: cfg.thresholds })
    return {
      epsilons: cfg.epsilons,
      samples: n,
      sampleIndices,
      seed: cfg.seed,
      threats: cfg.threats,
      source: models.source ? { id: models.source.id, name: models.source.name } : undefined,
      ensemble: models.ensemble?.map((m) => ({ id: m.id, name: m.name })),
      reference: referenceResult,
      models: results,
      thresholds: cfg.thresholds,
      seconds: (performance.now() - started) / 1000
    }
  } finally {
    for (const t of shared.values()) t.dispose()
    tf.dispose([x, y32])
  }
}

/** One model at one ε: every threat in order, standalone or cascading, then the worst case. */
async function evaluateAtEpsilon(
  model: Classifier,
  correct: boolean[],
  epsilon: number,
  x: Tensor4D,
  y: Tensor1D,
  labels: Int32Array,
  shared: Map<string, Tensor4D>,
  cfg: ResolvedConfig,
  signal: AbortSignal | undefined,
  done: (threat: ThreatId) => void
): Promise<EpsilonResult> {
  const n = correct.length
  const correctPositions = correct.flatMap((c, i) => (c ? [i] : []))
  const records: SampleRecord[] = correct.map((c) => ({ correct: c, attacks: {} }))
  const alive = new Set(correctPositions)
  const threats: ThreatResult[] = []
  const fooledBy: EpsilonResult['fooledBy'] = {}
  for (const threat of cfg.threats) {
    if (signal?.aborted) throw abortError()
    const standalone = STANDALONE_THREATS.includes(threat)
    const runOn = standalone ? correctPositions : [...alive]
    const { attackId, config } = cfg.attacks.get(key(threat, epsilon))!
    const fooled =
      runOn.length === 0
        ? []
        : await runThreat(threat, model, runOn, x, y, labels, shared, attackId, config, cfg, signal)
    const fooledSet = new Set(fooled)
    const ran = new Set(runOn)
    for (const p of correctPositions) {
      records[p]!.attacks[threat] = !ran.has(p)
        ? 'not-run'
        : fooledSet.has(p)
          ? 'fooled'
          : 'survived'
    }
    for (const p of fooled) alive.delete(p)
    fooledBy[threat] = fooled
    threats.push({
      threat,
      attackId,
      config,
      basis: standalone ? 'standalone' : 'cascade',
      ranOn: runOn.length,
      fooled: fooled.length,
      robust: ratio(standalone ? correctPositions.length - fooled.length : alive.size, n)
    })
    done(threat)
  }
  const worst = worstCase(records, cfg.threats)
  const robustSamples = worst.perSample.flatMap((o, i) => (o === 'robust' ? [i] : []))
  return { epsilon, threats, worst: ratio(worst.robust, n), robustSamples, fooledBy }
}

/** Runs one threat on the images at `runOn`; returns the positions it fooled. */
async function runThreat(
  threat: ThreatId,
  model: Classifier,
  runOn: number[],
  x: Tensor4D,
  y: Tensor1D,
  labels: Int32Array,
  shared: Map<string, Tensor4D>,
  attackId: string,
  config: ResolvedAttackConfig,
  cfg: ResolvedConfig,
  signal: AbortSignal | undefined
): Promise<number[]> {
  const fooledAmong = (adv: Tensor4D) => {
    const predicted = classesOf(model, adv, cfg.batchSize)
    return runOn.filter((p, k) => predicted[k] !== labels[p])
  }
  const ready = shared.get(threat)
  if (ready) {
    const adv = rows(ready, runOn)
    try {
      return fooledAmong(adv)
    } finally {
      adv.dispose()
    }
  }
  const xs = rows(x, runOn)
  const ys = rows(y, runOn)
  try {
    if (threat === 'pgd') {
      // Random restarts with per-image success: restart r reruns only the images still robust.
      const outcome = await keepFirstSuccess(model, xs, ys, config.restarts ?? 1, (xr, yr, r) =>
        runAttack(
          'pgd',
          model,
          xr,
          yr,
          { ...config, restarts: undefined, seed: (config.seed + r) % 2 ** 31 },
          { signal }
        )
      )
      outcome.adversarial.dispose()
      return runOn.filter((_, k) => outcome.fooled[k])
    }
    const adv = await runAttack(attackId, model, xs, ys, config, { signal })
    try {
      return fooledAmong(adv)
    } finally {
      adv.dispose()
    }
  } finally {
    tf.dispose([xs, ys])
  }
}

/** The checks behind flags (a) and (c): PGD at ε = 100 %, and with more iterations. */
async function maskingChecks(
  model: Classifier,
  x: Tensor4D,
  y: Tensor1D,
  labels: Int32Array,
  checkSet: number[],
  cfg: ResolvedConfig,
  signal: AbortSignal | undefined
): Promise<SanityChecks> {
  if (!cfg.checks || checkSet.length === 0) return {}
  const xs = rows(x, checkSet)
  const ys = rows(y, checkSet)
  const pgdSteps = cfg.attacks.get(key('pgd', cfg.epsilons[0]!))?.config.steps ?? 10
  const fooledBy = async (epsilon: number, steps: number) => {
    const adv = await runAttack(
      'pgd',
      model,
      xs,
      ys,
      { epsilon, steps, seed: cfg.seed, batchSize: cfg.batchSize },
      { signal }
    )
    const predicted = classesOf(model, adv, cfg.batchSize)
    adv.dispose()
    return checkSet.filter((p, k) => predicted[k] !== labels[p]).length
  }
  try {
    const m = checkSet.length
    const large = await fooledBy(1, pgdSteps)
    const largest = cfg.epsilons[cfg.epsilons.length - 1]!
    const moreSteps = Math.min(1000, pgdSteps * cfg.checks.iterationFactor)
    const fewer = await fooledBy(largest, pgdSteps)
    const more = await fooledBy(largest, moreSteps)
    return {
      largeEpsilon: {
        epsilon: 1,
        steps: pgdSteps,
        ranOn: m,
        fooled: large,
        success: ratio(large, m)
      },
      iterations: {
        epsilon: largest,
        ranOn: m,
        fewer: { steps: pgdSteps, fooled: fewer, success: ratio(fewer, m) },
        more: { steps: moreSteps, fooled: more, success: ratio(more, m) }
      }
    }
  } finally {
    tf.dispose([xs, ys])
  }
}
