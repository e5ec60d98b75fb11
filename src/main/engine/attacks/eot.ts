/**
 * EOT — Expectation over Transformation. Athalye, Engstrom, Ilyas, Kwok, "Synthesizing Robust
 * Adversarial Examples", ICML 2018, https://arxiv.org/abs/1707.07397; used against randomised
 * defenses in Athalye, Carlini, Wagner 2018, https://arxiv.org/abs/1802.00420 (§4.3).
 *
 * A randomised defense t (a fresh random draw at every call) makes a single gradient a noisy
 * sample; the attacker ascends E_t[L(f(t(x)), y)] instead, estimated by the mean over k draws:
 *   ∇ ≈ (1/k) Σⱼ ∇_x L(f(tⱼ(x)), y).
 * Wrapped as a loss-averaging classifier, so every gradient attack gets EOT unchanged. A
 * transform without a usable gradient can be wrapped in BPDA first (bpda.ts).
 */
import { tf } from '../tf'
import type { Tensor2D, Tensor4D } from '../tf'
import type { Classifier } from '../models/types'
import { resizeAndPad } from './di2fgsm'
import type { LossAveragingClassifier } from './loss'
import { createRng, type Rng } from './random'

/** An input transformation with a random draw per call. */
export interface RandomizedTransform {
  id: string
  name: string
  paper: string
  apply(x: Tensor4D, rng: Rng): Tensor4D
}

/**
 * Random resizing and padding (Xie, Wang, Zhang, Ren, Yuille, "Mitigating Adversarial Effects
 * Through Randomization", ICLR 2018, https://arxiv.org/abs/1711.01991), kept at the input size
 * as DI²-FGSM does it (shrink to [rate·H, H], pad back).
 */
export function randomResizePad(rate = 0.9): RandomizedTransform {
  if (!(rate > 0 && rate <= 1))
    throw new Error(`Random resize: "rate" must be in (0, 1], got ${rate}`)
  return {
    id: 'randomResizePad',
    name: `Random resize and pad (rate ${rate})`,
    paper: 'https://arxiv.org/abs/1711.01991',
    apply: (x, rng) => resizeAndPad(x, rate, rng)
  }
}

/**
 * `model` behind the randomised `transform`: each prediction is one draw; the attack loss is
 * the mean over `draws` draws (EOT). Draws come from one stream seeded with `seed`.
 */
export function eotClassifier(
  model: Classifier,
  transform: RandomizedTransform,
  draws: number,
  seed = 0
): LossAveragingClassifier {
  if (!Number.isInteger(draws) || draws < 1 || draws > 1000) {
    throw new Error(`EOT: "draws" must be an integer in [1, 1000], got ${String(draws)}`)
  }
  const rng = createRng(seed)
  return {
    id: `${model.id}+${transform.id}`,
    name: `${model.name} behind ${transform.name}`,
    inputShape: model.inputShape,
    numClasses: model.numClasses,
    predictLogits: (x: Tensor4D) =>
      tf.tidy(() => model.predictLogits(transform.apply(x, rng)) as Tensor2D),
    lossLogits: (x: Tensor4D) =>
      Array.from({ length: draws }, () => model.predictLogits(transform.apply(x, rng)))
  }
}
