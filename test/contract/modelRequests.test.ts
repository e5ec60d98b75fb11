/**
 * The model requests of issue 15 as the window and the command line send them: an ONNX import
 * with its declared preprocessing, an export format, a file inspection — each field bounded
 * by a declared limit and named when refused.
 */
import { describe, expect, it } from 'vitest'
import { LIMITS } from '../../src/contract/limits'
import { parseArgs } from '../../src/contract/requests'

const path = '/models/resnet18.onnx'

describe('models.import', () => {
  it('keeps a full declaration as sent', () => {
    const request = {
      path,
      name: 'resnet18',
      datasetId: 2,
      evalLimit: 500,
      preprocessing: {
        layout: 'NCHW',
        size: { height: 32, width: 32 },
        channels: 3,
        channelOrder: 'BGR',
        valueScale: 255,
        mean: [103.9, 116.8, 123.7],
        std: [1],
        classNames: ['cat', 'dog']
      }
    }
    expect(parseArgs('models.import', request)).toEqual(request)
    expect(parseArgs('models.import', { path })).toEqual({ path })
  })

  it('refuses what the engine could not use, naming the field and the limit', () => {
    const pre = (p: Record<string, unknown>) => () =>
      parseArgs('models.import', { path, preprocessing: p })
    expect(pre({ layout: 'CHWN' })).toThrow('preprocessing.layout: must be one of "NCHW", "NHWC"')
    expect(pre({ valueScale: 100 })).toThrow('preprocessing.valueScale: must be one of 1, 255')
    expect(pre({ size: { height: 0, width: 3 } })).toThrow(
      `preprocessing.size.height: must be between 1 and ${LIMITS.modelInputSide.max}`
    )
    expect(pre({ std: [0.2, 0] })).toThrow('preprocessing.std[1]: must be between 1e-9')
    expect(pre({ mean: [] })).toThrow('preprocessing.mean: must have at least 1 item(s)')
    expect(pre({ mean: new Array(65).fill(0) })).toThrow('must have at most 64 items')
    expect(pre({ classNames: ['only one'] })).toThrow(
      'preprocessing.classNames: must have at least 2'
    )
    expect(pre({ classNames: ['a', ''] })).toThrow(
      'preprocessing.classNames[1]: must have at least 1'
    )
    expect(pre({ gamma: 2 })).toThrow('preprocessing.gamma: is not an accepted argument')
    expect(() => parseArgs('models.import', { path, evalLimit: 0 })).toThrow(
      /evalLimit: must be between 1/
    )
  })
})

describe('models.export and models.inspect', () => {
  it('an export format of onnx or layers; inspection takes a path only', () => {
    expect(parseArgs('models.export', { modelId: 1, path, format: 'onnx' })).toEqual({
      modelId: 1,
      path,
      format: 'onnx'
    })
    expect(() => parseArgs('models.export', { modelId: 1, path, format: 'pt' })).toThrow(
      'format: must be one of "onnx", "layers"'
    )
    expect(parseArgs('models.inspect', { path })).toEqual({ path })
    expect(() => parseArgs('models.inspect', { path, datasetId: 1 })).toThrow(
      'datasetId: is not an accepted argument'
    )
  })
})
