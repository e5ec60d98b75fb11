/**
 * Sanity flags (Carlini et al. 2019, "On Evaluating Adversarial Robustness",
 * https://arxiv.org/abs/1902.06705 §5; Athalye et al. 2018): symptoms that the white-box
 * figures overstate robustness, because the gradients the attacks follow are masked,
 * obfuscated or simply not the model's real behaviour:
 *  (a) at ε = 100 % the white-box attack must fool about every image (any image can become
 *      any other image);
 *  (b) a gradient-free attack (Square) must not find many adversarials every gradient attack
 *      missed;
 *  (c) more iterations must not lower the success;
 *  (d) white-box must not be weaker than transfer (the attacker with the gradients also has
 *      every transferred perturbation at hand).
 * Plus the accuracy cost: a model more than 5 points of clean accuracy below its reference.
 * A flag is data — its code and the numbers that raised it; the message is made from them.
 */
import type { Ratio } from './stats'
import { epsilonText, percent, points } from './wording'
import {
  DEFAULT_FLAG_THRESHOLDS,
  GRADIENT_THREATS,
  type FlagThresholds,
  type ModelEvaluation,
  type ModelRef,
  type SanityFlag
} from './robustnessTypes'

export interface FlagContext {
  reference?: ModelRef & { clean: Ratio }
  thresholds?: Partial<FlagThresholds>
}

/** a > b beyond float noise (0.92 − 0.87 is 0.05000000000000004, which is 5 points, not more). */
const exceeds = (a: number, b: number) => a - b > 1e-9

/** The flags a model's numbers raise (none when everything is consistent). */
export function sanityFlags(
  model: Omit<ModelEvaluation, 'flags'>,
  context: FlagContext = {}
): SanityFlag[] {
  const t = { ...DEFAULT_FLAG_THRESHOLDS, ...context.thresholds }
  const flags: SanityFlag[] = []
  const raise = (flag: Omit<SanityFlag, 'modelId'>) => flags.push({ modelId: model.id, ...flag })

  const large = model.checks.largeEpsilon
  if (large && large.ranOn > 0 && exceeds(t.largeEpsilonSuccess, large.success.value)) {
    raise({
      code: 'gradient-masking',
      epsilon: large.epsilon,
      values: {
        success: large.success.value,
        fooled: large.fooled,
        ranOn: large.ranOn,
        threshold: t.largeEpsilonSuccess
      },
      message:
        `At ε = ${epsilonText(large.epsilon)}, white-box PGD fooled only ${percent(large.success.value)} of ${large.ranOn} correctly ` +
        `classified images (it should fool about all of them): gradient masking suspected, so the white-box figures may overstate robustness.`
    })
  }

  for (const e of model.byEpsilon) {
    const n = e.worst.total
    const square = e.threats.find((r) => r.threat === 'square')
    const gradientRan = e.threats.some((r) => GRADIENT_THREATS.includes(r.threat))
    if (square && gradientRan && n > 0 && exceeds(square.fooled / n, t.gradientFreeMargin)) {
      raise({
        code: 'gradient-free-stronger',
        epsilon: e.epsilon,
        values: {
          fooled: square.fooled,
          samples: n,
          points: square.fooled / n,
          threshold: t.gradientFreeMargin
        },
        message:
          `At ε = ${epsilonText(e.epsilon)}, the gradient-free Square attack fooled ${square.fooled} of ${n} images ` +
          `(${points(square.fooled / n)} points of robust accuracy) that every gradient attack missed: the gradients may be masked.`
      })
    }
    const pgd = e.threats.find((r) => r.threat === 'pgd')
    for (const transferred of e.threats.filter(
      (r) => r.threat === 'transfer' || r.threat === 'ensemble'
    )) {
      if (!pgd) break
      const gap = pgd.robust.value - transferred.robust.value
      if (exceeds(gap, t.transferMargin)) {
        const what =
          transferred.threat === 'transfer'
            ? 'perturbations transferred from the source'
            : 'perturbations from the ensemble'
        raise({
          code: 'white-box-weaker-than-transfer',
          epsilon: e.epsilon,
          values: {
            whiteBoxRobust: pgd.robust.value,
            transferRobust: transferred.robust.value,
            gap,
            threshold: t.transferMargin
          },
          message:
            `At ε = ${epsilonText(e.epsilon)}, white-box PGD leaves ${percent(pgd.robust.value)} of images robust but ${what} only ` +
            `${percent(transferred.robust.value)}: an attacker with the model's own gradients should do at least as well, so the gradients may be masked.`
        })
      }
    }
  }

  const it = model.checks.iterations
  if (
    it &&
    it.ranOn > 0 &&
    exceeds((it.fewer.fooled - it.more.fooled) / it.ranOn, t.iterationsMargin)
  ) {
    raise({
      code: 'more-iterations-weaker',
      epsilon: it.epsilon,
      values: {
        fewerSteps: it.fewer.steps,
        moreSteps: it.more.steps,
        fewerSuccess: it.fewer.success.value,
        moreSuccess: it.more.success.value,
        ranOn: it.ranOn,
        threshold: t.iterationsMargin
      },
      message:
        `At ε = ${epsilonText(it.epsilon)}, PGD with ${it.more.steps} steps fooled ${percent(it.more.success.value)} of ${it.ranOn} images, ` +
        `fewer than with ${it.fewer.steps} steps (${percent(it.fewer.success.value)}): more iterations should not lower the success, so the gradients may be masked.`
    })
  }

  const ref = context.reference
  const cost = ref ? accuracyCostFlag(model, ref, t.accuracyCost) : undefined
  if (cost) flags.push(cost)
  return flags
}

/** A clean accuracy and, where known, the images it was measured on. */
export interface AccuracyOf {
  id: string
  name: string
  clean: { value: number; total?: number }
}

/**
 * The accuracy-cost flag alone: `model` more than `threshold` (default 5 points) of clean
 * accuracy below `reference`, or undefined. Used by the evaluation (both accuracies on the same
 * drawn images) and by the model list (each model's stored validation accuracy, which may rest
 * on different images: the sentence then names both counts).
 */
export function accuracyCostFlag(
  model: AccuracyOf,
  reference: AccuracyOf,
  threshold = DEFAULT_FLAG_THRESHOLDS.accuracyCost
): SanityFlag | undefined {
  const cost = reference.clean.value - model.clean.value
  if (reference.id === model.id || !exceeds(cost, threshold)) return undefined
  const [n, m] = [model.clean.total, reference.clean.total]
  const basis =
    n === undefined || m === undefined
      ? ''
      : n === m
        ? `, both on ${n} images`
        : `; measured on ${n} and ${m} images`
  return {
    code: 'accuracy-cost',
    modelId: model.id,
    values: {
      clean: model.clean.value,
      referenceClean: reference.clean.value,
      cost,
      threshold
    },
    message:
      `Clean accuracy ${percent(model.clean.value)} is ${points(cost)} points below the reference "${reference.name}" ` +
      `(${percent(reference.clean.value)}${basis}).`
  }
}
