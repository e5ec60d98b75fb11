/**
 * The transfer protocol of thesis §6.4 (Figures 6.5–6.7): a SOURCE model crafts the
 * perturbations, which are evaluated on the source itself and on every TARGET. Samples come
 * from `selectCorrectSamples` (correct on all models), so the fooling ratio — the share of
 * samples whose predicted class changes — starts from a prior accuracy of 100%.
 */
import { tf } from '../tf'
import type { Tensor4D } from '../tf'
import type { Classifier } from '../models/types'
import type { ImageDataset } from '../data/types'
import { abortError } from '../attacks/base'
import { checkAttackConfig, getAttack, runAttack } from '../attacks'
import type { AttackConfig, ResolvedAttackConfig } from '../attacks'
import { predict, sampleBatch, selectCorrectSamples, type SampleSelection } from './sampling'

/** The ε sweep of Figures 6.5–6.7 (0 to 8% of the dynamic range). */
export const DEFAULT_EPSILONS = [0, 0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08]

/** An attack to run, with its settings other than ε (which the sweep supplies). */
export interface TransferAttackSpec {
  id: string
  config?: Omit<AttackConfig, 'epsilon'>
}

export interface TransferConfig {
  attacks: TransferAttackSpec[]
  epsilons?: number[]
  /** Samples to draw (default 1000). */
  sampleCount?: number
  seed?: number
  /** Samples per attack batch (default 100) — bounds memory. */
  batchSize?: number
  /** How many of the drawn samples (the first in draw order) keep per-sample details. */
  gallerySamples?: number
}

export interface TransferProgress {
  phase: 'sampling' | 'attacking'
  completed: number
  total: number
}

export interface RunOptions {
  onProgress?: (p: TransferProgress) => void
  signal?: AbortSignal
}

export interface FoolingCount {
  modelId: string
  fooled: number
  total: number
  /** fooled / total, in [0, 1]. */
  ratio: number
}

export interface TransferCell {
  attackId: string
  epsilon: number
  /** Every parameter as used, defaults filled in (what the run records). */
  config: ResolvedAttackConfig
  fooling: FoolingCount[]
}

export interface ModelPrediction {
  modelId: string
  predicted: number
  confidence: number
}

export interface AdversarialPrediction extends ModelPrediction {
  /** Predicted class differs from the clean prediction. */
  fooled: boolean
  /** Still fooled after rounding the adversarial image to 8 bits (as saved to a PNG). */
  fooledRounded: boolean
  predictedRounded: number
}

export interface GallerySample {
  sampleIndex: number
  label: number
  /** [H, W, C] floats in [0, 1]. */
  original: Float32Array
  clean: ModelPrediction[]
  adversarial: {
    attackId: string
    epsilon: number
    image: Float32Array
    predictions: AdversarialPrediction[]
  }[]
}

export interface TransferResult {
  sourceId: string
  targetIds: string[]
  models: { id: string; name: string; role: 'source' | 'target' }[]
  epsilons: number[]
  attackIds: string[]
  selection: SampleSelection
  cells: TransferCell[]
  gallery: GallerySample[]
  imageShape: [number, number, number]
}

function checkTransferConfig(config: TransferConfig): Required<TransferConfig> {
  const epsilons = config.epsilons ?? DEFAULT_EPSILONS
  if (!Array.isArray(config.attacks) || config.attacks.length === 0) {
    throw new Error('Transfer: "attacks" must list at least one attack')
  }
  for (const e of epsilons) {
    if (!(typeof e === 'number' && e >= 0 && e <= 1)) {
      throw new Error(
        `Transfer: every ε in "epsilons" must be a number in [0, 1], got ${String(e)}`
      )
    }
  }
  // Check every (attack, ε) up front: a bad setting fails before minutes of work.
  for (const a of config.attacks)
    for (const e of epsilons) checkAttackConfig(getAttack(a.id), { ...a.config, epsilon: e })
  const gallerySamples = config.gallerySamples ?? 8
  if (!Number.isInteger(gallerySamples) || gallerySamples < 0) {
    throw new Error(`Transfer: "gallerySamples" must be an integer ≥ 0, got ${gallerySamples}`)
  }
  return {
    attacks: config.attacks,
    epsilons,
    sampleCount: config.sampleCount ?? 1000,
    seed: config.seed ?? 0,
    batchSize: config.batchSize ?? 100,
    gallerySamples
  }
}

function roundTo8Bit(x: Tensor4D): Tensor4D {
  return tf.tidy(() => tf.div(tf.round(tf.mul(x, 255)), 255) as Tensor4D)
}

/**
 * Runs the protocol: draws samples correct on `source` and all `targets`, crafts adversarial
 * examples on `source` for each attack and ε, and counts per model how many predictions change.
 */
export async function runTransfer(
  dataset: ImageDataset,
  source: Classifier,
  targets: Classifier[],
  config: TransferConfig,
  options: RunOptions = {}
): Promise<TransferResult> {
  const cfg = checkTransferConfig(config)
  const { onProgress, signal } = options
  const models = [source, ...targets]
  const ids = new Set(models.map((m) => m.id))
  if (ids.size !== models.length)
    throw new Error('Transfer: source and targets need distinct model ids')

  const selection = await selectCorrectSamples(dataset, models, {
    count: cfg.sampleCount,
    seed: cfg.seed,
    batchSize: cfg.batchSize,
    signal,
    onProgress: (found) =>
      onProgress?.({ phase: 'sampling', completed: found, total: cfg.sampleCount })
  })
  const n = selection.indices.length
  const cells: TransferCell[] = cfg.attacks.flatMap((a) =>
    cfg.epsilons.map((epsilon) => ({
      attackId: a.id,
      epsilon,
      config: checkAttackConfig(getAttack(a.id), {
        ...a.config,
        epsilon,
        batchSize: a.config?.batchSize ?? cfg.batchSize
      }),
      fooling: models.map((m) => ({ modelId: m.id, fooled: 0, total: n, ratio: 0 }))
    }))
  )
  const gallery: GallerySample[] = []
  const batches = Math.ceil(n / cfg.batchSize)
  const total = batches * cells.length
  let completed = 0
  const per = dataset.height * dataset.width * dataset.channels

  for (let b = 0; b < batches; b++) {
    const indices = selection.indices.slice(b * cfg.batchSize, (b + 1) * cfg.batchSize)
    const { x, y } = sampleBatch(dataset, indices)
    try {
      const clean = models.map((m) => predict(m, x))
      const galleryHere = Math.max(
        0,
        Math.min(indices.length, cfg.gallerySamples - b * cfg.batchSize)
      )
      const xData = galleryHere > 0 ? x.dataSync() : undefined
      for (let k = 0; k < galleryHere; k++) {
        gallery.push({
          sampleIndex: indices[k]!,
          label: dataset.validation.labels[indices[k]!]!,
          original: Float32Array.from(xData!.subarray(k * per, (k + 1) * per)),
          clean: models.map((m, j) => ({
            modelId: m.id,
            predicted: clean[j]!.classes[k]!,
            confidence: clean[j]!.confidences[k]!
          })),
          adversarial: []
        })
      }
      for (const cell of cells) {
        if (signal?.aborted) throw abortError()
        const adv = await runAttack(cell.attackId, source, x, y, cell.config, { signal })
        try {
          const preds = models.map((m) => predict(m, adv))
          models.forEach((_, j) => {
            for (let k = 0; k < indices.length; k++) {
              if (preds[j]!.classes[k] !== clean[j]!.classes[k]) cell.fooling[j]!.fooled++
            }
          })
          if (galleryHere > 0) {
            const rounded = roundTo8Bit(adv)
            const roundedPreds = models.map((m) => predict(m, rounded))
            rounded.dispose()
            const advData = adv.dataSync()
            for (let k = 0; k < galleryHere; k++) {
              gallery[b * cfg.batchSize + k]!.adversarial.push({
                attackId: cell.attackId,
                epsilon: cell.epsilon,
                image: Float32Array.from(advData.subarray(k * per, (k + 1) * per)),
                predictions: models.map((m, j) => ({
                  modelId: m.id,
                  predicted: preds[j]!.classes[k]!,
                  confidence: preds[j]!.confidences[k]!,
                  fooled: preds[j]!.classes[k] !== clean[j]!.classes[k],
                  predictedRounded: roundedPreds[j]!.classes[k]!,
                  fooledRounded: roundedPreds[j]!.classes[k] !== clean[j]!.classes[k]
                }))
              })
            }
          }
        } finally {
          adv.dispose()
        }
        completed++
        onProgress?.({ phase: 'attacking', completed, total })
      }
    } finally {
      x.dispose()
      y.dispose()
    }
  }
  for (const cell of cells) for (const f of cell.fooling) f.ratio = n === 0 ? 0 : f.fooled / n

  return {
    sourceId: source.id,
    targetIds: targets.map((t) => t.id),
    models: models.map((m, j) => ({ id: m.id, name: m.name, role: j === 0 ? 'source' : 'target' })),
    epsilons: cfg.epsilons,
    attackIds: cfg.attacks.map((a) => a.id),
    selection,
    cells,
    gallery,
    imageShape: [dataset.height, dataset.width, dataset.channels]
  }
}

/** The fooling ratio of one (attack, ε, model) in a result; throws if it was not run. */
export function foolingRatio(
  result: TransferResult,
  attackId: string,
  epsilon: number,
  modelId: string
): number {
  const cell = result.cells.find((c) => c.attackId === attackId && c.epsilon === epsilon)
  const f = cell?.fooling.find((x) => x.modelId === modelId)
  if (!f)
    throw new Error(`No fooling ratio for attack "${attackId}", ε = ${epsilon}, model "${modelId}"`)
  return f.ratio
}
