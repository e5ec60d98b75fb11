/**
 * The settings of one training, shared by the train request and the experiment plan's request
 * (every model a plan trains takes them). Absent settings take the engine's defaults
 * (engine/training/train.ts DEFAULT_TRAIN_CONFIG), which are today's: Adam 1e-3, a constant
 * rate, no weight decay, no augmentation — so a request stored before these settings existed
 * re-runs to the same weights.
 */
import { LIMITS } from './limits'
import { LR_SCHEDULES, OPTIMIZERS, PENALTY_FORMS } from './names'
import { s, ValidationError } from './validate'

const seed = s.int(LIMITS.seed)

/**
 * Standard augmentation for CIFAR-style data (He et al. 2016 §4.2): a random crop of the
 * image zero-padded by `cropPadding` pixels on each side, and a horizontal flip with
 * probability ½. Flips are off unless asked: on digits and text a mirrored image is another
 * glyph (or none), and the built-in Fashion-MNIST shoes all point one way. Draws are seeded
 * by the training's seed, so a run stays bit-reproducible.
 */
export const augmentSettings = s.object({
  /** Pixels of zero padding around the random crop; 0 = no crop. */
  cropPadding: s.optional(s.int(LIMITS.cropPadding)),
  /** Mirror left–right with probability ½. */
  flip: s.optional(s.boolean())
})

/** Training settings other than what is trained (name, dataset, architecture, reference). */
export const trainSettingsShape = {
  /** Thesis: 0 ordinary, 5, 30 (CIFAR default), 100. */
  lambda: s.optional(s.number(LIMITS.lambda)),
  penaltyForm: s.optional(s.literal(...PENALTY_FORMS)),
  epochs: s.optional(s.int(LIMITS.epochs)),
  batchSize: s.optional(s.int(LIMITS.batchSize)),
  /** The first learning rate (Adam default 1e-3; He et al.'s SGD: 0.1). */
  learningRate: s.optional(s.number(LIMITS.learningRate)),
  /** 'adam' (default; tf.train.adam) or 'sgd' (torch.optim.SGD's update). */
  optimizer: s.optional(s.literal(...OPTIMIZERS)),
  /** SGD's momentum μ (default 0.9 with SGD). */
  momentum: s.optional(s.number(LIMITS.sgdMomentum)),
  /** Nesterov momentum (SGD; needs μ > 0). */
  nesterov: s.optional(s.boolean()),
  /** L2 weight decay added to every gradient (default 0; He et al.: 1e-4). */
  weightDecay: s.optional(s.number(LIMITS.weightDecay)),
  /** 'constant' (default), 'step' (MultiStepLR: × γ at each milestone) or 'cosine' (CosineAnnealingLR over the epochs). */
  schedule: s.optional(s.literal(...LR_SCHEDULES)),
  /** Epochs after which the step schedule multiplies the rate by γ (He et al.: 82, 123 of 164). */
  milestones: s.optional(s.array(s.int(LIMITS.epochs), LIMITS.lrMilestones)),
  /** The step schedule's factor (default 0.1). */
  gamma: s.optional(s.number(LIMITS.lrGamma)),
  /** The cosine schedule's floor η_min (default 0). */
  minLearningRate: s.optional(s.number({ min: 0, max: LIMITS.learningRate.max })),
  augment: s.optional(augmentSettings),
  validateEvery: s.optional(s.int(LIMITS.validateEvery)),
  patience: s.optional(s.int(LIMITS.patience)),
  /** Training images per epoch (seeded subset); default all. */
  trainLimit: s.optional(s.int(LIMITS.trainLimit)),
  /** Validation images used at each check (accuracy; δ on at most 500 of them); default 2000. */
  valLimit: s.optional(s.int(LIMITS.valLimit)),
  seed: s.optional(seed)
}

/** The cross-field rules of the optimiser settings; throws a ValidationError naming the field. */
export function checkOptimizerSettings(r: {
  optimizer?: string
  momentum?: number
  nesterov?: boolean
  schedule?: string
  milestones?: number[]
  gamma?: number
  minLearningRate?: number
  learningRate?: number
}): void {
  const optimizer = r.optimizer ?? 'adam'
  if (optimizer !== 'sgd' && (r.momentum !== undefined || r.nesterov !== undefined)) {
    throw new ValidationError(
      r.momentum !== undefined ? 'momentum' : 'nesterov',
      'momentum and nesterov are settings of the sgd optimizer'
    )
  }
  // torch.optim.SGD: "Nesterov momentum requires a momentum and zero dampening".
  if (r.nesterov && r.momentum === 0)
    throw new ValidationError('nesterov', 'Nesterov momentum needs a momentum above 0')
  const schedule = r.schedule ?? 'constant'
  if (schedule !== 'step' && (r.milestones !== undefined || r.gamma !== undefined)) {
    throw new ValidationError(
      r.milestones !== undefined ? 'milestones' : 'gamma',
      'milestones and gamma are settings of the step schedule'
    )
  }
  if (schedule === 'step' && (r.milestones === undefined || r.milestones.length === 0))
    throw new ValidationError('milestones', 'the step schedule needs at least one milestone epoch')
  if (r.milestones && r.milestones.some((m, i) => i > 0 && m <= r.milestones![i - 1]!))
    throw new ValidationError('milestones', 'must be increasing epochs')
  if (schedule !== 'cosine' && r.minLearningRate !== undefined)
    throw new ValidationError(
      'minLearningRate',
      'minLearningRate is a setting of the cosine schedule'
    )
  if (
    r.minLearningRate !== undefined &&
    r.learningRate !== undefined &&
    r.minLearningRate > r.learningRate
  )
    throw new ValidationError('minLearningRate', 'must not exceed the learning rate')
}
