/**
 * Side-by-side explanations (SPEC §2.7, thesis Figure 6.3): Grad-CAM and CAMERAS maps of
 * several models for the same samples, and of an adversarial image next to its original, as
 * plain arrays the UI and reports can draw, plus heat-map rendering (engine/render encodes PNGs).
 */
import { tf } from '../tf'
import type { Tensor3D, Tensor4D } from '../tf'
import type { StagedClassifier } from '../models/types'
import { cameras } from './cameras'
import { SaliencyError } from './errors'
import { gradCam } from './gradcam'

/** The methods explainModels runs; test/contract/names.test.ts proves the contract lists the same. */
export const SALIENCY_METHODS = ['gradcam', 'cameras'] as const
export type SaliencyMethod = (typeof SALIENCY_METHODS)[number]

/** A plain float array with its shape. */
export interface ArrayData {
  data: Float32Array
  shape: number[]
}

export interface ModelExplanation {
  modelId: string
  modelName: string
  /** Predicted class per sample. */
  predicted: number[]
  /** Explained class per sample. */
  classIndex: number[]
  /** Maps [N, H, W] in [0, 1] per method, or the reason the method could not run (e.g. CAMERAS on a fixed-size head). */
  maps: Partial<Record<SaliencyMethod, ArrayData | { error: string }>>
  /** Set when CAMERAS ran as the adaptive-pool variant (nativeGrid.ts) on a fixed-size model. */
  camerasVariant?: 'adaptive-pool'
}

export interface ExplainOptions {
  methods?: SaliencyMethod[]
  /** Class to explain per sample for every model; default: each model's own prediction. */
  classIndex?: number[]
  /** Feature stage per model id; default: each model's last feature stage. */
  stages?: Record<string, string>
  /** CAMERAS on fixed-size (flatten-head) models: refuse (default) or the adaptive-pool variant. */
  fixedSizeHead?: 'refuse' | 'adaptive-pool'
}

async function toArray(t: Tensor3D | Tensor4D): Promise<ArrayData> {
  const data = (await t.data()) as Float32Array
  return { data: Float32Array.from(data), shape: [...t.shape] }
}

/**
 * Grad-CAM and/or CAMERAS maps of several models for the same samples. A method that cannot run
 * on a model is reported in place (error text) instead of failing the whole comparison.
 */
export async function explainModels(
  models: StagedClassifier[],
  x: Tensor4D,
  options: ExplainOptions = {}
): Promise<{ images: ArrayData; models: ModelExplanation[] }> {
  const methods = options.methods ?? ['gradcam', 'cameras']
  const out: ModelExplanation[] = []
  for (const model of models) {
    const predT = tf.tidy(() => tf.argMax(model.predictLogits(x), 1))
    const predicted = Array.from(await predT.data())
    predT.dispose()
    const classIndex = options.classIndex ?? predicted
    const stage = options.stages?.[model.id]
    const maps: ModelExplanation['maps'] = {}
    for (const method of methods) {
      try {
        const m =
          method === 'gradcam'
            ? gradCam(model, x, { classIndex, stage })
            : cameras(model, x, { classIndex, stage, fixedSizeHead: options.fixedSizeHead })
        maps[method] = await toArray(m)
        m.dispose()
      } catch (err) {
        if (!(err instanceof SaliencyError)) throw err
        maps[method] = { error: err.message }
      }
    }
    const variant =
      methods.includes('cameras') &&
      !model.acceptsAnyInputSize() &&
      options.fixedSizeHead === 'adaptive-pool' &&
      !('error' in (maps.cameras ?? {}))
    out.push({
      modelId: model.id,
      modelName: model.name,
      predicted,
      classIndex,
      maps,
      ...(variant ? { camerasVariant: 'adaptive-pool' as const } : {})
    })
  }
  return { images: await toArray(x), models: out }
}

/**
 * Maps of one model for original and adversarial images, both explaining the ORIGINAL class
 * by default (so one sees where the evidence for the true class went), plus the predictions.
 */
export async function explainAdversarial(
  model: StagedClassifier,
  original: Tensor4D,
  adversarial: Tensor4D,
  options: {
    methods?: SaliencyMethod[]
    classIndex?: number[]
    stage?: string
    fixedSizeHead?: 'refuse' | 'adaptive-pool'
  } = {}
): Promise<{
  original: ModelExplanation
  adversarial: ModelExplanation
  images: ArrayData
  adversarialImages: ArrayData
}> {
  let classIndex = options.classIndex
  if (!classIndex) {
    const p = tf.tidy(() => tf.argMax(model.predictLogits(original), 1))
    classIndex = Array.from(await p.data())
    p.dispose()
  }
  const common = {
    methods: options.methods,
    classIndex,
    stages: options.stage ? { [model.id]: options.stage } : undefined,
    fixedSizeHead: options.fixedSizeHead
  }
  const a = await explainModels([model], original, common)
  const b = await explainModels([model], adversarial, common)
  return {
    original: a.models[0]!,
    adversarial: b.models[0]!,
    images: a.images,
    adversarialImages: b.images
  }
}

/** Jet-like colour for v in [0, 1]: dark blue → blue → cyan → yellow → red → dark red. */
export function jetColor(v: number): [number, number, number] {
  const t = Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0))
  const ch = (offset: number): number =>
    Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - offset))))
  return [ch(3), ch(2), ch(1)]
}

/**
 * Heat map blended over an image, as RGBA bytes (row-major, H·W·4). `image` is one [H, W, C]
 * image in [0, 1] (C = 1 or 3), `map` its H·W saliency in [0, 1]; alpha is the heat map's
 * opacity (default 0.5).
 */
export function renderHeatmap(
  image: { data: Float32Array; shape: number[] },
  map: Float32Array,
  alpha = 0.5
): Uint8Array {
  const [h, w, c] = image.shape.length === 4 ? image.shape.slice(1) : image.shape
  if (h === undefined || w === undefined || c === undefined || (c !== 1 && c !== 3)) {
    throw new SaliencyError(`renderHeatmap needs an [H, W, 1|3] image, got [${image.shape}]`)
  }
  if (map.length !== h * w)
    throw new SaliencyError(`map has ${map.length} values for a ${h}×${w} image`)
  const rgba = new Uint8Array(h * w * 4)
  for (let p = 0; p < h * w; p++) {
    const heat = jetColor(map[p]!)
    for (let k = 0; k < 3; k++) {
      const px = Math.min(1, Math.max(0, image.data[p * c + (c === 1 ? 0 : k)]!)) * 255
      rgba[p * 4 + k] = Math.round((1 - alpha) * px + alpha * heat[k]!)
    }
    rgba[p * 4 + 3] = 255
  }
  return rgba
}

/** One image of a batch [N, H, W, C] (or a map of [N, H, W]) as its own ArrayData. */
export function pick(batch: ArrayData, index: number): ArrayData {
  const [n, ...rest] = batch.shape
  if (n === undefined || index < 0 || index >= n)
    throw new SaliencyError(`index ${index} outside batch of ${n}`)
  const size = rest.reduce((a, b) => a * b, 1)
  return { data: batch.data.slice(index * size, (index + 1) * size), shape: rest }
}
