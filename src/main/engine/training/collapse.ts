/**
 * Collapse detection. A strong penalty can make a network "win" by becoming useless: dead
 * ReLUs or saturated logits give zero input gradients (δ = 0 trivially, and as an attack
 * target it shows a fake 0 % fooling ratio), or the loss diverges. Such a model is stopped
 * and reported, never saved as ready.
 */
export interface CollapseReport {
  kind: 'non-finite' | 'chance-accuracy' | 'vanishing-gradients'
  message: string
}

/** Accuracy this close to 1/K (absolute points) counts as chance. */
export const CHANCE_MARGIN = 0.05
/** M's input-gradient norm below this fraction of the reference's counts as vanishing. */
export const VANISHING_RATIO = 1e-3
/** Without a reference: absolute input-gradient norm regarded as vanishing. */
export const VANISHING_ABSOLUTE = 1e-7

export function checkFinite(loss: number, epoch: number, step: number): CollapseReport | undefined {
  if (Number.isFinite(loss)) return undefined
  return {
    kind: 'non-finite',
    message: `The loss became ${loss} at epoch ${epoch}, step ${step}: training diverged`
  }
}

export function checkEvaluation(args: {
  valAccuracy: number
  numClasses: number
  gradNorm: number
  referenceGradNorm?: number
}): CollapseReport | undefined {
  const chance = 1 / args.numClasses
  if (!Number.isFinite(args.valAccuracy) || args.valAccuracy <= chance + CHANCE_MARGIN) {
    return {
      kind: 'chance-accuracy',
      message: `Validation accuracy ${(100 * args.valAccuracy).toFixed(1)} % is at chance level (${(100 * chance).toFixed(1)} %)`
    }
  }
  const threshold =
    args.referenceGradNorm !== undefined
      ? args.referenceGradNorm * VANISHING_RATIO
      : VANISHING_ABSOLUTE
  if (!(args.gradNorm > threshold)) {
    return {
      kind: 'vanishing-gradients',
      message: `Input gradients vanished (mean norm ${args.gradNorm.toExponential(2)} < ${threshold.toExponential(2)}): the model no longer responds to its input`
    }
  }
  return undefined
}
