/**
 * The ★ of a defense table (issue 16), one rule for the window, the report and the CSV: a
 * column's lowest row is marked only when it is separable from every other row given the
 * images the table rests on (engine/audit/stats separableLowestRatio: non-overlapping 95 %
 * Wilson intervals). Recomputed from stored ratios, so tables stored before the rule, which
 * starred every tie, read the same way as new ones.
 */
import { separableLowestRatio } from '../../engine/audit/stats'

export interface StarRow {
  key: string
  values: Record<string, number | null | undefined>
}

/** Column key → key of the starred row; a column without a clear lowest is absent. */
export function defenseStars(
  columns: readonly { key: string }[],
  rows: readonly StarRow[],
  sampleCount: number
): Record<string, string> {
  const best: Record<string, string> = {}
  for (const c of columns) {
    const winner = separableLowestRatio(
      rows.map((row) => row.values[c.key]),
      sampleCount
    )
    if (winner !== null) best[c.key] = rows[winner]!.key
  }
  return best
}
