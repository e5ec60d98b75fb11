/**
 * Grad-CAM (Selvaraju et al. 2017, arXiv:1610.02391): weight each channel of a feature map
 * by the spatial mean of the class logit's gradient (their Eq. 1), sum, ReLU (Eq. 2), then
 * upsample to the input and normalise for display.
 */
import { tf } from '../tf'
import type { Tensor1D, Tensor3D, Tensor4D } from '../tf'
import type { StagedClassifier } from '../models/types'
import { normaliseMaps } from './normalise'
import { classTensor, resolveFeatureStage, stageGradients } from './stageGradients'

export interface GradCamOptions {
  /** One class per image; default: the class each image is predicted as. */
  classIndex?: number[]
  /** A name from featureStages(); default: the last one (Grad-CAM's usual choice). */
  stage?: string
}

/**
 * Grad-CAM maps for a batch of [0, 1] NHWC images: [N, H, W] in [0, 1] at the input size
 * (bilinear upsampling, half-pixel centres). A map with no positive evidence is all zeros.
 * The caller owns the returned tensor.
 */
export function gradCam(
  model: StagedClassifier,
  x: Tensor4D,
  options: GradCamOptions = {}
): Tensor3D {
  const stage = resolveFeatureStage(model, options.stage)
  const [n, h, w] = x.shape
  return tf.tidy(() => {
    const classes: Tensor1D = options.classIndex
      ? classTensor(options.classIndex, n, model.numClasses)
      : (tf.argMax(model.predictLogits(x), 1) as Tensor1D)
    const { activation, gradient } = stageGradients(model, stage, x, classes)
    const weights = tf.mean(gradient, [1, 2], true)
    const cam = tf.relu(tf.sum(tf.mul(activation, weights), 3, true)) as Tensor4D
    const up = tf.image.resizeBilinear(cam, [h, w], false, true)
    return normaliseMaps(tf.squeeze(up, [3]) as Tensor3D)
  })
}
