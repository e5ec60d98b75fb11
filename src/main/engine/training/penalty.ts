/**
 * The orthogonality penalty of thesis Eq. 6.3 / Algorithm 7, lines 4–7, in three forms.
 *
 * δ_i = ĝ1_i · ĝ2_i, the cosine between the flattened, L2-normalised input gradients of the
 * reference K and the model M for sample i (Eq. 6.1). The thesis minimises E[δ] ("signed").
 * That literal form is degenerate: M can lower it by anti-aligning (δ → −1) or by collapsing
 * its input gradients, so `absolute` (E|δ|) and `squared` (E δ²) push δ towards 0 from both
 * sides. An independent PyTorch replication (SPEC §2.4) found `squared` keeps accuracy best.
 */
import { tf, type Tensor, type Tensor1D, type Tensor2D } from '../tf'
import type { PenaltyForm } from '../../../contract/names'

export type { PenaltyForm }
/** The forms this file implements; test/contract/names.test.ts proves the contract lists the same. */
export const PENALTY_FORMS: readonly PenaltyForm[] = ['signed', 'absolute', 'squared']
export const DEFAULT_PENALTY: PenaltyForm = 'squared'

/**
 * Guards the normalisation against a zero gradient (a saturated or dead sample): the
 * thesis' ||g||₂ would divide by zero there.
 */
const NORM_EPSILON = 1e-12

/** Per-sample L2-normalised gradients, flattened to [N, D]. */
export function normalisedRows(gradient: Tensor): Tensor2D {
  return tf.tidy(() => {
    const flat = tf.reshape(gradient, [gradient.shape[0], -1]) as Tensor2D
    const norm = tf.sqrt(tf.sum(tf.square(flat), 1, true))
    return tf.div(flat, tf.add(norm, NORM_EPSILON)) as Tensor2D
  })
}

/** δ_i for every sample: cosine of the two gradients (Eq. 6.1). */
export function cosinePerSample(g1: Tensor, g2: Tensor): Tensor1D {
  return tf.tidy(() => tf.sum(tf.mul(normalisedRows(g1), normalisedRows(g2)), 1) as Tensor1D)
}

/** P(δ): the batch mean of the chosen form. */
export function penaltyOf(delta: Tensor1D, form: PenaltyForm): Tensor {
  switch (form) {
    case 'signed':
      return tf.mean(delta)
    case 'absolute':
      return tf.mean(tf.abs(delta))
    case 'squared':
      return tf.mean(tf.square(delta))
  }
}
