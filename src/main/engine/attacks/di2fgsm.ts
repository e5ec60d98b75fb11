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

/** Source index of each output row (or column): floor(i · in / out), as tf.image's nearest rule. */
function nearestIndices(inSize: number, outSize: number): Int32Array {
  const scale = inSize / outSize
  return Int32Array.from({ length: outSize }, (_, i) => Math.min(inSize - 1, Math.floor(scale * i)))
}

/** [out, in] matrix with a single 1 per row, at that row's source index. */
function selection(inSize: number, outSize: number): tf.Tensor2D {
  const m = new Float32Array(outSize * inSize)
  nearestIndices(inSize, outSize).forEach((src, i) => (m[i * inSize + src] = 1))
  return tf.tensor2d(m, [outSize, inSize])
}

/**
 * tf.image.resizeNearestNeighbor (no corner alignment, no half-pixel centres) as products with
 * 0/1 selection matrices: the same values, exactly (one nonzero term per output), and a
 * gradient that is a product too. tfjs's cpu ResizeNearestNeighborGrad returns NaN for some
 * input pixels when shrinking (measured: 11-16 of 36 on a 6x6 image), and a gather's gradient
 * needs UnsortedSegmentSum, which the wasm backend lacks.
 */
export function resizeNearest(x: Tensor4D, outH: number, outW: number): Tensor4D {
  const [n, h, w, c] = x.shape
  // Rows: [N, H, W*C] -> contract H with the [outH, H] selection.
  const rows = tf.matMul(
    tf.reshape(tf.transpose(x, [0, 2, 3, 1]), [n * w * c, h]),
    selection(h, outH),
    false,
    true
  )
  const byRows = tf.transpose(tf.reshape(rows, [n, w, c, outH]), [0, 3, 1, 2]) // [N, outH, W, C]
  const cols = tf.matMul(
    tf.reshape(tf.transpose(byRows, [0, 1, 3, 2]), [n * outH * c, w]),
    selection(w, outW),
    false,
    true
  )
  return tf.transpose(tf.reshape(cols, [n, outH, c, outW]), [0, 1, 3, 2]) as Tensor4D
}

/** The random resize-and-pad transform T(x) of Xie et al., keeping [H, W]. */
export function resizeAndPad(x: Tensor4D, resizeRate: number, rng: Rng): Tensor4D {
  const [, h, w] = x.shape
  const newH = randomInt(rng, Math.max(1, Math.ceil(resizeRate * h)), h)
  const newW = Math.max(1, Math.min(w, Math.round((newH * w) / h)))
  const top = randomInt(rng, 0, h - newH)
  const left = randomInt(rng, 0, w - newW)
  return tf.tidy(() => {
    const resized = resizeNearest(x, newH, newW)
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
      description:
        'Smallest resize factor; sizes are drawn in [rate·H, H] (default 0.9, torchattacks).'
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
