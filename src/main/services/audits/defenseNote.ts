/**
 * What a defense table (Table 6.3) does and does not say, in sentences made from its numbers,
 * for the window, the command line and the report. The transfer columns measure perturbations
 * crafted on the source only; a row "best in every column" there says nothing about an
 * attacker who has that row's model. Issue 14 found the orthogonal model starred best in every
 * column while white-box PGD on it fooled 92 % at ε = 5 %; the note states the transfer-only
 * scope, and the adaptive column's figures beside the transfer ones where the table has one.
 */

import { attackLabel } from '../../../contract/words'
import { separableLowestRatio } from '../../engine/audit/stats'

export interface NoteColumn {
  key: string
  label: string
}

export interface NoteRow {
  key: string
  label: string
  values: Record<string, number | null>
}

/** "pgd@0.03" → { adaptive: false, attack: 'pgd', epsilon: 0.03 }; "clean" → undefined. */
export function parseColumnKey(
  key: string
): { adaptive: boolean; attack: string; epsilon: number } | undefined {
  const m = /^(adaptive:)?([a-z0-9-]+)@([\d.e-]+)$/.exec(key)
  return m ? { adaptive: Boolean(m[1]), attack: m[2]!, epsilon: Number(m[3]) } : undefined
}

const pct = (v: number) => `${(100 * v).toFixed(1)} %`
const eps = (e: number) => `${+(e * 100).toFixed(2)} %`

/**
 * Sentences about a table: the scope of its transfer columns, how often the orthogonal row is
 * lowest there, and its adaptive figures (or that none were measured).
 */
export function defenseTableNote(
  table: { columns: NoteColumn[]; rows: NoteRow[]; sampleCount: number },
  sourceName?: string
): string[] {
  const source = sourceName ? `"${sourceName}"` : 'the source model'
  const transfer = table.columns.filter((c) => parseColumnKey(c.key)?.adaptive === false)
  const adaptive = table.columns.filter((c) => parseColumnKey(c.key)?.adaptive === true)
  const orthogonal = table.rows.find((r) => r.key === 'orthogonal')
  const lines = [
    `The attack columns are transfer attacks: perturbations crafted on ${source} and shown to each row's model. ` +
      'They measure protection against transfer from that model only, not against an attacker who has the model itself.'
  ]
  if (orthogonal && transfer.length > 0) {
    const lowest = transfer.filter((c) => {
      const v = orthogonal.values[c.key]
      return (
        typeof v === 'number' &&
        table.rows.every((r) => typeof r.values[c.key] !== 'number' || r.values[c.key]! >= v)
      )
    }).length
    // "Lowest" alone over a few images is mostly noise (issue 16): say how many columns it is
    // clearly lowest in (the ★ rule, separable 95 % intervals) and how many only lowest or tied.
    const orthogonalIndex = table.rows.indexOf(orthogonal)
    const clear = transfer.filter(
      (c) =>
        separableLowestRatio(
          table.rows.map((r) => r.values[c.key]),
          table.sampleCount
        ) === orthogonalIndex
    ).length
    const columns = `${transfer.length} transfer column${transfer.length === 1 ? '' : 's'}`
    lines.push(
      lowest === 0
        ? `The orthogonal model is not the lowest in any of the ${columns}.`
        : clear === lowest
          ? `The orthogonal model is clearly the lowest (★) in ${clear} of ${columns}.`
          : `The orthogonal model is lowest or tied in ${lowest} of ${columns}, clearly lowest (★) in ${clear}: ` +
            `over ${table.sampleCount} images the other differences are within noise.`
    )
  }
  if (adaptive.length > 0 && orthogonal) {
    const parts = adaptive.map((c) => {
      const k = parseColumnKey(c.key)!
      const own = orthogonal.values[c.key]
      // Beside it: the same attack transferred, else the strongest transfer at that ε.
      const atEps = transfer
        .map((t) => ({ key: parseColumnKey(t.key)!, value: orthogonal.values[t.key] }))
        .filter(
          (t): t is { key: typeof k; value: number } =>
            t.key.epsilon === k.epsilon && typeof t.value === 'number'
        )
      const moved =
        atEps.find((t) => t.key.attack === k.attack) ??
        atEps.reduce<(typeof atEps)[number] | undefined>(
          (a, b) => (!a || b.value > a.value ? b : a),
          undefined
        )
      return (
        `${typeof own === 'number' ? pct(own) : '—'} at ε = ${eps(k.epsilon)}` +
        (moved
          ? ` (${attackLabel(moved.key.attack)} transferred from ${source}: ${pct(moved.value)})`
          : '')
      )
    })
    const attack = attackLabel(parseColumnKey(adaptive[0]!.key)!.attack)
    lines.push(
      `Adaptive ${attack}, crafted on each row's own model (through its defense by BPDA), fools the orthogonal model on ${parts.join(', ')} of ${table.sampleCount} images.`
    )
  } else if (adaptive.length === 0) {
    lines.push(
      'This table has no adaptive column: nothing in it says how the rows fare against an attacker who has the model. ' +
        'Build it with the adaptive column, or run a robustness evaluation.'
    )
  }
  return lines
}
