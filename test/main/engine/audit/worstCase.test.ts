import { describe, expect, it } from 'vitest'
import { worstCase, type SampleRecord } from '../../../../src/main/engine/audit/worstCase'

const attacks = ['transfer', 'pgd', 'square']

describe('worst case per image (AutoAttack’s rule)', () => {
  it('counts an image robust only if it is correct and survives every attack', () => {
    const records: SampleRecord[] = [
      { correct: true, attacks: { transfer: 'survived', pgd: 'survived', square: 'survived' } }, // robust
      { correct: true, attacks: { transfer: 'fooled', pgd: 'not-run', square: 'not-run' } }, // fooled first
      { correct: true, attacks: { transfer: 'survived', pgd: 'fooled', square: 'not-run' } },
      { correct: true, attacks: { transfer: 'survived', pgd: 'survived', square: 'fooled' } }, // only Square
      { correct: false, attacks: {} }, // wrong on the clean image
      { correct: true, attacks: { transfer: 'fooled', pgd: 'survived', square: 'survived' } } // standalone transfer
    ]
    const w = worstCase(records, attacks)
    expect(w.perSample).toEqual(['robust', 'fooled', 'fooled', 'fooled', 'misclassified', 'fooled'])
    expect({
      robust: w.robust,
      fooled: w.fooled,
      misclassified: w.misclassified,
      total: w.total
    }).toEqual({
      robust: 1,
      fooled: 4,
      misclassified: 1,
      total: 6
    })
  })

  it('is not the minimum of the per-attack figures: attacks that each fool half can fool all', () => {
    const records: SampleRecord[] = [
      { correct: true, attacks: { a: 'fooled', b: 'survived' } },
      { correct: true, attacks: { a: 'survived', b: 'fooled' } }
    ]
    // Robust accuracy 50 % under a and under b alone, 0 % in the worst case.
    expect(worstCase(records, ['a', 'b']).robust).toBe(0)
  })

  it('refuses to call an untested image robust', () => {
    const records: SampleRecord[] = [
      { correct: true, attacks: { transfer: 'survived', pgd: 'not-run' } }
    ]
    expect(() => worstCase(records, ['transfer', 'pgd', 'square'])).toThrow(
      /Sample 0: attack\(s\) pgd, square never ran on it/
    )
  })
})
