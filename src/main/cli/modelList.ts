/**
 * `ortholens model list` with the accuracy-cost flag (issue 14): each model carries
 * `accuracyCost` (the flag's sentence, or null) in --json, and the text table is followed by
 * a ⚠ line per flagged model.
 */
import type { StoredDataset, StoredModel } from '../store'
import { accuracyCostOf } from '../services/evaluation/accuracyCost'

export function withAccuracyCost(
  models: StoredModel[],
  datasets: readonly StoredDataset[]
): (StoredModel & { accuracyCost: string | null })[] {
  return models.map((m) => ({ ...m, accuracyCost: accuracyCostOf(m, models, datasets) }))
}

export function modelListText(
  models: { id: number; name: string; accuracyCost: string | null }[],
  tableText: string
): string {
  const flags = models
    .filter((m) => m.accuracyCost)
    .map((m) => `⚠ ${m.id} "${m.name}" accuracy cost: ${m.accuracyCost}`)
  return [tableText, ...flags].join('\n')
}
