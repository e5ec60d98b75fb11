import type { Tensor, Tensor2D, Tensor4D } from '../tf'

/**
 * What attacks, defenses, saliency and evaluation need from a model: logits for images in
 * [0, 1] (NHWC, float32), in inference mode (batch norm uses its moving statistics).
 * Every call must be safe to differentiate with tf.grad with respect to `x`.
 */
export interface Classifier {
  readonly id: string
  readonly name: string
  /** [height, width, channels] */
  readonly inputShape: [number, number, number]
  readonly numClasses: number
  predictLogits(x: Tensor4D): Tensor2D
}

/**
 * A classifier whose computation is a chain of named stages, so that saliency methods can
 * read the activation after any stage and differentiate the logits with respect to it.
 * Invariant: forwardFrom(stage, forwardTo(stage, x)) equals predictLogits(x).
 */
export interface StagedClassifier extends Classifier {
  /** Stage names in order; conv stages are the ones Grad-CAM/CAMERAS may use. */
  stageNames(): string[]
  /** The stage names whose output is a 4-D feature map (candidates for Grad-CAM). */
  featureStages(): string[]
  /** Activation after `stage` (inclusive), inference mode. */
  forwardTo(stage: string, x: Tensor4D): Tensor
  /** Logits from the activation after `stage`, inference mode. */
  forwardFrom(stage: string, activation: Tensor): Tensor2D
  /**
   * Whether the model accepts inputs of another spatial size (fully convolutional trunk +
   * global pooling). Models with a flatten + dense head do not.
   */
  acceptsAnyInputSize(): boolean
}
