/**
 * The loss every gradient attack ascends: softmax cross-entropy of the model's logits against
 * the true labels, summed over the batch.
 *
 * Summed, not averaged, so that a sample's gradient does not depend on how many other samples
 * share its batch (with 'mean' it would be scaled by 1/n: harmless for the sign, not for float
 * underflow of tiny gradients, and it would break "attacking a sample in a batch equals
 * attacking it alone").
 */
import { tf } from '../tf'
import type { Tensor, Tensor1D, Tensor2D } from '../tf'
import { softmaxCrossEntropy } from '../ops/crossEntropy'

/** Per-sample cross-entropy (the project's op; first-order gradients are all attacks need). */
function perSampleCrossEntropy(logits: Tensor2D, labels: Tensor1D): Tensor1D {
  return softmaxCrossEntropy(logits, tf.cast(labels, 'int32') as Tensor1D, 'none') as Tensor1D
}

/** Sum over the batch of the per-sample cross-entropy (see the module comment for why sum). */
export function attackLoss(logits: Tensor2D, labels: Tensor1D): Tensor {
  return tf.tidy(() => tf.sum(perSampleCrossEntropy(logits, labels)))
}
