import { describe, expect, it } from 'vitest'
import { CHANNELS, isChannel, parseArgs, requestSchemas } from '../../src/contract/requests'
import { ValidationError, s } from '../../src/contract/validate'

describe('contract validators', () => {
  it('accepts a well-formed training request and keeps only declared keys', () => {
    const args = parseArgs('models.train', {
      name: 'ortho',
      datasetId: 'd1',
      architecture: 'cnn',
      referenceId: 'm1',
      lambda: 30,
      penaltyForm: 'squared',
      epochs: 2
    })
    expect(args).toEqual({
      name: 'ortho',
      datasetId: 'd1',
      architecture: 'cnn',
      referenceId: 'm1',
      lambda: 30,
      penaltyForm: 'squared',
      epochs: 2
    })
  })

  it('names the bad argument in the error', () => {
    const bad = { name: 'x', datasetId: 'd', architecture: 'cnn', referenceId: null, lambda: 101, penaltyForm: 'squared', epochs: 1 }
    expect(() => parseArgs('models.train', bad)).toThrowError(/lambda: must be between 0 and 100/)
    expect(() => parseArgs('models.train', { ...bad, lambda: Number.NaN })).toThrowError(/lambda: expected a finite number, got NaN/)
    expect(() => parseArgs('models.train', { ...bad, lambda: 1, penaltyForm: 'cubic' })).toThrowError(/penaltyForm: must be one of/)
  })

  it('rejects unknown keys (untrusted renderer payloads)', () => {
    expect(() => parseArgs('projects.open', { path: '/a', __proto__x: 1 })).toThrowError(ValidationError)
    expect(() => parseArgs('projects.open', { path: '/a', extra: 1 })).toThrowError(/extra: is not an accepted argument/)
  })

  it('switches dataset sources on their kind tag', () => {
    const a = parseArgs('datasets.import', { source: { kind: 'idx', paths: ['/x-ubyte'] } })
    expect(a.source).toEqual({ kind: 'idx', paths: ['/x-ubyte'] })
    expect(() => parseArgs('datasets.import', { source: { kind: 'zip' } })).toThrowError(/source.kind: must be one of builtin, imageFolder, cifar10, idx/)
    expect(() => parseArgs('datasets.import', { source: { kind: 'imageFolder' } })).toThrowError(/source.path: expected a string, got undefined/)
  })

  it('checks array items with their index in the path', () => {
    expect(() =>
      parseArgs('attacks.sweep', { datasetId: 'd', sourceId: 's', targetIds: [], attacks: ['fgsm', 'cw'], epsilons: [0.01], sampleCount: 10 })
    ).toThrowError(/attacks\[1\]: must be one of/)
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
