import { describe, expect, it } from 'vitest'
import { NAME_MAX, uniqueName } from '../../src/contract/naming'

describe('uniqueName', () => {
  it('keeps a free name (trimmed) and gives a taken one the first free "(k)" with a warning', () => {
    expect(uniqueName(' Reference ', ['Ordinary'], 'model')).toEqual({ name: 'Reference' })
    expect(uniqueName('Reference', ['reference', 'Reference (2)'], 'model')).toEqual({
      name: 'Reference (3)',
      warning: 'A model named "Reference" already exists; this one is called "Reference (3)".'
    })
  })

  it('replaces a "(k)" suffix instead of stacking another', () => {
    expect(uniqueName('cifar (2)', ['cifar', 'cifar (2)'], 'dataset').name).toBe('cifar (3)')
    // A suffix that is part of a free name stays.
    expect(uniqueName('cifar (2)', ['cifar'], 'dataset').name).toBe('cifar (2)')
  })

  it('stays within the name limit', () => {
    const long = 'x'.repeat(NAME_MAX)
    const r = uniqueName(long, [long], 'dataset')
    expect(r.name).toHaveLength(NAME_MAX)
    expect(r.name.endsWith(' (2)')).toBe(true)
  })
})
