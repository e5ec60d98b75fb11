/**
 * The 95 % interval of every ratio the app reports (SPEC §2.12: "every ratio carries a 95 %
 * interval"): Wilson over the images a ratio rests on (engine/audit/stats.ts). Each stored
 * ratio is k/n over a known n (a sweep's and a defense table's samples, an accuracy's validation
 * images), so k = round(ratio · n) gives back the count exactly — runs stored before intervals
 * existed get theirs too.
 */
import type { DefenseTableResult, SweepCurve } from '../../contract/entities'
import { wilsonInterval } from '../engine/audit/stats'
import type { StoredDataset, StoredModel } from '../store'
import { isImported } from './modelRoles'

/** The count behind a ratio of `n` images. */
export function countOf(ratio: number, n: number): number {
  return Math.min(n, Math.max(0, Math.round(ratio * n)))
}

/** The Wilson 95 % interval of a ratio over `n` images; null when there is nothing to say. */
export function ratioInterval(
  ratio: number | null | undefined,
  n: number | null | undefined
): [number, number] | null {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return null
  if (n === null || n === undefined || !Number.isInteger(n) || n <= 0) return null
  return wilsonInterval(countOf(ratio, n), n)
}

/** A sweep's curves, every point with its count of fooled images of `n` and its interval. */
export function sweepCurvesWithIntervals(curves: readonly SweepCurve[], n: number): SweepCurve[] {
  return curves.map((c) => ({
    ...c,
    points: c.points.map((p) => ({
      ...p,
      fooled: countOf(p.foolingRatio, n),
      total: n,
      ci95: ratioInterval(p.foolingRatio, n) ?? [0, 1]
    }))
  }))
}

/** A defense table's rows with the interval of every value (each over the table's samples). */
export function defenseRowsWithIntervals(
  rows: DefenseTableResult['rows'],
  n: number
): DefenseTableResult['rows'] {
  return rows.map((r) => ({
    ...r,
    ci95: Object.fromEntries(Object.entries(r.values).map(([k, v]) => [k, ratioInterval(v, n)]))
  }))
}

/** "12.0 % [8.1, 17.3]": a ratio in percent with its interval (ends in percent too). */
export function percentWithInterval(
  ratio: number | null | undefined,
  ci: [number, number] | null,
  digits = 1
): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—'
  const p = (v: number) => (100 * v).toFixed(digits)
  return ci ? `${p(ratio)} [${p(ci[0])}, ${p(ci[1])}]` : p(ratio)
}

/**
 * The validation images a stored model's accuracy rests on. Models trained before the count
 * was stored rested on their training's validation cap (default 2000) of their dataset's
 * validation images; an import records its own.
 */
export function accuracyImagesOf(
  m: Pick<StoredModel, 'metrics' | 'trainingConfig' | 'datasetId'>,
  datasets: readonly Pick<StoredDataset, 'id' | 'validationCount'>[]
): number | null {
  const metrics = (m.metrics ?? {}) as { valAccuracy?: unknown; accuracyImages?: unknown }
  if (typeof metrics.accuracyImages === 'number') return metrics.accuracyImages
  if (typeof metrics.valAccuracy !== 'number' || isImported(m)) return null
  const cap = (m.trainingConfig as { resolved?: { valLimit?: unknown } } | undefined)?.resolved
    ?.valLimit
  const validation = datasets.find((d) => d.id === m.datasetId)?.validationCount
  if (typeof cap !== 'number' || typeof validation !== 'number') return null
  return cap > 0 ? Math.min(cap, validation) : validation
}
