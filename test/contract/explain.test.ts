import { describe, expect, it } from 'vitest'
import { CHANNELS, parseArgs } from '../../src/contract/requests'

describe('explanation channels', () => {
  it('exist beside the audit channels and name their bad arguments', () => {
    for (const c of [
      'explain.samples',
      'explain.adversarial',
      'explain.sanity',
      'explain.saliencyPgd',
      'explain.exportPng'
    ]) {
      expect(CHANNELS).toContain(c)
    }
    expect(() => parseArgs('explain.samples', { datasetId: 1, modelIds: [] })).toThrowError(
      /^modelIds: must have at least 1 item/
    )
    expect(() =>
      parseArgs('explain.adversarial', {
        datasetId: 1,
        modelId: 1,
        sampleIndex: 0,
        attack: 'fgsm',
        epsilon: 0.05
      })
    ).toThrowError(/^attack: must be one of "pgd", "saliency-pgd"/)
    expect(() =>
      parseArgs('explain.samples', { datasetId: 1, modelIds: [1], methods: ['lime'] })
    ).toThrowError(/^methods\[0\]/)
    expect(parseArgs('explain.sanity', { datasetId: 1, modelId: 2, count: 5 })).toEqual({
      datasetId: 1,
      modelId: 2,
      count: 5
    })
  })

  it('lets a training cap its validation images, and a model import name its dataset', () => {
    const base = {
      name: 'r',
      datasetId: 1,
      architecture: 'cnn',
      lambda: 0,
      penaltyForm: 'squared',
      epochs: 1
    }
    expect(parseArgs('models.train', { ...base, valLimit: 256 }).valLimit).toBe(256)
    expect(() => parseArgs('models.train', { ...base, valLimit: 0 })).toThrowError(
      /^valLimit: must be between 1/
    )
    expect(parseArgs('models.import', { path: '/m/model.json', datasetId: 3 })).toEqual({
      path: '/m/model.json',
      datasetId: 3
    })
  })
})
