/**
 * The loss every gradient attack ascends: softmax cross-entropy of the model's logits against
 * the true labels, summed over the batch.
 *
 * Summed, not averaged, so that a sample's gradient does not depend on how many other samples
 * share its batch (with 'mean' it would be scaled by 1/n, harmless for the sign but not for
 * float underflow on tiny gradients, and it would break "attacking a sample in a batch equals
 * attacking it alone").
 */
import { tf } from '../tf'
import type { Tensor, Tensor1D, Tensor2D } from '../tf'

/**
 * Per-sample cross-entropy. Fallback until src/main/engine/ops/crossEntropy.ts
 * (`softmaxCrossEntropy(logits, labels, 'none')`) lands; swapping it in is this one function.
 * First-order gradients through tf.losses are correct, which is all attacks need.
 */
function perSampleCrossEntropy(logits: Tensor2D, labels: Tensor1D): Tensor1D {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1])
    return tf.losses.softmaxCrossEntropy(
      oneHot,
      logits,
      undefined,
      0,
      tf.Reduction.NONE
    ) as Tensor1D
  })
}

/** Sum over the batch of the per-sample cross-entropy (see the module comment for why sum). */
export function attackLoss(logits: Tensor2D, labels: Tensor1D): Tensor {
  return tf.tidy(() => tf.sum(perSampleCrossEntropy(logits, labels)))
}
