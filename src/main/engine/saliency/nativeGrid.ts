/**
 * CAMERAS for models with a fixed-size head (the `cnn`: convs, then flatten + dense). CAMERAS
 * feeds upsampled inputs, and a flatten head only accepts the feature grid it was trained on.
 * The adaptation is the one torchvision's VGG/AlexNet use to accept any input size: an
 * ADAPTIVE AVERAGE POOL of the last feature map back to its native grid, right before the
 * head. The trunk up to the last feature stage is convolutional and runs at any size, so at
 * every resolution CAMERAS still reads the activation of the target stage at that resolution
 * and the exact gradient of the class logit with respect to it (through the pool, whose
 * adjoint spreads each cell's gradient evenly over its bin) — the two quantities the method
 * accumulates. At the native size the pool is the identity, so the base prediction and the
 * native-scale term are those of the unmodified model.
 *
 * Limit: only the LAST feature stage can be the target, because the pool must sit directly
 * before the head and the model exposes no way to insert it between two inner stages.
 */
import { tf } from '../tf'
import type { Tensor, Tensor2D, Tensor4D } from '../tf'
import type { StagedClassifier } from '../models/types'
import { SaliencyError } from './errors'

/** Row i averages input cells [floor(i·n/m), ceil((i+1)·n/m)), as PyTorch's AdaptiveAvgPool. */
export function adaptivePoolMatrix(inSize: number, outSize: number): Float32Array {
  const m = new Float32Array(outSize * inSize)
  for (let i = 0; i < outSize; i++) {
    const start = Math.floor((i * inSize) / outSize)
    const end = Math.ceil(((i + 1) * inSize) / outSize)
    for (let j = start; j < end; j++) m[i * inSize + j] = 1 / (end - start)
  }
  return m
}

/**
 * Adaptive average pooling of [N, H, W, C] to [N, oh, ow, C], as two matrix products (so it
 * is linear, differentiable and exact: a plain identity when the size already matches).
 */
export function adaptiveAvgPool(x: Tensor4D, size: [number, number]): Tensor4D {
  const [n, h, w, c] = x.shape
  const [oh, ow] = size
  if (h === oh && w === ow) return x
  // No tf.tidy here: this runs inside tf.grad, and the callers tidy.
  const ph = tf.tensor2d(adaptivePoolMatrix(h, oh), [oh, h])
  const pw = tf.tensor2d(adaptivePoolMatrix(w, ow), [ow, w])
  // Rows: [N, W, C, H] · Phᵀ → [N, W, C, oh]
  const rows = tf.matMul(tf.reshape(tf.transpose(x, [0, 2, 3, 1]), [n * w * c, h]), ph, false, true)
  // Columns: [N, oh, C, W] · Pwᵀ → [N, oh, C, ow]
  const byCol = tf.transpose(tf.reshape(rows, [n, w, c, oh]), [0, 3, 2, 1])
  const cols = tf.matMul(tf.reshape(byCol, [n * oh * c, w]), pw, false, true)
  return tf.transpose(tf.reshape(cols, [n, oh, c, ow]), [0, 1, 3, 2]) as Tensor4D
}

/**
 * `model` seen through an adaptive pool of its last feature stage to the native grid: accepts
 * any input size, exposes that one stage, and equals `model` at the native input size.
 */
export function nativeGridClassifier(model: StagedClassifier): StagedClassifier {
  const stages = model.featureStages()
  const stage = stages[stages.length - 1]
  if (stage === undefined) {
    throw new SaliencyError(`Model "${model.name}" exposes no 4-D feature stage`)
  }
  const grid = tf.tidy(() => {
    const probe = model.forwardTo(stage, tf.zeros([1, ...model.inputShape]) as Tensor4D)
    return probe.shape.slice(1, 3) as [number, number]
  })
  const only = (s: string): void => {
    if (s !== stage) {
      throw new SaliencyError(
        `CAMERAS on the fixed-size model "${model.name}" (adaptive-pool variant) can only use ` +
          `its last feature stage "${stage}", not "${s}"`
      )
    }
  }
  const forwardTo = (s: string, x: Tensor4D): Tensor => {
    only(s)
    return model.forwardTo(stage, x)
  }
  const forwardFrom = (s: string, a: Tensor): Tensor2D => {
    only(s)
    return model.forwardFrom(stage, adaptiveAvgPool(a as Tensor4D, grid))
  }
  return {
    id: model.id,
    name: model.name,
    inputShape: model.inputShape,
    numClasses: model.numClasses,
    stageNames: () => model.stageNames(),
    featureStages: () => [stage],
    forwardTo,
    forwardFrom,
    predictLogits: (x) => forwardFrom(stage, forwardTo(stage, x)),
    acceptsAnyInputSize: () => true
  }
}
