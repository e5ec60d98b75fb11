/**
 * The training loop of thesis Algorithm 7: mini-batch steps on CE + λ·P(δ), a validation
 * check every `validateEvery` epochs (thesis: 20) that stops when accuracy stops improving or at
 * the epoch cap, collapse detection, best-checkpoint keeping, progress and cancellation.
 * λ = 0 is ordinary training.
 */
import type { Classifier } from '../models/types'
import type { Network, SerializedWeights } from '../models/network'
import type { ImageDataset } from '../data/types'
import { labelsTensor, toFloatBatch } from '../data/batches'
import { mulberry32, range, seededShuffle } from '../data/split'
import { DEFAULT_PENALTY, type PenaltyForm, PENALTY_FORMS } from './penalty'
import { LIMITS, within, type Limit } from '../../../contract/limits'
import { trainStep, type StepMetrics } from './steps'
import { accuracy, similarity, type SimilarityStats } from './evaluate'
import { checkEvaluation, checkFinite, type CollapseReport } from './collapse'
import { createOptimizer } from './optimizers'
import { learningRates } from './schedules'
import { augmentedBatch, augments, type AugmentSettings } from './augment'
import {
  LR_SCHEDULES,
  OPTIMIZERS,
  type LrScheduleName,
  type OptimizerName
} from '../../../contract/names'

/**
 * Every setting of a training, named as the contract's train request names them
 * (contract/requests.ts trainRequest), so a run records one vocabulary from request to loop.
 */
export interface TrainConfig {
  /** Epoch cap. */
  epochs: number
  batchSize: number
  /** The first learning rate (the replication in SPEC §2.4 used Adam 1e-3). */
  learningRate: number
  /** tf's Adam (default) or torch.optim.SGD's update (optimizers.ts). */
  optimizer: OptimizerName
  /** SGD's momentum μ (0 = plain SGD). */
  momentum: number
  /** SGD's Nesterov momentum (needs μ > 0). */
  nesterov: boolean
  /** L2 weight decay added to every gradient. */
  weightDecay: number
  /** The rate per epoch: constant, step (MultiStepLR) or cosine (CosineAnnealingLR); schedules.ts. */
  schedule: LrScheduleName
  /** Step schedule: epochs after which the rate is multiplied by `gamma`. */
  milestones: number[]
  gamma: number
  /** Cosine schedule: the floor η_min. */
  minLearningRate: number
  /** Random crop with zero padding and horizontal flip of the training images (augment.ts). */
  augment: AugmentSettings
  seed: number
  /** 0 = ordinary training; thesis: 5, 30, 100 (30 for CIFAR). */
  lambda: number
  penaltyForm: PenaltyForm
  /** Epochs between validation checks (thesis: 20). The last epoch is always checked. */
  validateEvery: number
  /** Checks without improvement before stopping (Algorithm 7 stops at the first: 1). */
  patience: number
  /** Use at most this many training images per epoch (seeded subset); 0 = all. */
  trainLimit: number
  /** Validation images used for accuracy at each check; 0 = all. */
  valLimit: number
  /** Validation images used for δ at each check (the first of the accuracy ones). */
  deltaLimit: number
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  epochs: 6,
  batchSize: 64,
  learningRate: 1e-3,
  optimizer: 'adam',
  momentum: 0,
  nesterov: false,
  weightDecay: 0,
  schedule: 'constant',
  milestones: [],
  gamma: 0.1,
  minLearningRate: 0,
  augment: { cropPadding: 0, flip: false },
  seed: 1,
  lambda: 0,
  penaltyForm: DEFAULT_PENALTY,
  validateEvery: 1,
  patience: 2,
  trainLimit: 0,
  valLimit: 2000,
  deltaLimit: 500
}

/**
 * Checks a configuration up front against the contract's declared limits (one declaration for
 * the window, the command line and the engine); the message names the bad setting. The caps
 * take 0 for "all".
 */
export function validateTrainConfig(c: TrainConfig): void {
  const int = (name: keyof TrainConfig, limit: Limit) => {
    const v = c[name] as number
    if (!Number.isInteger(v) || !within(limit, v))
      throw new RangeError(`${name} must be an integer in [${limit.min}, ${limit.max}], got ${v}`)
  }
  const orAll = (limit: Limit): Limit => ({ min: 0, max: limit.max })
  int('epochs', LIMITS.epochs)
  int('batchSize', LIMITS.batchSize)
  int('validateEvery', LIMITS.validateEvery)
  int('patience', LIMITS.patience)
  int('trainLimit', orAll(LIMITS.trainLimit))
  int('valLimit', orAll(LIMITS.valLimit))
  int('deltaLimit', { min: 1, max: LIMITS.valLimit.max })
  int('seed', LIMITS.seed)
  const { learningRate: lr, lambda } = LIMITS
  if (!within(lr, c.learningRate))
    throw new RangeError(`learningRate must be in [${lr.min}, ${lr.max}], got ${c.learningRate}`)
  if (!within(lambda, c.lambda))
    throw new RangeError(`lambda must be in [${lambda.min}, ${lambda.max}], got ${c.lambda}`)
  if (!OPTIMIZERS.includes(c.optimizer))
    throw new RangeError(`optimizer must be one of ${OPTIMIZERS.join(', ')}, got ${c.optimizer}`)
  if (!LR_SCHEDULES.includes(c.schedule))
    throw new RangeError(`schedule must be one of ${LR_SCHEDULES.join(', ')}, got ${c.schedule}`)
  const inLimit = (name: string, limit: Limit, v: number) => {
    if (!Number.isFinite(v) || !within(limit, v))
      throw new RangeError(`${name} must be in [${limit.min}, ${limit.max}], got ${v}`)
  }
  inLimit('momentum', LIMITS.sgdMomentum, c.momentum)
  inLimit('weightDecay', LIMITS.weightDecay, c.weightDecay)
  inLimit('gamma', LIMITS.lrGamma, c.gamma)
  inLimit('minLearningRate', { min: 0, max: c.learningRate }, c.minLearningRate)
  if (c.nesterov && c.momentum <= 0) throw new RangeError('nesterov needs a momentum above 0')
  if (c.schedule === 'step' && c.milestones.length === 0)
    throw new RangeError('the step schedule needs at least one milestone')
  for (const m of c.milestones)
    if (!Number.isInteger(m) || !within(LIMITS.epochs, m))
      throw new RangeError(
        `milestones must be epochs in [${LIMITS.epochs.min}, ${LIMITS.epochs.max}], got ${m}`
      )
  const pad = c.augment.cropPadding
  if (!Number.isInteger(pad) || !within(LIMITS.cropPadding, pad))
    throw new RangeError(
      `augment.cropPadding must be an integer in [${LIMITS.cropPadding.min}, ${LIMITS.cropPadding.max}], got ${pad}`
    )
  if (typeof c.augment.flip !== 'boolean')
    throw new RangeError(`augment.flip must be true or false`)
  if (!PENALTY_FORMS.includes(c.penaltyForm))
    throw new RangeError(
      `penaltyForm must be one of ${PENALTY_FORMS.join(', ')}, got ${c.penaltyForm}`
    )
}

/** The augmentation stream's seed for an epoch (a hash of the training seed and the epoch). */
function augmentSeed(seed: number, epoch: number): number {
  return (Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(epoch, 0x85ebca6b) ^ 0x5bd1e995) >>> 0
}

export interface EpochRecord {
  epoch: number
  trainLoss: number
  trainAccuracy: number
  crossEntropy: number
  penalty: number
  /** Mean signed δ to the reference over the epoch's training batches. */
  trainDelta: number
  valAccuracy?: number
  valDelta?: SimilarityStats
  /** The rate this epoch trained at (the schedule's). */
  learningRate: number
  seconds: number
}

export interface StepProgress {
  epoch: number
  step: number
  stepsPerEpoch: number
  fraction: number
  etaSeconds: number
  metrics: StepMetrics
}

export interface TrainHooks {
  signal?: AbortSignal
  onStep?(p: StepProgress): void
  onEpoch?(record: EpochRecord): void
  /** Called with the weights whenever validation accuracy reaches a new best. */
  onCheckpoint?(weights: SerializedWeights, record: EpochRecord): void
}

export type TrainStatus = 'completed' | 'early-stopped' | 'cancelled' | 'collapsed'

export interface TrainOutcome {
  status: TrainStatus
  collapse?: CollapseReport
  epochsRun: number
  bestEpoch: number
  bestValAccuracy: number
  history: EpochRecord[]
  seconds: number
}

/**
 * Trains `net` in place on `ds`. With a `reference` and λ > 0 it is orthogonal training
 * against that frozen model. On return `net` holds the best checkpoint (by validation
 * accuracy) when one exists, also after cancellation.
 */
export async function trainNetwork(
  net: Network,
  ds: ImageDataset,
  config: TrainConfig,
  reference: Classifier | undefined,
  hooks: TrainHooks = {}
): Promise<TrainOutcome> {
  validateTrainConfig(config)
  if (config.lambda > 0 && !reference) throw new RangeError('lambda > 0 needs a reference model')
  const shapeOf = (s: readonly number[]) => s.join('x')
  if (shapeOf(net.inputShape) !== shapeOf([ds.height, ds.width, ds.channels])) {
    throw new RangeError(
      `Model input ${shapeOf(net.inputShape)} does not match dataset images ${ds.height}x${ds.width}x${ds.channels}`
    )
  }
  const started = performance.now()
  const optimizer = createOptimizer(net.trainableVariables(), config)
  const rates = learningRates(config, config.epochs)
  const augment = augments(config.augment) ? config.augment : undefined
  const ortho =
    reference && config.lambda > 0
      ? { reference, lambda: config.lambda, form: config.penaltyForm }
      : undefined

  const pick = (count: number, n: number, seed: number) => {
    const all = seededShuffle(range(count), seed)
    return n > 0 ? all.slice(0, Math.min(n, count)) : all
  }
  const trainPool = pick(ds.train.count, config.trainLimit, config.seed)
  const valIndices = pick(ds.validation.count, config.valLimit, config.seed + 1)
  const deltaIndices = valIndices.slice(0, config.deltaLimit)
  const stepsPerEpoch = Math.ceil(trainPool.length / config.batchSize)
  const totalSteps = stepsPerEpoch * config.epochs

  const history: EpochRecord[] = []
  let best = { epoch: 0, accuracy: -1, weights: undefined as SerializedWeights | undefined }
  let checksWithoutGain = 0
  let status: TrainStatus = 'completed'
  let collapse: CollapseReport | undefined
  let stepsDone = 0
  const stepStart = performance.now()

  try {
    epochs: for (let epoch = 1; epoch <= config.epochs; epoch++) {
      const epochStart = performance.now()
      const order = seededShuffle(trainPool, mulberry32(config.seed * 1009 + epoch))
      optimizer.learningRate = rates[epoch - 1]!
      // A stream of its own per epoch, apart from the shuffle's: the same seed gives the same
      // crops and flips whatever the batch size.
      const augmentRng = augment ? mulberry32(augmentSeed(config.seed, epoch)) : undefined
      const sums = { loss: 0, acc: 0, ce: 0, penalty: 0, delta: 0, n: 0 }
      for (let step = 0; step < stepsPerEpoch; step++) {
        if (hooks.signal?.aborted) {
          status = 'cancelled'
          break epochs
        }
        const batch = order.slice(step * config.batchSize, (step + 1) * config.batchSize)
        const x = augmentRng
          ? augmentedBatch(ds.train, batch, ds, augment!, augmentRng)
          : toFloatBatch(ds.train, batch, ds)
        const y = labelsTensor(ds.train, batch)
        let metrics: StepMetrics
        try {
          metrics = trainStep(net, optimizer, x, y, ortho)
        } finally {
          x.dispose()
          y.dispose()
        }
        collapse = checkFinite(metrics.loss, epoch, step + 1)
        if (collapse) {
          status = 'collapsed'
          break epochs
        }
        sums.loss += metrics.loss
        sums.acc += metrics.accuracy
        sums.ce += metrics.crossEntropy
        sums.penalty += ortho ? metrics.penalty : 0
        sums.delta += ortho ? metrics.delta : 0
        sums.n++
        stepsDone++
        const perStep = (performance.now() - stepStart) / 1000 / stepsDone
        hooks.onStep?.({
          epoch,
          step: step + 1,
          stepsPerEpoch,
          fraction: stepsDone / totalSteps,
          etaSeconds: perStep * (totalSteps - stepsDone),
          metrics
        })
        // Lets a worker receive its cancel message between steps.
        await new Promise((resolve) => setImmediate(resolve))
      }
      const record: EpochRecord = {
        epoch,
        trainLoss: sums.loss / sums.n,
        trainAccuracy: sums.acc / sums.n,
        crossEntropy: sums.ce / sums.n,
        penalty: ortho ? sums.penalty / sums.n : NaN,
        trainDelta: ortho ? sums.delta / sums.n : NaN,
        learningRate: optimizer.learningRate,
        seconds: (performance.now() - epochStart) / 1000
      }
      const isCheck = epoch % config.validateEvery === 0 || epoch === config.epochs
      if (isCheck) {
        record.valAccuracy = accuracy(net, ds, ds.validation, valIndices)
        const ownGrad = reference
          ? similarity(reference, net, ds, ds.validation, deltaIndices)
          : similarity(net, net, ds, ds.validation, deltaIndices.slice(0, 64))
        if (reference) record.valDelta = ownGrad
        collapse = checkEvaluation({
          valAccuracy: record.valAccuracy,
          numClasses: net.numClasses,
          gradNorm: ownGrad.gradNormB,
          referenceGradNorm: reference ? ownGrad.gradNormA : undefined
        })
      }
      history.push(record)
      hooks.onEpoch?.(record)
      if (collapse) {
        status = 'collapsed'
        break
      }
      if (record.valAccuracy !== undefined) {
        if (record.valAccuracy > best.accuracy) {
          best = { epoch, accuracy: record.valAccuracy, weights: net.exportWeights() }
          checksWithoutGain = 0
          hooks.onCheckpoint?.(best.weights!, record)
        } else if (++checksWithoutGain >= config.patience) {
          status = 'early-stopped'
          break
        }
      }
    }
  } finally {
    optimizer.dispose()
  }
  if (best.weights && status !== 'collapsed') net.loadWeights(best.weights)
  return {
    status,
    collapse,
    epochsRun: history.length,
    bestEpoch: best.epoch,
    bestValAccuracy: best.accuracy,
    history,
    seconds: (performance.now() - started) / 1000
  }
}
