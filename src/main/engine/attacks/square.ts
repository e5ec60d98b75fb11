/**
 * Square attack, L∞. Andriushchenko, Croce, Flammarion, Hein, "Square Attack: a query-efficient
 * black-box adversarial attack via random search", ECCV 2020, https://arxiv.org/abs/1912.00049
 * (Algorithm 1 and §3.1; details as in the authors' `square_attack_linf`).
 *
 * Score-based: it only reads the model's logits, never a gradient, which makes it the check
 * against gradient masking (a model that hides its gradients does not hide its scores).
 *   start: x̂ = clip(x + vertical stripes of ±ε)   (one sign per channel and column)
 *   each query: pick a square window of side s = round(√(p·H·W)) (1 ≤ s ≤ H − 1) at a random
 *   place, give it a fresh ±ε per channel, and keep the change if the margin loss
 *   z_y − max_{i≠y} z_i falls. An image stops as soon as its margin is ≤ 0 (fooled).
 * p starts at p_init = 0.8 and halves on the paper's fixed schedule (after 10, 50, 200, 500,
 * 1000, 2000, 4000, 6000, 8000 of 10,000 queries), rescaled to the query budget as the authors
 * do. Defaults: 5,000 queries (AutoAttack), p_init = 0.8. The initial query counts against
 * the budget, so no image is ever evaluated more than `queries` times.
 *
 * Windows and signs are drawn per image from its own seeded stream, so an image's attack does
 * not depend on its batch. The perturbation lives in plain arrays: a window is s·s·C writes,
 * while each query is one batched forward pass over the images still correctly classified.
 */
import { LIMITS } from '../../../contract/limits'
import { tf } from '../tf'
import type { Tensor1D, Tensor4D } from '../tf'
import type { Classifier } from '../models/types'
import { commonParams } from './base'
import { marginLoss } from './loss'
import { seedParam } from './params'
import { createRng, deriveSeed, type Rng } from './random'
import type { AttackBatch, LoopAttackDefinition } from './types'

/** The share of pixels a window covers at query `iteration` of `budget` (the paper's schedule). */
export function squareFraction(pInit: number, iteration: number, budget: number): number {
  const it = Math.trunc((iteration / budget) * 10000)
  const halvings: [number, number][] = [
    [10, 0],
    [50, 1],
    [200, 2],
    [500, 3],
    [1000, 4],
    [2000, 5],
    [4000, 6],
    [6000, 7],
    [8000, 8],
    [10000, 9]
  ]
  for (const [upTo, times] of halvings) if (it <= upTo) return pInit / 2 ** times
  return pInit
}

/**
 * Side of the square window for share p of an H × W image: round(√(p·H·W)), in
 * [1, min(H, W) − 1] (the authors' images are square: [1, H − 1]).
 */
export function squareSide(p: number, height: number, width: number): number {
  const largest = Math.max(1, Math.min(height, width) - 1)
  return Math.min(Math.max(Math.round(Math.sqrt(p * height * width)), 1), largest)
}

/** Margins z_y − max_{i≠y} z_i of `model` on `count` images held in `data`. */
function margins(
  model: Classifier,
  data: Float32Array,
  count: number,
  shape: number[],
  labels: Int32Array
): Float32Array {
  const m = tf.tidy(() => {
    const x = tf.tensor4d(data.subarray(0, count * shape[0]! * shape[1]! * shape[2]!), [
      count,
      ...shape
    ] as [number, number, number, number])
    return marginLoss(
      model.predictLogits(x),
      tf.tensor1d(labels.subarray(0, count), 'int32') as Tensor1D
    )
  })
  const out = Float32Array.from(m.dataSync())
  m.dispose()
  return out
}

const sign = (rng: Rng, epsilon: number) => (rng() < 0.5 ? -epsilon : epsilon)
const clip01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v)

/** The attack on one batch; returns the best perturbed images (within ε and [0, 1]). */
export async function squareRun(
  model: Classifier,
  x0: Tensor4D,
  labels: Tensor1D,
  o: {
    epsilon: number
    queries: number
    pInit: number
    seed: number
    firstSampleIndex: number
    iterationDone?: () => Promise<void>
  }
): Promise<Tensor4D> {
  const [n, h, w, c] = x0.shape
  const per = h * w * c
  const clean = Float32Array.from(x0.dataSync())
  const truth = Int32Array.from(labels.dataSync())
  const rngs = Array.from({ length: n }, (_, i) =>
    createRng(deriveSeed(o.seed, o.firstSampleIndex + i))
  )
  // Vertical stripes: one ±ε per (channel, column) of each image.
  const best = new Float32Array(n * per)
  for (let i = 0; i < n; i++) {
    const stripe = Array.from({ length: w * c }, () => sign(rngs[i]!, o.epsilon))
    for (let r = 0; r < h; r++) {
      for (let col = 0; col < w; col++) {
        for (let ch = 0; ch < c; ch++) {
          const k = i * per + (r * w + col) * c + ch
          best[k] = clip01(clean[k]! + stripe[col * c + ch]!)
        }
      }
    }
  }
  const bestMargin = margins(model, best, n, [h, w, c], truth)
  await o.iterationDone?.()
  const candidate = new Float32Array(n * per)
  const candidateLabels = new Int32Array(n)
  const window = { top: new Int32Array(n), left: new Int32Array(n) }
  for (let it = 0; it < o.queries - 1; it++) {
    const active: number[] = []
    for (let i = 0; i < n; i++) if (bestMargin[i]! > 0) active.push(i)
    if (active.length === 0) break
    const s = squareSide(squareFraction(o.pInit, it, o.queries), h, w)
    active.forEach((i, j) => {
      const rng = rngs[i]!
      const row = candidate.subarray(j * per, (j + 1) * per)
      row.set(best.subarray(i * per, (i + 1) * per))
      candidateLabels[j] = truth[i]!
      const top = Math.floor(rng() * (h - s))
      const left = Math.floor(rng() * (w - s))
      window.top[j] = top
      window.left[j] = left
      // Redraw while the new window would leave the image unchanged (the authors' loop); a
      // change always exists for ε > 0, the cap only guards against a broken generator.
      for (let attempt = 0; attempt < 100; attempt++) {
        const deltas = Array.from({ length: c }, () => sign(rng, o.epsilon))
        let changed = false
        for (let r = top; r < top + s; r++) {
          for (let col = left; col < left + s; col++) {
            for (let ch = 0; ch < c; ch++) {
              const k = (r * w + col) * c + ch
              const v = clip01(clean[i * per + k]! + deltas[ch]!)
              if (Math.abs(v - row[k]!) >= 1e-7) changed = true
              row[k] = v
            }
          }
        }
        if (changed) break
      }
    })
    const tried = margins(model, candidate, active.length, [h, w, c], candidateLabels)
    active.forEach((i, j) => {
      if (!(tried[j]! < bestMargin[i]!)) return
      bestMargin[i] = tried[j]!
      best.set(candidate.subarray(j * per, (j + 1) * per), i * per)
    })
    await o.iterationDone?.()
  }
  return tf.tensor4d(best, [n, h, w, c])
}

export const square: LoopAttackDefinition = {
  id: 'square',
  name: 'Square',
  paper: 'https://arxiv.org/abs/1912.00049',
  defaultsFrom:
    'Andriushchenko et al. 2020 / AutoAttack: 5,000 queries, p_init = 0.8, margin loss.',
  params: [
    ...commonParams,
    {
      name: 'queries',
      label: 'Query budget',
      kind: 'integer',
      ...LIMITS.queries,
      default: 5000,
      description:
        'Model evaluations per image at most, the start included (default 5,000, AutoAttack).'
    },
    {
      name: 'pInit',
      label: 'Initial window share p',
      kind: 'number',
      ...LIMITS.pInit,
      minExclusive: true,
      default: 0.8,
      description:
        'Share of the pixels the first windows cover, halved on a fixed schedule (default 0.8, Andriushchenko et al. 2020).'
    },
    seedParam
  ],
  resolve: (c) => {
    const queries = c.queries ?? 5000
    return {
      epsilon: c.epsilon,
      batchSize: c.batchSize ?? 100,
      // No gradient steps: `steps` records the query budget so every run names its cost.
      steps: queries,
      stepSize: c.epsilon,
      decay: 0,
      seed: c.seed ?? 0,
      diversityProb: 0,
      resizeRate: 1,
      queries,
      pInit: c.pInit ?? 0.8
    }
  },
  iterations: (cfg) => cfg.queries ?? 5000,
  runBatch: (batch: AttackBatch) =>
    squareRun(batch.model, batch.x0, batch.labels, {
      epsilon: batch.config.epsilon,
      queries: batch.config.queries ?? 5000,
      pInit: batch.config.pInit ?? 0.8,
      seed: batch.config.seed,
      firstSampleIndex: batch.firstSampleIndex,
      iterationDone: batch.iterationDone
    })
}
