/**
 * What the job bar says about a job, in the words of contract/words.ts: which attacks, ε in %
 * of the pixel range, and the models and dataset it runs on (issue 16: every row names its
 * models and dataset). Names are read when the job is queued; an id that is gone reads "#id".
 */
import { attackLabel, epsilonPercent } from '../../contract/words'
import type { ProjectDb } from '../store'
import { getDatasetSummary } from '../store'
import { modelNames } from '../services/lifecycle'

/** "“Fashion-MNIST”" or "dataset #3". */
export function datasetName(project: ProjectDb, id: number | undefined): string {
  if (id === undefined) return 'the dataset'
  const name = getDatasetSummary(project.db, id)?.name
  return name !== undefined ? `“${name}”` : `dataset #${id}`
}

/** "Reference, Orthogonal λ=30" (at most four names, then "and 2 more"). */
export function modelList(project: ProjectDb, ids: readonly number[]): string {
  const names = modelNames(project)
  const shown = ids.slice(0, 4).map((id) => `“${names.get(id) ?? `#${id}`}”`)
  return ids.length > 4 ? `${shown.join(', ')} and ${ids.length - 4} more` : shown.join(', ')
}

/** "0.5 %, 1 %, 2 %" or "0.5 % … 8 % (8 values)". */
export function epsilonList(epsilons: readonly number[] | undefined): string {
  if (!epsilons || epsilons.length === 0) return 'the default ε values'
  const sorted = [...epsilons].sort((a, b) => a - b)
  return sorted.length <= 4
    ? `ε = ${sorted.map(epsilonPercent).join(', ')}`
    : `ε = ${epsilonPercent(sorted[0]!)} … ${epsilonPercent(sorted.at(-1)!)} (${sorted.length} values)`
}

/** "FGSM, PGD" or the default's words. */
export function attackList(attacks: readonly string[] | undefined): string {
  return attacks && attacks.length > 0 ? attacks.map(attackLabel).join(', ') : 'the thesis’ attacks'
}
