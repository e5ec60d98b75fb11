/**
 * PGD — Projected Gradient Descent with a random start. Madry, Makelov, Schmidt, Tsipras,
 * Vladu, "Towards Deep Learning Models Resistant to Adversarial Attacks", ICLR 2018,
 * https://arxiv.org/abs/1706.06083
 *
 * x_0 = Π(x + U(−ε, ε)), x_{t+1} = Π(x_t + α·sign(∇_x L(x_t, y))).
 * Defaults: 10 steps, α = 2.5·ε / steps (the rule of Madry's group, robustness library): with a
 * random start, α = ε/steps could not cross the ball; 2.5ε/steps can reach any corner.
 * The random start of sample i is drawn from seed ⊕ i (its position in the input), so it does
 * not depend on the batch size and a run with the same seed repeats exactly.
 */
import { tf } from '../tf'
import type { Tensor4D } from '../tf'
import { commonParams } from './base'
import { sign } from './direction'
import { seedParam, stepSizeParam, stepsParam } from './params'
import { createRng, deriveSeed } from './random'
import type { AttackDefinition } from './types'

/** Uniform noise in [−ε, ε] for samples first..first+n−1, one seeded stream per sample. */
export function uniformStart(
  shape: number[],
  epsilon: number,
  seed: number,
  first: number
): Float32Array {
  const [n, ...rest] = shape
  const per = rest.reduce((a, b) => a * b, 1)
  const out = new Float32Array((n ?? 0) * per)
  for (let i = 0; i < (n ?? 0); i++) {
    const rng = createRng(deriveSeed(seed, first + i))
    for (let k = 0; k < per; k++) out[i * per + k] = (2 * rng() - 1) * epsilon
  }
  return out
}

export const pgd: AttackDefinition = {
  id: 'pgd',
  name: 'PGD',
  paper: 'https://arxiv.org/abs/1706.06083',
  defaultsFrom:
    'Madry et al. 2018 / robustness library: 10 steps, α = 2.5·ε / steps, uniform random start.',
  params: [
    ...commonParams,
    stepsParam(10, 'Madry et al. 2018'),
    stepSizeParam('2.5 · ε / steps'),
    seedParam
  ],
  resolve: (c) => {
    const steps = c.steps ?? 10
    return {
      epsilon: c.epsilon,
      batchSize: c.batchSize ?? 100,
      steps,
      stepSize: c.stepSize ?? Math.min(1, (2.5 * c.epsilon) / steps),
      decay: 0,
      seed: c.seed ?? 0,
      diversityProb: 0,
      resizeRate: 1
    }
  },
  createStepper: (cfg) => ({
    start(x0: Tensor4D, first: number) {
      const noise = uniformStart(x0.shape, cfg.epsilon, cfg.seed, first)
      return tf.add(x0, tf.tensor(noise, x0.shape)) as Tensor4D
    },
    direction: sign,
    dispose: () => {}
  })
}
