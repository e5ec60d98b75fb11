/**
 * `ortholens predict`: a stored model's logits for a batch of images handed over as a float32
 * .npy array, and on request the input gradient of the cross-entropy at the predicted class —
 * the direction every gradient attack follows — so that users (and tests) compare Ortholens
 * with their own framework image by image. Images are pixels in [0, 1] before the model's
 * normalisation (the imported model normalises them itself), in NHWC or NCHW.
 */
import type { InputLayout } from '../../contract/names'
import type { NpyArray } from '../engine/data/npy'
import { softmaxCrossEntropy } from '../engine/ops/crossEntropy'
import { tf, type Tensor, type Tensor1D, type Tensor2D, type Tensor4D } from '../engine/tf'
import { getDatasetSummary, listModels, type ProjectDb } from '../store'
import { loadClassifier } from './models'

/** Images per forward (and backward) pass; bounds memory only. */
const PREDICT_BATCH = 64
/** Float32 noise a [0, 1] image may carry after a division by 255 in another framework. */
const RANGE_SLACK = 1e-6

export interface PredictResult {
  modelId: number
  modelName: string
  layout: InputLayout
  /** [N, classes]. */
  logits: number[][]
  predictions: number[]
  /** Names of the predicted classes, when the model or its dataset has them. */
  classNames: string[] | null
  /** d CE(logits, prediction) / d input per image, in the input's layout (with `gradient`). */
  gradient?: number[][][][]
}

/** The layout a model's callers use unless they say: an ONNX import's own, NHWC otherwise. */
export function defaultLayout(project: ProjectDb, modelId: number): InputLayout {
  const m = listModels(project.db).find((x) => x.id === modelId)
  const p = (m?.architecture as { preprocessing?: { layout?: unknown } } | undefined)?.preprocessing
  return p?.layout === 'NCHW' ? 'NCHW' : 'NHWC'
}

function classNamesOf(project: ProjectDb, modelId: number, numClasses: number): string[] | null {
  const m = listModels(project.db).find((x) => x.id === modelId)
  const declared = (m?.architecture as { preprocessing?: { classNames?: string[] } } | undefined)
    ?.preprocessing?.classNames
  if (declared?.length === numClasses) return declared
  const ds = m?.datasetId != null ? getDatasetSummary(project.db, m.datasetId) : undefined
  return ds?.classNames.length === numClasses ? ds.classNames : null
}

/** Nested arrays of a tensor's values (JSON's shape of it). */
function nested<T>(t: Tensor): T {
  return t.arraySync() as T
}

/**
 * Runs `modelId` on `input` ([N, H, W, C] or [N, C, H, W] per `layout`). Throws a message that
 * names the model, the shape it takes in that layout and what is wrong with the batch.
 */
export function predictBatch(
  project: ProjectDb,
  modelId: number,
  input: NpyArray,
  options: { where: string; layout?: InputLayout; gradient?: boolean }
): PredictResult {
  const layout = options.layout ?? defaultLayout(project, modelId)
  const model = loadClassifier(project, modelId)
  try {
    const [h, w, c] = model.inputShape
    const expected = layout === 'NCHW' ? `(N, ${c}, ${h}, ${w})` : `(N, ${h}, ${w}, ${c})`
    const [n, ...rest] = input.shape
    const nhwc = layout === 'NCHW' ? [rest[1], rest[2], rest[0]] : rest
    if (input.shape.length !== 4 || nhwc.join('x') !== `${h}x${w}x${c}` || n === 0) {
      throw new RangeError(
        `Model "${model.name}" takes ${h}x${w}x${c} images, as an ${layout} batch of shape ${expected}; ${options.where} has shape (${input.shape.join(', ')})` +
          (input.shape.length === 4 && n !== 0
            ? ` (the other layout? --layout ${layout === 'NCHW' ? 'nhwc' : 'nchw'})`
            : '')
      )
    }
    const bad = input.data.findIndex(
      (v) => !(v >= -RANGE_SLACK && v <= 1 + RANGE_SLACK) // also NaN
    )
    if (bad >= 0) {
      throw new RangeError(
        `${options.where}: element ${bad} (image ${Math.floor(bad / (h * w * c))}) is ${input.data[bad]}; give pixels in [0, 1], before the model's normalisation` +
          (input.data[bad]! > 1 ? ' (divide 0–255 images by 255)' : '')
      )
    }
    const logits: number[][] = []
    const predictions: number[] = []
    const gradient: number[][][][] = []
    const size = h * w * c
    for (let start = 0; start < n!; start += PREDICT_BATCH) {
      const count = Math.min(PREDICT_BATCH, n! - start)
      const part = input.data.subarray(start * size, (start + count) * size)
      const out = tf.tidy(() => {
        const raw = tf.tensor4d(part, [count, ...(rest as [number, number, number])])
        const x = (layout === 'NCHW' ? tf.transpose(raw, [0, 2, 3, 1]) : raw) as Tensor4D
        const z = model.predictLogits(x)
        const predicted = tf.argMax(z, 1)
        if (!options.gradient) return { z, predicted }
        // Σ over images of CE(logits_i, predicted_i): each image's gradient is its own. The
        // attacks' cross-entropy (engine/ops/crossEntropy), so this is their direction exactly.
        const labels = tf.cast(predicted, 'int32') as Tensor1D
        const ce = (input4d: Tensor): Tensor =>
          tf.sum(softmaxCrossEntropy(model.predictLogits(input4d as Tensor4D), labels, 'none'))
        const g = tf.grad(ce)(x)
        return { z, predicted, g: layout === 'NCHW' ? tf.transpose(g, [0, 3, 1, 2]) : g }
      }) as { z: Tensor2D; predicted: Tensor; g?: Tensor }
      logits.push(...nested<number[][]>(out.z))
      predictions.push(...nested<number[]>(out.predicted))
      if (out.g) gradient.push(...nested<number[][][][]>(out.g))
      out.z.dispose()
      out.predicted.dispose()
      out.g?.dispose()
    }
    const names = classNamesOf(project, modelId, model.numClasses)
    return {
      modelId,
      modelName: model.name,
      layout,
      logits,
      predictions,
      classNames: names ? predictions.map((k) => names[k]!) : null,
      ...(options.gradient ? { gradient } : {})
    }
  } finally {
    model.dispose()
  }
}
