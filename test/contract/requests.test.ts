import { describe, expect, it } from 'vitest'
import { CHANNELS, isChannel, parseArgs, requestSchemas } from '../../src/contract/requests'
import { LIMITS, THESIS_LAMBDA } from '../../src/contract/limits'
import { ValidationError, s } from '../../src/contract/validate'

describe('contract validators', () => {
  it('accepts a well-formed training request and keeps only declared keys', () => {
    const args = parseArgs('models.train', {
      name: 'ortho',
      datasetId: 1,
      architecture: 'cnn',
      referenceId: 2,
      lambda: 30,
      penaltyForm: 'squared',
      epochs: 2,
      patience: 1
    })
    expect(args).toEqual({
      name: 'ortho',
      datasetId: 1,
      architecture: 'cnn',
      referenceId: 2,
      lambda: 30,
      penaltyForm: 'squared',
      epochs: 2,
      patience: 1
    })
  })

  it('names the bad argument in the error, with the one declared limit', () => {
    const bad = {
      name: 'x',
      datasetId: 1,
      architecture: 'cnn',
      referenceId: 2,
      lambda: 1001,
      penaltyForm: 'squared',
      epochs: 1
    }
    expect(LIMITS.lambda.max).toBe(1000)
    expect(() => parseArgs('models.train', bad)).toThrowError(/lambda: must be between 0 and 1000/)
    expect(() => parseArgs('models.train', { ...bad, lambda: Number.NaN })).toThrowError(
      /lambda: expected a finite number, got NaN/
    )
    expect(() =>
      parseArgs('models.train', { ...bad, lambda: 1, penaltyForm: 'cubic' })
    ).toThrowError(/penaltyForm: must be one of/)
    expect(() => parseArgs('models.train', { ...bad, lambda: 1, datasetId: '1' })).toThrowError(
      /datasetId: expected a finite number, got string/
    )
    expect(() => parseArgs('models.train', { ...bad, lambda: 1, datasetId: 0 })).toThrowError(
      /datasetId: must be between 1/
    )
  })

  it('accepts λ beyond the thesis slider (e.g. 150) and the patience the command line offers', () => {
    expect(THESIS_LAMBDA.max).toBe(100)
    const r = parseArgs('models.train', {
      name: 'x',
      datasetId: 1,
      architecture: 'cnn',
      referenceId: 2,
      lambda: 150,
      penaltyForm: 'absolute',
      patience: 1
    })
    expect(r.lambda).toBe(150)
    expect(r.patience).toBe(1)
  })

  it('checks rules across fields: a reference for λ > 0, the source outside the targets, three distinct table models', () => {
    const train = { name: 'x', datasetId: 1, architecture: 'cnn', lambda: 30 }
    expect(() => parseArgs('models.train', train)).toThrowError(
      new ValidationError('referenceId', 'orthogonal training (lambda > 0) needs a reference model')
    )
    expect(parseArgs('models.train', { ...train, lambda: 0 })).toEqual({ ...train, lambda: 0 })
    expect(() =>
      parseArgs('attacks.sweep', { datasetId: 1, sourceId: 2, targetIds: [3, 2] })
    ).toThrowError(/^targetIds: the source is always evaluated/)
    expect(() =>
      parseArgs('attacks.sweep', { datasetId: 1, sourceId: 2, targetIds: [3, 3] })
    ).toThrowError(/^targetIds: lists a model twice/)
    expect(() =>
      parseArgs('defenses.table', { datasetId: 1, sourceId: 2, ordinaryId: 3, orthogonalId: 2 })
    ).toThrowError(/^orthogonalId: source, ordinary/)
  })

  it('rejects unknown keys (untrusted renderer payloads)', () => {
    expect(() => parseArgs('projects.open', { path: '/a', __proto__x: 1 })).toThrowError(
      ValidationError
    )
    expect(() => parseArgs('projects.open', { path: '/a', extra: 1 })).toThrowError(
      /extra: is not an accepted argument/
    )
    expect(() =>
      parseArgs('attacks.sweep', {
        datasetId: 1,
        sourceId: 2,
        attackSettings: { cw: { steps: 3 } }
      })
    ).toThrowError(/attackSettings.cw: is not an accepted argument/)
  })

  it('switches dataset sources on their kind tag', () => {
    const a = parseArgs('datasets.import', { source: { kind: 'idx', paths: ['/x-ubyte'] } })
    expect(a.source).toEqual({ kind: 'idx', paths: ['/x-ubyte'] })
    expect(() => parseArgs('datasets.import', { source: { kind: 'zip' } })).toThrowError(
      /source.kind: must be one of builtin, auto, imageFolder, cifar10, idx/
    )
    expect(() => parseArgs('datasets.import', { source: { kind: 'imageFolder' } })).toThrowError(
      /source.path: expected a string, got undefined/
    )
  })

  it('checks array items with their index in the path', () => {
    expect(() =>
      parseArgs('attacks.sweep', {
        datasetId: 1,
        sourceId: 2,
        targetIds: [],
        attacks: ['fgsm', 'cw'],
        epsilons: [0.01],
        sampleCount: 10
      })
    ).toThrowError(/attacks\[1\]: must be one of/)
    expect(() =>
      parseArgs('attacks.sweep', {
        datasetId: 1,
        sourceId: 2,
        attackSettings: { pgd: { steps: 0 } }
      })
    ).toThrowError(/attackSettings.pgd.steps: must be between 1 and 1000/)
  })

  it('rejects NUL bytes in strings and non-objects as args', () => {
    expect(() => parseArgs('projects.open', { path: 'a\0b' })).toThrowError(/NUL/)
    expect(() => parseArgs('projects.open', 'path')).toThrowError(/expected an object, got string/)
    expect(parseArgs('system.info', undefined)).toEqual({})
  })

  it('knows exactly the declared channels', () => {
    expect(CHANNELS.length).toBe(Object.keys(requestSchemas).length)
    expect(isChannel('projects.open')).toBe(true)
    expect(isChannel('toString')).toBe(false)
    expect(isChannel('constructor')).toBe(false)
  })

  it('optional and nullable behave differently', () => {
    const o = s.object({ a: s.optional(s.number()), b: s.nullable(s.number()) })
    expect(o.parse({ b: null })).toEqual({ b: null })
    expect(() => o.parse({ a: 1 })).toThrowError(/b: expected a finite number, got undefined/)
  })
})
