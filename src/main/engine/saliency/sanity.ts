/**
 * Sanity score of a saliency map from its probability-vs-pixels curve (thesis §5.7.4): the
 * most salient pixels are replaced by a baseline first, in growing fractions, and the class
 * probability is recorded. A sane map makes the probability fall fast.
 *
 * The thesis' formula is cut from the excerpt (only "AreaIdeal" and "AreaΨ" and the range
 * [0, 1] survive), so this module defines:
 *
 *   score = clip((AUC_Ψ − AUC_ideal) / (AUC_worst − AUC_ideal), 0, 1)
 *
 * - AUC: trapezoidal area under probability vs fraction of pixels removed, divided by the
 *   fraction span (so a curve constant at p has area p).
 * - Ideal ordering: pixels sorted by their single-pixel (or single-patch) ablation effect,
 *   p(x) − p(x with that pixel replaced), largest first. An exact optimum would need a search
 *   over orderings; the per-pixel effect is the standard first-order stand-in and costs one
 *   forward pass per pixel (per patch on large images).
 * - Worst ordering: the same effects, smallest first. It gives the scale a measured upper end
 *   (random orderings land in between, around the middle), and it is deterministic, unlike a
 *   random reference.
 * Orientation: LOWER IS SANER (0 = as good as the ideal ordering; the thesis: "the low score
 * validates that CAMERAS saliency maps are much more sane"). A map that beats the first-order
 * ideal is clipped to 0. When no ordering changes the probability at all (AUC_worst ≈
 * AUC_ideal) every map is equally good and scores 0.
 */
import { tf } from '../tf'
import type { Tensor, Tensor3D, Tensor4D } from '../tf'
import type { Classifier } from '../models/types'
import { SaliencyError } from './errors'

/**
 * What removed pixels become. 'zero' (default): black, i.e. "no evidence" for the product's
 * dark-background datasets (MNIST/Fashion-MNIST) and what the thesis' curves show; 'mean':
 * the image's per-channel mean, gentler for natural images; or a constant in [0, 1].
 */
export type Baseline = 'zero' | 'mean' | number

export interface SanityOptions {
  /** Class whose probability is tracked; default: the predicted one. */
  classIndex?: number
  /** Fractions of pixels removed, ascending in [0, 1]; default 0, 0.05, …, 1. */
  fractions?: number[]
  baseline?: Baseline
  /** Side of the square patches ablated for the ideal ordering; default ceil(min(H, W) / 32). */
  idealPatch?: number
  /** Images per forward pass. */
  batchSize?: number
}

export interface SanityResult {
  /** In [0, 1], lower is saner. */
  score: number
  classIndex: number
  fractions: number[]
  /** Probability of the class after removing each fraction, most salient first. */
  curve: number[]
  idealCurve: number[]
  worstCurve: number[]
  auc: number
  aucIdeal: number
  aucWorst: number
}

export const DEFAULT_FRACTIONS: readonly number[] = Array.from({ length: 21 }, (_, i) => i / 20)

function asSingleImage(image: Tensor3D | Tensor4D): Tensor4D {
  if (image.rank === 3) return tf.expandDims(image, 0) as Tensor4D
  if (image.shape[0] !== 1) {
    throw new SaliencyError(
      `sanity score takes one image at a time, got a batch of ${image.shape[0]}`
    )
  }
  return tf.clone(image) as Tensor4D
}

function baselineTensor(x: Tensor4D, baseline: Baseline): Tensor {
  if (baseline === 'zero') return tf.scalar(0)
  if (baseline === 'mean') return tf.mean(x, [1, 2], true)
  if (!(baseline >= 0 && baseline <= 1)) {
    throw new SaliencyError(`baseline must be in [0, 1], got ${baseline}`)
  }
  return tf.scalar(baseline)
}

/** Class probabilities for `images` replaced by `baseline` where `masks` (each [H·W]) are 1. */
async function probabilitiesWithMasks(
  model: Classifier,
  x: Tensor4D,
  masks: Float32Array[],
  classIndex: number,
  baseline: Baseline,
  batchSize: number
): Promise<number[]> {
  const [, h, w] = x.shape
  const out: number[] = []
  for (let start = 0; start < masks.length; start += batchSize) {
    const group = masks.slice(start, start + batchSize)
    const flat = new Float32Array(group.length * h * w)
    group.forEach((m, i) => flat.set(m, i * h * w))
    const probs = tf.tidy(() => {
      const mask = tf.tensor4d(flat, [group.length, h, w, 1])
      const base = baselineTensor(x, baseline)
      const imgs = tf.add(tf.mul(x, tf.sub(1, mask)), tf.mul(base, mask)) as Tensor4D
      const p = tf.softmax(model.predictLogits(imgs))
      return tf.squeeze(tf.slice(p, [0, classIndex], [-1, 1]), [1])
    })
    out.push(...(await probs.data()))
    probs.dispose()
  }
  return out
}

/** Pixel indices sorted by `key`, largest first (or smallest first); ties by index, so stable. */
export function orderPixels(key: ArrayLike<number>, descending = true): Int32Array {
  const idx = Int32Array.from({ length: key.length }, (_, i) => i)
  const k = Float64Array.from(key, (v) => (Number.isFinite(v) ? v : -Infinity))
  return idx.sort((a, b) => (descending ? k[b]! - k[a]! : k[a]! - k[b]!) || a - b)
}

/**
 * Probability of `classIndex` after replacing the first round(f·H·W) pixels of `order` (all
 * channels) by the baseline, for each fraction f.
 */
export async function probabilityCurve(
  model: Classifier,
  image: Tensor3D | Tensor4D,
  order: Int32Array,
  classIndex: number,
  options: { fractions?: number[]; baseline?: Baseline; batchSize?: number } = {}
): Promise<number[]> {
  const x = asSingleImage(image)
  try {
    const [, h, w] = x.shape
    if (order.length !== h * w) {
      throw new SaliencyError(`ordering has ${order.length} pixels, image has ${h * w}`)
    }
    const fractions = options.fractions ?? [...DEFAULT_FRACTIONS]
    const masks = fractions.map((f) => {
      const m = new Float32Array(h * w)
      const k = Math.round(Math.min(1, Math.max(0, f)) * h * w)
      for (let i = 0; i < k; i++) m[order[i]!] = 1
      return m
    })
    return await probabilitiesWithMasks(
      model,
      x,
      masks,
      classIndex,
      options.baseline ?? 'zero',
      options.batchSize ?? 32
    )
  } finally {
    x.dispose()
  }
}

/**
 * Per-pixel ablation effect p(x) − p(x with the pixel's patch replaced), [H·W]: the key of the
 * ideal ordering. Pixels of one patch share their patch's effect.
 */
export async function pixelAblationEffects(
  model: Classifier,
  image: Tensor3D | Tensor4D,
  classIndex: number,
  options: { patch?: number; baseline?: Baseline; batchSize?: number } = {}
): Promise<Float32Array> {
  const x = asSingleImage(image)
  try {
    const [, h, w] = x.shape
    const patch = options.patch ?? Math.ceil(Math.min(h, w) / 32)
    if (!Number.isInteger(patch) || patch < 1)
      throw new SaliencyError(`patch must be ≥ 1, got ${patch}`)
    const masks: Float32Array[] = [new Float32Array(h * w)]
    for (let i0 = 0; i0 < h; i0 += patch)
      for (let j0 = 0; j0 < w; j0 += patch) {
        const m = new Float32Array(h * w)
        for (let i = i0; i < Math.min(h, i0 + patch); i++)
          for (let j = j0; j < Math.min(w, j0 + patch); j++) m[i * w + j] = 1
        masks.push(m)
      }
    const probs = await probabilitiesWithMasks(
      model,
      x,
      masks,
      classIndex,
      options.baseline ?? 'zero',
      options.batchSize ?? 64
    )
    const effects = new Float32Array(h * w)
    for (let p = 1; p < masks.length; p++) {
      const m = masks[p]!
      for (let i = 0; i < h * w; i++) if (m[i]) effects[i] = probs[0]! - probs[p]!
    }
    return effects
  } finally {
    x.dispose()
  }
}

/** Trapezoidal area under `curve` over `fractions`, divided by the span. */
export function normalisedArea(fractions: number[], curve: number[]): number {
  if (fractions.length < 2) return curve[0] ?? 0
  let area = 0
  for (let i = 1; i < fractions.length; i++) {
    area += ((fractions[i]! - fractions[i - 1]!) * (curve[i]! + curve[i - 1]!)) / 2
  }
  const span = fractions[fractions.length - 1]! - fractions[0]!
  return span > 0 ? area / span : (curve[0] ?? 0)
}

async function mapToArray(map: Tensor | Float32Array, size: number): Promise<Float32Array> {
  const data = map instanceof Float32Array ? map : ((await map.data()) as Float32Array)
  if (data.length !== size) {
    throw new SaliencyError(`saliency map has ${data.length} values, image has ${size} pixels`)
  }
  return data
}

/**
 * Sanity score of one saliency map for one image (see the module comment for the formula),
 * with all three curves for plotting. `map` is [H, W], [1, H, W] or a flat H·W array.
 */
export async function sanityScore(
  model: Classifier,
  image: Tensor3D | Tensor4D,
  map: Tensor | Float32Array,
  options: SanityOptions = {}
): Promise<SanityResult> {
  return (await sanityScores(model, image, [map], options))[0]!
}

/**
 * Sanity scores of several maps of the same image (e.g. Grad-CAM and CAMERAS), sharing the
 * ideal and worst orderings: the per-pixel ablation behind them is most of the cost (one
 * forward pass per pixel or patch), so comparing methods this way costs little more than one.
 */
export async function sanityScores(
  model: Classifier,
  image: Tensor3D | Tensor4D,
  maps: (Tensor | Float32Array)[],
  options: SanityOptions = {}
): Promise<SanityResult[]> {
  const x = asSingleImage(image)
  try {
    const [, h, w] = x.shape
    const saliencies: Float32Array[] = []
    for (const map of maps) saliencies.push(await mapToArray(map, h * w))
    const fractions = options.fractions ?? [...DEFAULT_FRACTIONS]
    for (let i = 1; i < fractions.length; i++) {
      if (!(fractions[i]! > fractions[i - 1]!))
        throw new SaliencyError('fractions must be ascending')
    }
    let classIndex = options.classIndex
    if (classIndex === undefined) {
      const pred = tf.tidy(() => tf.argMax(model.predictLogits(x), 1))
      classIndex = (await pred.data())[0]!
      pred.dispose()
    }
    const common = { fractions, baseline: options.baseline, batchSize: options.batchSize }
    const effects = await pixelAblationEffects(model, x, classIndex, {
      patch: options.idealPatch,
      baseline: options.baseline,
      batchSize: options.batchSize
    })
    const idealCurve = await probabilityCurve(model, x, orderPixels(effects), classIndex, common)
    const worstCurve = await probabilityCurve(
      model,
      x,
      orderPixels(effects, false),
      classIndex,
      common
    )
    const aucIdeal = normalisedArea(fractions, idealCurve)
    const aucWorst = normalisedArea(fractions, worstCurve)
    const span = aucWorst - aucIdeal
    const out: SanityResult[] = []
    for (const saliency of saliencies) {
      const curve = await probabilityCurve(model, x, orderPixels(saliency), classIndex, common)
      const auc = normalisedArea(fractions, curve)
      const score = span > 1e-9 ? Math.min(1, Math.max(0, (auc - aucIdeal) / span)) : 0
      out.push({
        score,
        classIndex,
        fractions,
        curve,
        idealCurve,
        worstCurve,
        auc,
        aucIdeal,
        aucWorst
      })
    }
    return out
  } finally {
    x.dispose()
  }
}
