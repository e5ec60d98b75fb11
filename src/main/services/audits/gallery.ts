/**
 * A sweep's gallery: the items the sweep stores (original, adversarial, every model's
 * prediction on both), read back with class names, and shown as the contract's GalleryItem.
 */
import type { GalleryItem, Prediction } from '../../../contract/entities'
import { amplifiedPerturbation } from '../../engine/render/perturbation'
import { floatPngDataUrl } from '../../engine/render/png'
import type { TransferResult } from '../../engine/audit/transfer'
import {
  getRun,
  listGalleryItems,
  type ProjectDb,
  type StoredGalleryItem,
  type StoredModel,
  RecordNotFoundError
} from '../../store'
import { datasetOf } from '../datasets'
import { modelNames, withCurrentModelNames } from '../lifecycle'

/** Gallery items for the store: one per (sample, attack, ε > 0), predictions as the UI reads them. */
export function galleryItemsOf(
  result: TransferResult,
  models: Map<string, StoredModel>,
  classNames: string[]
): StoredGalleryItem[] {
  const name = (k: number) => classNames[k] ?? String(k)
  const modelOf = (netId: string) => models.get(netId)!
  return result.gallery.flatMap((g) => {
    const clean: Prediction[] = g.clean.map((p) => ({
      modelId: modelOf(p.modelId).id,
      modelName: modelOf(p.modelId).name,
      label: p.predicted,
      className: name(p.predicted),
      confidence: p.confidence
    }))
    return g.adversarial
      .filter((a) => a.epsilon > 0)
      .map((a) => ({
        sampleIndex: g.sampleIndex,
        label: g.label,
        epsilon: a.epsilon,
        attack: a.attackId,
        original: g.original,
        adversarial: a.image,
        shape: result.imageShape,
        predictions: {
          clean,
          adversarial: a.predictions.map((p) => ({
            modelId: modelOf(p.modelId).id,
            modelName: modelOf(p.modelId).name,
            label: p.predicted,
            className: name(p.predicted),
            confidence: p.confidence,
            fooled: p.fooled,
            fooledRounded: p.fooledRounded,
            labelRounded: p.predictedRounded
          }))
        }
      }))
  })
}

export interface GalleryEntry extends Omit<StoredGalleryItem, 'predictions'> {
  className: string
  predictions: { clean: Prediction[]; adversarial: Prediction[] }
}

/** A stored sweep's gallery with class names (float images as stored). */
export function galleryOf(project: ProjectDb, runId: number): GalleryEntry[] {
  const run = getRun(project.db, runId)
  if (!run) throw new RecordNotFoundError('run', runId)
  const classNames = run.datasetId === null ? [] : datasetOf(project, run.datasetId).classNames
  const names = modelNames(project)
  return listGalleryItems(project.db, runId).map((item) => ({
    ...item,
    className: classNames[item.label] ?? String(item.label),
    // Shown under the models' current names (they may have been renamed since).
    predictions: withCurrentModelNames(item.predictions as GalleryEntry['predictions'], names)
  }))
}

/** One gallery image triple as the window shows it: PNG data URLs and both predictions. */
export function galleryItemView(
  entry: Pick<
    GalleryEntry,
    | 'attack'
    | 'epsilon'
    | 'sampleIndex'
    | 'label'
    | 'className'
    | 'original'
    | 'adversarial'
    | 'shape'
    | 'predictions'
  >,
  key: { id: string; runId: number | null }
): GalleryItem {
  return {
    id: key.id,
    runId: key.runId,
    attack: entry.attack,
    epsilon: entry.epsilon,
    sampleIndex: entry.sampleIndex,
    trueLabel: entry.label,
    trueClassName: entry.className,
    original: floatPngDataUrl(entry.original, entry.shape),
    adversarial: floatPngDataUrl(entry.adversarial, entry.shape),
    perturbation: floatPngDataUrl(
      amplifiedPerturbation(entry.original, entry.adversarial),
      entry.shape
    ),
    predictionsClean: entry.predictions.clean,
    predictionsAdversarial: entry.predictions.adversarial
  }
}

/** A stored sweep's gallery as the window shows it. */
export function galleryView(project: ProjectDb, runId: number): GalleryItem[] {
  return galleryOf(project, runId).map((entry, i) =>
    galleryItemView(entry, { id: `${runId}-${i}`, runId })
  )
}
