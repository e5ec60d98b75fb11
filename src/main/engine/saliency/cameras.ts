/**
 * CAMERAS (Jalwana, Akhtar, Bennamoun, Mian, CVPR 2021, arXiv:2106.10649), reimplemented from
 * the paper's description: the input is upsampled to several resolutions, and at each one the
 * activations of a feature stage and the gradients of the class logit with respect to them are
 * brought back to the input size; both are averaged over the resolutions (multi-scale
 * accumulation) and fused element-wise, ReLU(Σ_k Ā_k ⊙ Ḡ_k). Unlike Grad-CAM, the gradient is
 * never reduced to one number per channel, which is where the extra precision comes from.
 */
import { tf } from '../tf'
import type { Tensor, Tensor1D, Tensor2D, Tensor3D, Tensor4D } from '../tf'
import type { StagedClassifier } from '../models/types'
import { resizeBicubic } from './bicubic'
import { SaliencyError } from './errors'
import { nativeGridClassifier } from './nativeGrid'
import { normaliseMaps } from './normalise'
import { classTensor, resolveFeatureStage, stageGradients } from './stageGradients'

export interface CamerasOptions {
  /** One class per image; default: the class each image is predicted as at its own size. */
  classIndex?: number[]
  /** A name from featureStages(); default: the last one. */
  stage?: string
  /**
   * Input heights to evaluate (widths keep the aspect ratio). Default:
   * defaultCamerasScales(input height).
   */
  scales?: number[]
  /**
   * Upper bound on floats per accumulated buffer (N·H·W·channels). Activations are fused in
   * channel chunks so that e.g. 2048 channels at 224² do not need gigabytes at once.
   */
  maxBufferFloats?: number
  /**
   * What to do with a model that only accepts its training input size (flatten + dense head):
   * 'refuse' (default) throws a SaliencyError; 'adaptive-pool' runs the documented variant of
   * nativeGrid.ts (the last feature map is adaptively average-pooled back to its native grid
   * before the head, as torchvision's VGG does), at the last feature stage only.
   */
  fixedSizeHead?: 'refuse' | 'adaptive-pool'
}

/** How many scales the default rule produces. */
export const DEFAULT_SCALE_COUNT = 6

/**
 * Default CAMERAS resolutions: the input size and five steps above it, each step ≈ 2/7 of the
 * input size (28 → 28, 36, 44, 52, 60, 68; 32 → 32, 41, …, 77; 224 → 224, 288, …, 544), i.e.
 * up to ~2.4×. The paper accumulates over resolutions above the training size, where the
 * feature maps get finer; the input size itself is always included so the base prediction's
 * own evidence is part of the average.
 */
export function defaultCamerasScales(inputSize: number): number[] {
  const step = Math.max(1, Math.round((2 * inputSize) / 7))
  return Array.from({ length: DEFAULT_SCALE_COUNT }, (_, i) => inputSize + i * step)
}

export interface CamerasDetail {
  /** [N, H, W] in [0, 1]; caller owns it. */
  map: Tensor3D
  /** The class explained for each image. */
  classes: number[]
  /** The heights evaluated. */
  scales: number[]
  /** kept[n][s]: whether scale s agreed with image n's base prediction and was averaged. */
  kept: boolean[][]
}

interface CamerasTensors {
  map: Tensor3D
  classes: Tensor1D
  kept: Tensor2D
}

/** The model CAMERAS runs on: itself, its adaptive-pool view, or a clear refusal. */
function usableModel(model: StagedClassifier, options: CamerasOptions): StagedClassifier {
  if (model.acceptsAnyInputSize()) return model
  if (options.fixedSizeHead === 'adaptive-pool') return nativeGridClassifier(model)
  throw new SaliencyError(
    `CAMERAS cannot run on "${model.name}": it feeds the model upsampled inputs, which needs a ` +
      'fully convolutional trunk with global pooling. This model has a fixed-size head ' +
      '(e.g. flatten + dense); use Grad-CAM for it, or the adaptive-pool variant of CAMERAS.'
  )
}

function checkScales(scales: number[]): void {
  if (scales.length === 0) throw new SaliencyError('CAMERAS needs at least one scale')
  for (const s of scales) {
    if (!Number.isInteger(s) || s < 1) {
      throw new SaliencyError(`CAMERAS scales must be positive integers, got ${s}`)
    }
  }
}

function camerasTensors(
  original: StagedClassifier,
  x: Tensor4D,
  options: CamerasOptions
): CamerasTensors {
  const model = usableModel(original, options)
  const stage = resolveFeatureStage(model, options.stage)
  const [n, h, w] = x.shape
  const scales = options.scales ?? defaultCamerasScales(h)
  checkScales(scales)
  const budget = options.maxBufferFloats ?? 1 << 24

  return tf.tidy(() => {
    // The base prediction is taken at the image's own size; scales that change it are
    // answering a different question and are left out of the average.
    const basePred = tf.argMax(model.predictLogits(x), 1) as Tensor1D
    const classes = options.classIndex
      ? classTensor(options.classIndex, n, model.numClasses)
      : basePred
    const acts: Tensor4D[] = []
    const grads: Tensor4D[] = []
    const keepCols: Tensor[] = []
    for (const s of scales) {
      const size: [number, number] = [s, Math.max(1, Math.round((s * w) / h))]
      const xs = size[0] === h && size[1] === w ? x : resizeBicubic(x, size)
      const { activation, gradient, logits } = stageGradients(model, stage, xs, classes)
      acts.push(activation)
      grads.push(gradient)
      keepCols.push(tf.cast(tf.equal(tf.argMax(logits, 1), basePred), 'float32'))
    }
    const kept = tf.stack(keepCols, 1) as Tensor2D // [N, S]
    const count = tf.sum(kept, 1)
    // No scale kept (only possible with custom scales): divide by 1, giving a zero map.
    const inv = tf.reshape(tf.div(1, tf.maximum(count, 1)), [n, 1, 1, 1])
    const channels = acts[0]!.shape[3]
    const chunk = Math.max(1, Math.min(channels, Math.floor(budget / Math.max(1, n * h * w))))

    let fused = tf.zeros([n, h, w]) as Tensor3D
    for (let c0 = 0; c0 < channels; c0 += chunk) {
      const size = Math.min(chunk, channels - c0)
      const part = tf.tidy(() => {
        let sumA: Tensor4D | undefined
        let sumG: Tensor4D | undefined
        scales.forEach((_, i) => {
          const weight = tf.reshape(tf.slice(kept, [0, i], [n, 1]), [n, 1, 1, 1])
          const up = (t: Tensor4D): Tensor4D =>
            tf.mul(
              tf.image.resizeBilinear(
                tf.slice(t, [0, 0, 0, c0], [-1, -1, -1, size]),
                [h, w],
                false,
                true
              ),
              weight
            )
          const a = up(acts[i]!)
          const g = up(grads[i]!)
          sumA = sumA ? tf.add(sumA, a) : a
          sumG = sumG ? tf.add(sumG, g) : g
        })
        const meanA = tf.mul(sumA!, inv)
        const meanG = tf.mul(sumG!, inv)
        return tf.sum(tf.mul(meanA, meanG), 3) as Tensor3D
      })
      const next = tf.add(fused, part) as Tensor3D
      fused.dispose()
      part.dispose()
      fused = next
    }
    const map = normaliseMaps(tf.relu(fused) as Tensor3D)
    return { map, classes: tf.clone(classes), kept }
  })
}

/**
 * CAMERAS saliency for a batch of [0, 1] NHWC images: [N, H, W] in [0, 1] at the input size.
 * Throws SaliencyError for models that only accept their training input size.
 * The caller owns the returned tensor.
 */
export function cameras(
  model: StagedClassifier,
  x: Tensor4D,
  options: CamerasOptions = {}
): Tensor3D {
  const t = camerasTensors(model, x, options)
  t.classes.dispose()
  t.kept.dispose()
  return t.map
}

/** CAMERAS plus which class was explained and which scales were kept for each image. */
export async function camerasDetailed(
  model: StagedClassifier,
  x: Tensor4D,
  options: CamerasOptions = {}
): Promise<CamerasDetail> {
  const t = camerasTensors(model, x, options)
  try {
    const classes = Array.from(await t.classes.data())
    const keptRows = (await t.kept.array()) as number[][]
    return {
      map: t.map,
      classes,
      scales: options.scales ?? defaultCamerasScales(x.shape[1]),
      kept: keptRows.map((row) => row.map((v) => v > 0.5))
    }
  } finally {
    t.classes.dispose()
    t.kept.dispose()
  }
}
