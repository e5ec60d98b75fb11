/**
 * The plan request and the training settings as the contract checks them: the window, the
 * command line and a re-run all pass through these rules, each naming the field at fault.
 */
import { describe, expect, it } from 'vitest'
import { parseArgs } from '../../src/contract/requests'

const plan = { datasetId: 1, architectures: ['cnn'], lambdas: [0, 5, 30], seeds: 3 }
const fails = (channel: 'plans.run' | 'models.train', args: object) => () =>
  parseArgs(channel, args)

describe('plan requests', () => {
  it('accept the thesis plan and keep it as sent', () => {
    const r = parseArgs('plans.run', {
      ...plan,
      referenceId: 4,
      training: {
        epochs: 4,
        optimizer: 'sgd',
        momentum: 0.9,
        nesterov: true,
        schedule: 'step',
        milestones: [2, 3]
      },
      evaluation: {
        attacks: ['pgd'],
        epsilons: [0.01, 0.05],
        sampleCount: 200,
        whiteBox: true,
        sourceIds: [7]
      }
    })
    expect(r.lambdas).toEqual([0, 5, 30])
    expect(r.training?.milestones).toEqual([2, 3])
  })

  it('refuse lists with repeats, too many models and a reference listed as a source', () => {
    expect(fails('plans.run', { ...plan, lambdas: [5, 5] })).toThrow(/lambdas: lists a λ twice/)
    expect(fails('plans.run', { ...plan, architectures: ['cnn', 'cnn'] })).toThrow(
      /architectures: lists an architecture twice/
    )
    expect(
      fails('plans.run', { ...plan, lambdas: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], seeds: 20 })
    ).toThrow(/seeds: the plan would train 221 models; at most 200/)
    expect(fails('plans.run', { ...plan, referenceId: 3, evaluation: { sourceIds: [3] } })).toThrow(
      /evaluation.sourceIds: the reference is always a source/
    )
    expect(fails('plans.run', { ...plan, seeds: 0 })).toThrow(/seeds/)
    // λ and the seed are the plan's own, not training settings.
    expect(fails('plans.run', { ...plan, training: { lambda: 30 } })).toThrow(/training.lambda/)
  })

  it('check the optimiser settings inside the plan’s training, naming the path', () => {
    expect(fails('plans.run', { ...plan, training: { momentum: 0.9 } })).toThrow(
      /training.momentum: momentum and nesterov are settings of the sgd optimizer/
    )
    expect(fails('plans.run', { ...plan, training: { schedule: 'step' } })).toThrow(
      /training.milestones: the step schedule needs at least one milestone epoch/
    )
  })
})

describe('training settings', () => {
  const train = { name: 'm', datasetId: 1, architecture: 'cnn' }
  it('accept SGD with Nesterov, weight decay, a schedule and augmentation', () => {
    const r = parseArgs('models.train', {
      ...train,
      optimizer: 'sgd',
      learningRate: 0.1,
      momentum: 0.9,
      nesterov: true,
      weightDecay: 1e-4,
      schedule: 'step',
      milestones: [82, 123],
      gamma: 0.1,
      augment: { cropPadding: 4, flip: true }
    })
    expect(r.augment).toEqual({ cropPadding: 4, flip: true })
  })

  it('refuse settings of another optimiser or schedule, and impossible ones', () => {
    expect(fails('models.train', { ...train, nesterov: true })).toThrow(
      /nesterov: momentum and nesterov are settings of the sgd optimizer/
    )
    expect(
      fails('models.train', { ...train, optimizer: 'sgd', momentum: 0, nesterov: true })
    ).toThrow(/Nesterov momentum needs a momentum above 0/)
    expect(fails('models.train', { ...train, gamma: 0.5 })).toThrow(
      /gamma: milestones and gamma are settings of the step schedule/
    )
    expect(fails('models.train', { ...train, schedule: 'step', milestones: [5, 3] })).toThrow(
      /milestones: must be increasing/
    )
    expect(fails('models.train', { ...train, minLearningRate: 0.1 })).toThrow(
      /minLearningRate is a setting of the cosine schedule/
    )
    expect(
      fails('models.train', {
        ...train,
        schedule: 'cosine',
        learningRate: 0.01,
        minLearningRate: 0.1
      })
    ).toThrow(/minLearningRate: must not exceed the learning rate/)
    expect(fails('models.train', { ...train, momentum: 1.5, optimizer: 'sgd' })).toThrow(/momentum/)
    expect(fails('models.train', { ...train, augment: { cropPadding: 33 } })).toThrow(
      /augment.cropPadding/
    )
  })
})
