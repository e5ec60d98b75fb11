import { tf } from '../tf'
import type { Tensor, Tensor1D, Tensor2D, Tensor4D } from '../tf'
import type { StagedClassifier } from '../models/types'
import { SaliencyError } from './errors'

/** Checks that `stage` is one of the model's 4-D feature stages (default: the last one). */
export function resolveFeatureStage(model: StagedClassifier, stage?: string): string {
  const stages = model.featureStages()
  if (stages.length === 0) {
    throw new SaliencyError(
      `Model "${model.name}" exposes no 4-D feature stage, so Grad-CAM/CAMERAS cannot be computed`
    )
  }
  if (stage === undefined) return stages[stages.length - 1]!
  if (!stages.includes(stage)) {
    throw new SaliencyError(
      `Stage "${stage}" is not a feature-map stage of "${model.name}" (choose one of ${stages.join(', ')})`
    )
  }
  return stage
}

/** Validates explicit class indices (one per image) and makes them an int32 tensor. */
export function classTensor(classIndex: number[], batch: number, numClasses: number): Tensor1D {
  if (classIndex.length !== batch) {
    throw new SaliencyError(`classIndex has ${classIndex.length} entries for a batch of ${batch}`)
  }
  for (const c of classIndex) {
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) {
      throw new SaliencyError(`class index ${c} is outside 0..${numClasses - 1}`)
    }
  }
  return tf.tensor1d(classIndex, 'int32')
}

export interface StageGradients {
  /** Activation after the stage, [N, h, w, K]. */
  activation: Tensor4D
  /** ∂ logit_c / ∂ activation, same shape; each image uses its own class c. */
  gradient: Tensor4D
  logits: Tensor2D
}

/**
 * Activation at `stage` and the gradient of each image's class LOGIT (not its probability:
 * Grad-CAM and CAMERAS both use the pre-softmax score, whose gradient does not vanish when
 * the model is confident) with respect to it. First-order only. Summing the selected logits
 * over the batch is safe because inference-mode images do not interact.
 */
export function stageGradients(
  model: StagedClassifier,
  stage: string,
  x: Tensor4D,
  classes: Tensor1D
): StageGradients {
  const activation = model.forwardTo(stage, x)
  if (activation.rank !== 4) {
    throw new SaliencyError(`Stage "${stage}" of "${model.name}" is not a 4-D feature map`)
  }
  const logits = model.forwardFrom(stage, activation)
  const oneHot = tf.oneHot(classes, logits.shape[1]).toFloat()
  const selected = (a: Tensor): Tensor => tf.sum(tf.mul(model.forwardFrom(stage, a), oneHot))
  const gradient = tf.grad(selected)(activation) as Tensor4D
  return { activation: activation as Tensor4D, gradient, logits }
}
