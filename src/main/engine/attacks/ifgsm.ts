/**
 * I-FGSM / BIM — Basic Iterative Method. Kurakin, Goodfellow, Bengio, "Adversarial Examples in
 * the Physical World", ICLR Workshop 2017, https://arxiv.org/abs/1607.02533
 *
 * x_{t+1} = Clip_{x,ε}(x_t + α·sign(∇_x L(x_t, y))), starting at the clean image.
 * Defaults: 10 steps and α = ε/steps, as Dong et al. 2018 use for I-FGSM and MI-FGSM. Kurakin's
 * own rule (α = 1/255, steps = min(255ε + 4, 1.25·255ε)) ties the step count to ε, which makes
 * a sweep up to ε = 0.08 cost 25 steps per point and ε < 1/255 never reach the budget;
 * α = ε/steps reaches the ε-ball boundary exactly for every ε in the sweep.
 */
import { commonParams } from './base'
import { sign } from './direction'
import { stepSizeParam, stepsParam } from './params'
import type { AttackDefinition } from './types'

export const ifgsm: AttackDefinition = {
  id: 'ifgsm',
  name: 'I-FGSM (BIM)',
  paper: 'https://arxiv.org/abs/1607.02533',
  defaultsFrom: 'Dong et al. 2018 settings for I-FGSM: 10 steps, α = ε / steps.',
  params: [...commonParams, stepsParam(10, 'Dong et al. 2018'), stepSizeParam('ε / steps')],
  resolve: (c) => {
    const steps = c.steps ?? 10
    return {
      epsilon: c.epsilon,
      batchSize: c.batchSize ?? 100,
      steps,
      stepSize: c.stepSize ?? c.epsilon / steps,
      decay: 0,
      seed: 0,
      diversityProb: 0,
      resizeRate: 1
    }
  },
  createStepper: () => ({ direction: sign, dispose: () => {} })
}
