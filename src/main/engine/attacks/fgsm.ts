/**
 * FGSM — Fast Gradient Sign Method. Goodfellow, Shlens, Szegedy, "Explaining and Harnessing
 * Adversarial Examples", ICLR 2015, https://arxiv.org/abs/1412.6572
 *
 * One step of size ε along sign(∇_x L): x' = clip(x + ε·sign(∇_x L(x, y)), 0, 1).
 * No parameters beyond ε (as in torchattacks and ART).
 */
import { commonParams } from './base'
import { sign } from './direction'
import type { AttackDefinition } from './types'

export const fgsm: AttackDefinition = {
  id: 'fgsm',
  name: 'FGSM',
  paper: 'https://arxiv.org/abs/1412.6572',
  defaultsFrom: 'Goodfellow et al. 2015: a single step of size ε.',
  params: commonParams,
  resolve: (c) => ({
    epsilon: c.epsilon,
    batchSize: c.batchSize ?? 100,
    steps: 1,
    stepSize: c.epsilon,
    decay: 0,
    seed: 0,
    diversityProb: 0,
    resizeRate: 1
  }),
  createStepper: () => ({ direction: sign, dispose: () => {} })
}
