/**
 * The worst case per image (AutoAttack's rule, Croce & Hein 2020,
 * https://arxiv.org/abs/2003.01690 §5): an image counts as robust only if the model classifies
 * it correctly AND it survives every attack run on it. Robust accuracy under several attacks is
 * therefore not the minimum of the per-attack figures: two attacks that each fool half of the
 * images may together fool all of them.
 *
 * With cascading attacks an image fooled by one attack is not given to the later ones; a record
 * that leaves an attack "not-run" on an image nothing fooled would count an untested image as
 * robust, so it is refused.
 */

export type AttackOutcome = 'fooled' | 'survived' | 'not-run'

/** What happened to one image: clean correctness and each attack's outcome on it. */
export interface SampleRecord {
  correct: boolean
  attacks: Record<string, AttackOutcome>
}

export type WorstCaseOutcome = 'misclassified' | 'fooled' | 'robust'

export interface WorstCase {
  perSample: WorstCaseOutcome[]
  robust: number
  fooled: number
  misclassified: number
  total: number
}

/** Applies the rule to every record; `attacks` lists the attacks every image had to face. */
export function worstCase(records: SampleRecord[], attacks: string[]): WorstCase {
  const perSample = records.map((record, i): WorstCaseOutcome => {
    if (!record.correct) return 'misclassified'
    const outcomes = attacks.map((a) => record.attacks[a] ?? 'not-run')
    if (outcomes.includes('fooled')) return 'fooled'
    const untested = attacks.filter((_, k) => outcomes[k] === 'not-run')
    if (untested.length > 0) {
      throw new Error(
        `Sample ${i}: attack(s) ${untested.join(', ')} never ran on it and nothing fooled it, so its robustness is unknown`
      )
    }
    return 'robust'
  })
  const count = (o: WorstCaseOutcome) => perSample.filter((p) => p === o).length
  return {
    perSample,
    robust: count('robust'),
    fooled: count('fooled'),
    misclassified: count('misclassified'),
    total: records.length
  }
}
