/**
 * The accuracy-cost flag on the model list (issue 14): a model more than 5 points of
 * validation accuracy below the reference it was trained against (orthogonal training) is
 * flagged on its card, in the command line's model list and in the report. The sentence is
 * the evaluation's own (engine/audit/sanityFlags.ts accuracyCostFlag); here the figures are
 * the stored validation accuracies, with the images each rests on where the record says.
 * A collapsed model keeps its collapse warning instead (accuracy near chance says more).
 */
import type { StoredDataset, StoredModel } from '../../store'
import { accuracyCostFlag, type AccuracyOf } from '../../engine/audit/sanityFlags'

/** Validation accuracy as stored, with its image count when known. */
function accuracyOf(m: StoredModel, datasets: readonly StoredDataset[]): AccuracyOf | undefined {
  const metrics = (m.metrics ?? {}) as { valAccuracy?: unknown; accuracyImages?: unknown }
  const value = metrics.valAccuracy
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined
  return { id: String(m.id), name: m.name, clean: { value, ...imagesOf(m, metrics, datasets) } }
}

/** Images the accuracy rests on: an import records them; a training's valLimit caps the split. */
function imagesOf(
  m: StoredModel,
  metrics: { accuracyImages?: unknown },
  datasets: readonly StoredDataset[]
): { total?: number } {
  if (typeof metrics.accuracyImages === 'number') return { total: metrics.accuracyImages }
  const config = (m.trainingConfig ?? {}) as { resolved?: { valLimit?: unknown } }
  const limit = config.resolved?.valLimit
  const split = datasets.find((d) => d.id === m.datasetId)?.validationCount
  if (typeof limit !== 'number' || split === undefined) return {}
  return { total: limit > 0 ? Math.min(limit, split) : split }
}

/** The flag's sentence for `m`, or null (no reference, unknown accuracy, within 5 points, collapsed). */
export function accuracyCostOf(
  m: StoredModel,
  models: readonly StoredModel[],
  datasets: readonly StoredDataset[]
): string | null {
  if (m.referenceModelId === null || m.status === 'collapsed') return null
  const reference = models.find((x) => x.id === m.referenceModelId)
  const own = accuracyOf(m, datasets)
  const ref = reference && accuracyOf(reference, datasets)
  if (!own || !ref) return null
  return accuracyCostFlag(own, ref)?.message ?? null
}
