/** Parameter specs shared by several attacks, so ranges are declared once. */
import type { AttackParamSpec } from './types'

export function stepsParam(defaultSteps: number, source: string): AttackParamSpec {
  return {
    name: 'steps',
    label: 'Iterations',
    kind: 'integer',
    min: 1,
    max: 1000,
    default: defaultSteps,
    description: `Gradient steps (default ${defaultSteps}, ${source}).`
  }
}

export function stepSizeParam(rule: string): AttackParamSpec {
  return {
    name: 'stepSize',
    label: 'Step size α',
    kind: 'number',
    min: 0,
    max: 1,
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
    min: 0,
    max: 10,
    default: defaultDecay,
    description: `Weight of the accumulated gradient (default ${defaultDecay}, ${source}); 0 disables momentum.`
  }
}

export const seedParam: AttackParamSpec = {
  name: 'seed',
  label: 'Random seed',
  kind: 'integer',
  min: 0,
  max: 2 ** 32 - 1,
  default: 0,
  description: 'Seed of the random start / input diversity; the same seed repeats the run.'
}

