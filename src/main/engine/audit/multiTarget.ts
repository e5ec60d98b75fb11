/**
 * One source against many targets, as an experiment plan evaluates it (thesis Figures 6.6 and
 * 6.7): the transfer protocol of transfer.ts (samples correct on the source and every target,
 * perturbations crafted on the source) with the per-image outcome kept, so that the plan can
 * also give each model attacked on itself (white-box) and the worst case per image over every
 * attack run on it (AutoAttack's rule: an image is robust only if it survives them all).
 *
 * Counts only: the gallery and the per-sample images of transfer.ts are not needed here.
 */
import type { Tensor4D } from '../tf'
import type { Classifier } from '../models/types'
import type { ImageDataset } from '../data/types'
import { abortError } from '../attacks/base'
import { checkAttackConfig, getAttack, runAttack } from '../attacks'
import type { AttackConfig, ResolvedAttackConfig } from '../attacks'
import { predict, sampleBatch, selectCorrectSamples } from './sampling'

export interface MultiTargetConfig {
  attacks: { id: string; config?: Omit<AttackConfig, 'epsilon'> }[]
  epsilons: number[]
  sampleCount: number
  seed: number
  batchSize: number
  /** Attack every target on itself too. */
  whiteBox: boolean
}

/** Images fooled of `total`, for one model at one (attack, ε). */
export interface TargetCount {
  modelId: string
  /** Perturbations crafted on the source. */
  transfer: number
  /** Crafted on the model itself (white-box runs only). */
  whiteBox?: number
}

export interface MultiTargetCell {
  attackId: string
  epsilon: number
  config: ResolvedAttackConfig
  counts: TargetCount[]
}

export interface MultiTargetResult {
  sampleCount: number
  examined: number
  cells: MultiTargetCell[]
  /** Per ε, per model: images fooled by at least one attack run on it (transfer or white-box). */
  worstCase: { epsilon: number; counts: { modelId: string; fooled: number }[] }[]
}

export interface MultiTargetOptions {
  signal?: AbortSignal
  /** completed of total attack batches (sampling counts as the first tenth). */
  onProgress?(fraction: number, stage: string): void
}

/** Which images of a batch a model now predicts differently from its clean prediction. */
function changed(model: Classifier, adv: Tensor4D, clean: Int32Array): boolean[] {
  const { classes } = predict(model, adv)
  return Array.from(clean, (c, k) => classes[k] !== c)
}

/** Runs the protocol for one source and its targets; see the file comment. */
export async function evaluateAgainstTargets(
  dataset: ImageDataset,
  source: Classifier,
  targets: Classifier[],
  config: MultiTargetConfig,
  options: MultiTargetOptions = {}
): Promise<MultiTargetResult> {
  const { signal, onProgress } = options
  const models = [source, ...targets]
  if (new Set(models.map((m) => m.id)).size !== models.length)
    throw new Error('Evaluation: source and targets need distinct model ids')
  for (const a of config.attacks)
    for (const e of config.epsilons) checkAttackConfig(getAttack(a.id), { ...a.config, epsilon: e })
  const selection = await selectCorrectSamples(dataset, models, {
    count: config.sampleCount,
    seed: config.seed,
    batchSize: config.batchSize,
    signal,
    onProgress: (found) =>
      onProgress?.(
        0.1 * (found / config.sampleCount),
        `Drawing images correct on every model: ${found}/${config.sampleCount}`
      )
  })
  const n = selection.indices.length
  const cells: MultiTargetCell[] = config.attacks.flatMap((a) =>
    config.epsilons.map((epsilon) => ({
      attackId: a.id,
      epsilon,
      config: checkAttackConfig(getAttack(a.id), {
        ...a.config,
        epsilon,
        batchSize: a.config?.batchSize ?? config.batchSize
      }),
      counts: models.map((m) => ({
        modelId: m.id,
        transfer: 0,
        ...(config.whiteBox ? { whiteBox: 0 } : {})
      }))
    }))
  )
  // worst[e][j][k]: image k fooled on model j by some attack at ε e.
  const worst = config.epsilons.map(() => models.map(() => new Uint8Array(n)))
  const batches = Math.ceil(n / config.batchSize)
  const total = Math.max(1, batches * cells.length)
  let completed = 0
  for (let b = 0; b < batches; b++) {
    const start = b * config.batchSize
    const indices = selection.indices.slice(start, start + config.batchSize)
    const { x, y } = sampleBatch(dataset, indices)
    try {
      const clean = models.map((m) => predict(m, x).classes)
      for (const cell of cells) {
        if (signal?.aborted) throw abortError()
        const e = config.epsilons.indexOf(cell.epsilon)
        const mark = (j: number, fooled: boolean[]) =>
          fooled.forEach((f, k) => {
            if (f) worst[e]![j]![start + k] = 1
          })
        const adv = await runAttack(cell.attackId, source, x, y, cell.config, { signal })
        try {
          models.forEach((m, j) => {
            const fooled = changed(m, adv, clean[j]!)
            cell.counts[j]!.transfer += fooled.filter(Boolean).length
            mark(j, fooled)
          })
        } finally {
          adv.dispose()
        }
        if (config.whiteBox) {
          // The source's own perturbation is already white-box for it.
          cell.counts[0]!.whiteBox = cell.counts[0]!.transfer
          for (let j = 1; j < models.length; j++) {
            const own = await runAttack(cell.attackId, models[j]!, x, y, cell.config, { signal })
            try {
              const fooled = changed(models[j]!, own, clean[j]!)
              cell.counts[j]!.whiteBox! += fooled.filter(Boolean).length
              mark(j, fooled)
            } finally {
              own.dispose()
            }
          }
        }
        completed++
        onProgress?.(
          0.1 + 0.9 * (completed / total),
          `${getAttack(cell.attackId).name} at ε = ${+(cell.epsilon * 100).toFixed(2)} % (${completed}/${total})`
        )
      }
    } finally {
      x.dispose()
      y.dispose()
    }
  }
  return {
    sampleCount: n,
    examined: selection.examined,
    cells,
    worstCase: config.epsilons.map((epsilon, e) => ({
      epsilon,
      counts: models.map((m, j) => ({
        modelId: m.id,
        fooled: worst[e]![j]!.reduce((s, v) => s + v, 0)
      }))
    }))
  }
}
