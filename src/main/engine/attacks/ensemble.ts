/**
 * Ensemble transfer: perturbations crafted on several source models at once, ascending the
 * MEAN of their per-sample losses ("ensemble in loss", Dong et al. 2018 §3.2,
 * https://arxiv.org/abs/1710.06081; the ensemble idea is Liu, Chen, Liu, Song, ICLR 2017,
 * https://arxiv.org/abs/1611.02770). A perturbation that fools several independently trained
 * models is more likely to fool an unseen one, so this is the stronger transfer attacker.
 *
 * The ensemble is a classifier: any gradient attack runs on it unchanged (the attack loss
 * averages over `lossLogits`); its predictions use the mean logits.
 */
import { tf } from '../tf'
import type { Tensor2D, Tensor4D } from '../tf'
import type { Classifier } from '../models/types'
import type { LossAveragingClassifier } from './loss'

/** The mean-loss ensemble of `members` (at least one; same input shape and class count). */
export function ensembleClassifier(
  members: Classifier[],
  id?: string,
  name?: string
): LossAveragingClassifier {
  const first = members[0]
  if (!first) throw new Error('An ensemble needs at least one source model')
  for (const m of members) {
    if (
      m.inputShape.join('x') !== first.inputShape.join('x') ||
      m.numClasses !== first.numClasses
    ) {
      throw new Error(
        `Ensemble members must share input shape and classes: "${m.name}" is ${m.inputShape.join('x')} with ${m.numClasses} classes, ` +
          `"${first.name}" ${first.inputShape.join('x')} with ${first.numClasses}`
      )
    }
  }
  return {
    id: id ?? `ensemble(${members.map((m) => m.id).join('+')})`,
    name: name ?? `ensemble of ${members.map((m) => m.name).join(', ')}`,
    inputShape: first.inputShape,
    numClasses: first.numClasses,
    predictLogits: (x: Tensor4D) =>
      tf.tidy(
        () => tf.div(tf.addN(members.map((m) => m.predictLogits(x))), members.length) as Tensor2D
      ),
    lossLogits: (x: Tensor4D) => members.map((m) => m.predictLogits(x))
  }
}
