/**
 * DI²-FGSM — Diverse Inputs (M-)I-FGSM. Xie, Zhang, Zhou, Bai, Wang, Ren, Yuille, "Improving
 * Transferability of Adversarial Examples with Input Diversity", CVPR 2019,
 * https://arxiv.org/abs/1803.06978
 *
 * Each step, with probability p, the gradient is taken through T(x): a random nearest-neighbour
 * resize followed by random zero padding; on top of MI-FGSM (μ > 0) or I-FGSM (μ = 0).
 * Defaults follow torchattacks' DIFGSM: p = 0.5, resize rate 0.9, μ = 0 (plain DI²-FGSM),
 * 10 steps, α = ε / steps (torchattacks fixes α = 2/255 for ε = 8/255; ε/steps scales with the
 * sweep).
 * Deviation, on purpose: Xie and torchattacks ENLARGE the image (299 → [299, 330) → pad to 331),
 * which needs a size-agnostic network. Our models often end in flatten + dense, so we SHRINK to
 * a random size in [⌈rate·H⌉, H] and pad back to H × W: the same resize-and-pad diversity with
 * the input shape kept. One draw per step for the whole batch, as torchattacks does.
 */
import { tf } from '../tf'
import type { Tensor4D } from '../tf'
import { commonParams } from './base'
import { momentum } from './direction'
import { decayParam, seedParam, stepSizeParam, stepsParam } from './params'
import { randomInt, type Rng } from './random'
import type { AttackDefinition } from './types'

/** The random resize-and-pad transform T(x) of Xie et al., keeping [H, W]. */
export function resizeAndPad(x: Tensor4D, resizeRate: number, rng: Rng): Tensor4D {
  const [, h, w] = x.shape
  const newH = randomInt(rng, Math.max(1, Math.ceil(resizeRate * h)), h)
  const newW = Math.max(1, Math.min(w, Math.round((newH * w) / h)))
  const top = randomInt(rng, 0, h - newH)
  const left = randomInt(rng, 0, w - newW)
  return tf.tidy(() => {
    const resized = tf.image.resizeNearestNeighbor(x, [newH, newW])
    return tf.pad(resized, [
      [0, 0],
      [top, h - newH - top],
      [left, w - newW - left],
      [0, 0]
    ]) as Tensor4D
  })
}

export const di2fgsm: AttackDefinition = {
  id: 'di2fgsm',
  name: 'DI²-FGSM',
  paper: 'https://arxiv.org/abs/1803.06978',
  defaultsFrom: 'torchattacks DIFGSM: p = 0.5, resize rate 0.9, μ = 0, 10 steps; α = ε / steps.',
  params: [
    ...commonParams,
    stepsParam(10, 'torchattacks'),
    stepSizeParam('ε / steps'),
    decayParam(0, 'torchattacks DIFGSM; 1.0 gives M-DI²-FGSM'),
    {
      name: 'diversityProb',
      label: 'Diversity probability p',
      kind: 'number',
      min: 0,
      max: 1,
      default: 0.5,
      description: 'Chance of transforming the input at each step (default 0.5, Xie et al. 2019).'
    },
    {
      name: 'resizeRate',
      label: 'Resize rate',
      kind: 'number',
      min: 0,
      max: 1,
      minExclusive: true,
      default: 0.9,
      description: 'Smallest resize factor; sizes are drawn in [rate·H, H] (default 0.9, torchattacks).'
    },
    seedParam
  ],
  resolve: (c) => {
    const steps = c.steps ?? 10
    return {
      epsilon: c.epsilon,
      batchSize: c.batchSize ?? 100,
      steps,
      stepSize: c.stepSize ?? c.epsilon / steps,
      decay: c.decay ?? 0,
      seed: c.seed ?? 0,
      diversityProb: c.diversityProb ?? 0.5,
      resizeRate: c.resizeRate ?? 0.9
    }
  },
  createStepper: (cfg, rng) => {
    const m = momentum(cfg.decay)
    return {
      transform: (x) => (rng() < cfg.diversityProb ? resizeAndPad(x, cfg.resizeRate, rng) : x),
      direction: (g) => m.direction(g),
      dispose: () => m.dispose()
    }
  }
}
