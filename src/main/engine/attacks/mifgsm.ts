/**
 * MI-FGSM — Momentum Iterative FGSM. Dong, Liao, Pang, Su, Zhu, Hu, Li, "Boosting Adversarial
 * Attacks with Momentum", CVPR 2018, https://arxiv.org/abs/1710.06081
 *
 * g_{t+1} = μ·g_t + ∇_x L(x_t, y) / ‖∇_x L(x_t, y)‖₁ (per sample), x_{t+1} = Clip_{x,ε}(x_t +
 * α·sign(g_{t+1})). Defaults from the paper: μ = 1.0, 10 steps, α = ε / steps. With μ = 0 it is
 * exactly I-FGSM (the L1 normalisation does not change a sign).
 */
import { commonParams } from './base'
import { momentum } from './direction'
import { decayParam, stepSizeParam, stepsParam } from './params'
import type { AttackDefinition } from './types'

export const mifgsm: AttackDefinition = {
  id: 'mifgsm',
  name: 'MI-FGSM',
  paper: 'https://arxiv.org/abs/1710.06081',
  defaultsFrom: 'Dong et al. 2018: μ = 1.0, 10 steps, α = ε / steps.',
  params: [
    ...commonParams,
    stepsParam(10, 'Dong et al. 2018'),
    stepSizeParam('ε / steps'),
    decayParam(1.0, 'Dong et al. 2018')
  ],
  resolve: (c) => {
    const steps = c.steps ?? 10
    return {
      epsilon: c.epsilon,
      batchSize: c.batchSize ?? 100,
      steps,
      stepSize: c.stepSize ?? c.epsilon / steps,
      decay: c.decay ?? 1.0,
      seed: 0,
      diversityProb: 0,
      resizeRate: 1
    }
  },
  createStepper: (cfg) => momentum(cfg.decay)
}
