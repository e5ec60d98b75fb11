/**
 * Parameter specs shared by several attacks. Their ranges are the contract's declared limits
 * (contract/limits.ts), so a request the window or the command line accepts is one the attack
 * runs, and the other way round.
 */
import { LIMITS } from '../../../contract/limits'
import type { AttackParamSpec } from './types'

export function stepsParam(defaultSteps: number, source: string): AttackParamSpec {
  return {
    name: 'steps',
    label: 'Iterations',
    kind: 'integer',
    ...LIMITS.steps,
    default: defaultSteps,
    description: `Gradient steps (default ${defaultSteps}, ${source}).`
  }
}

export function stepSizeParam(rule: string): AttackParamSpec {
  return {
    name: 'stepSize',
    label: 'Step size α',
    kind: 'number',
    ...LIMITS.stepSize,
    default: null,
    defaultRule: rule,
    description: `Change per iteration, fraction of the dynamic range (default ${rule}).`
  }
}

export function decayParam(defaultDecay: number, source: string): AttackParamSpec {
  return {
    name: 'decay',
    label: 'Momentum decay μ',
    kind: 'number',
    ...LIMITS.decay,
    default: defaultDecay,
    description: `Weight of the accumulated gradient (default ${defaultDecay}, ${source}); 0 disables momentum.`
  }
}

export const seedParam: AttackParamSpec = {
  name: 'seed',
  label: 'Random seed',
  kind: 'integer',
  ...LIMITS.seed,
  default: 0,
  description: 'Seed of the random start / input diversity; the same seed repeats the run.'
}
