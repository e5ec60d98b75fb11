/**
 * Which models a screen offers for a dataset. The rule itself lives on the main side
 * (services/compatibility.ts: images and class count must fit) and arrives as
 * ModelSummary.fitsDatasets; the window only reads it, so what it offers is exactly what the
 * services accept.
 */
import type { DatasetSummary, ModelSummary } from '../../../contract/entities'

/**
 * Models whose weights may be attacked, evaluated and explained: ready, or stopped early with a
 * best checkpoint (ModelSummary.usable, the services' own rule).
 */
export function readyModels(models: readonly ModelSummary[]): ModelSummary[] {
  return models.filter((m) => m.usable)
}

/** Whether `m` runs on dataset `datasetId`. */
export function fits(m: ModelSummary, datasetId: number | null): boolean {
  return datasetId !== null && m.fitsDatasets.includes(datasetId)
}

/**
 * The dataset a screen works on: the one chosen (while it exists), else the dataset of the first
 * ready reference (λ = 0, trained against nothing), else the one the most ready models fit.
 */
export function pickDataset(
  choice: number | null,
  datasets: readonly DatasetSummary[],
  ready: readonly ModelSummary[]
): number | null {
  if (choice !== null && datasets.some((d) => d.id === choice)) return choice
  const reference = ready.find(
    (m) => m.lambda === 0 && m.referenceId === null && m.datasetId !== null && fits(m, m.datasetId)
  )
  if (reference) return reference.datasetId
  let best: number | null = datasets[0]?.id ?? null
  let most = -1
  for (const d of datasets) {
    const n = ready.filter((m) => fits(m, d.id)).length
    if (n > most) [best, most] = [d.id, n]
  }
  return best
}
