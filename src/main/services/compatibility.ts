/**
 * Which stored models can run on which datasets: the one rule every entry point applies. A
 * model takes images of one size and channel count and predicts a fixed number of classes; a
 * model of another dataset (a 32x32 colour model next to the 28x28 grey sample) would
 * otherwise reach a convolution and fail with a tensor error ("depth of input (1) must match
 * input depth for filter 3"). The sentence comes from the engine (models/stored.ts
 * datasetMismatch); this module reads the stored records and applies it:
 *  - services call requireRequestFits(project, request) before anything runs or is stored;
 *  - the IPC handlers call it before a job is queued (the window never offers such a pair,
 *    but a request can come from anywhere);
 *  - the window reads ModelSummary.fitsDatasets, computed here, to offer only fitting models.
 */
import { datasetMismatch, type DatasetFit, type ModelFit } from '../engine/models'
import {
  getDatasetSummary,
  listModels,
  type ProjectDb,
  type StoredDataset,
  type StoredModel,
  RecordNotFoundError
} from '../store'

/** A request naming a model that cannot run on its dataset; `field` is the request's field. */
export class IncompatibleModelError extends RangeError {
  override readonly name = 'IncompatibleModelError'
  constructor(
    message: string,
    readonly field: string
  ) {
    super(message)
  }
}

/** What a stored model must fit, from its architecture record (any origin), or why it cannot say. */
export function modelFitOf(m: Pick<StoredModel, 'name' | 'architecture'>): ModelFit | string {
  const a = (m.architecture ?? {}) as { inputShape?: unknown; numClasses?: unknown }
  const shape = a.inputShape
  const positive = (v: unknown): v is number =>
    typeof v === 'number' && Number.isInteger(v) && v > 0
  if (
    !Array.isArray(shape) ||
    shape.length !== 3 ||
    !shape.every(positive) ||
    !positive(a.numClasses)
  )
    return `Model "${m.name}" has no readable input shape and class count in its record`
  return { name: m.name, inputShape: shape as [number, number, number], numClasses: a.numClasses }
}

/** What a stored dataset offers a model. */
export function datasetFitOf(d: Pick<StoredDataset, 'name' | 'shape' | 'classNames'>): DatasetFit {
  return { name: d.name, shape: d.shape, classCount: d.classNames.length }
}

/** Why model `m` cannot run on dataset `d` (a sentence naming both), or undefined when it fits. */
export function mismatchOf(
  m: Pick<StoredModel, 'name' | 'architecture'>,
  d: Pick<StoredDataset, 'name' | 'shape' | 'classNames'>
): string | undefined {
  const fit = modelFitOf(m)
  return typeof fit === 'string' ? fit : datasetMismatch(fit, datasetFitOf(d))
}

/** The ids of the datasets a model fits, in the order given (what the window offers it for). */
export function fittingDatasetIds(
  m: Pick<StoredModel, 'name' | 'architecture'>,
  datasets: readonly StoredDataset[]
): number[] {
  return datasets.filter((d) => mismatchOf(m, d) === undefined).map((d) => d.id)
}

/** The project's models that fit a dataset (any status: callers filter usable ones). */
export function modelsFitting(project: ProjectDb, datasetId: number): StoredModel[] {
  const d = requireDataset(project, datasetId)
  return listModels(project.db).filter((m) => mismatchOf(m, d) === undefined)
}

function requireDataset(project: ProjectDb, datasetId: number): StoredDataset {
  const d = getDatasetSummary(project.db, datasetId)
  if (!d) throw new RecordNotFoundError('dataset', datasetId)
  return d
}

/** A model a request names, with its role (for the message) and the request field it came from. */
export interface NamedModel {
  id: number
  role: string
  field: string
}

/**
 * Refuses, before any tensor is made, a model that cannot run on the dataset: an
 * IncompatibleModelError naming the model, the mismatch and its role. Unknown ids are refused
 * with their own message.
 */
export function requireModelsFit(
  project: ProjectDb,
  datasetId: number,
  models: readonly NamedModel[]
): void {
  if (models.length === 0) return
  const d = requireDataset(project, datasetId)
  const stored = new Map(listModels(project.db).map((m) => [m.id, m]))
  for (const { id, role, field } of models) {
    const m = stored.get(id)
    if (!m) throw new RecordNotFoundError('model', id)
    const why = mismatchOf(m, d)
    if (why) throw new IncompatibleModelError(`${why}: it cannot be the ${role} here`, field)
  }
}

/** The request fields that name models, and the role each gives in messages. */
const MODEL_FIELDS: Record<string, string> = {
  sourceId: 'source',
  targetIds: 'target',
  ordinaryId: 'ordinary target',
  orthogonalId: 'orthogonal model',
  modelId: 'model',
  modelIds: 'model',
  modelA: 'first model',
  modelB: 'second model',
  referenceId: 'reference',
  ensembleIds: 'ensemble member'
}

/** Every model a request names, by its field. */
export function modelsOfRequest(request: object): NamedModel[] {
  const out: NamedModel[] = []
  for (const [field, value] of Object.entries(request)) {
    const role = MODEL_FIELDS[field]
    if (!role) continue
    const ids = Array.isArray(value) ? value : [value]
    for (const id of ids) if (typeof id === 'number') out.push({ id, role, field })
  }
  return out
}

/**
 * The check of every request that runs models on a dataset (sweeps, defense tables, the ε
 * preview, explanations, saliency PGD, similarity, training against a reference, and the
 * robustness evaluation): each model it names must fit its dataset.
 */
export function requireRequestFits(project: ProjectDb, request: { datasetId?: number }): void {
  if (request.datasetId === undefined) return
  requireModelsFit(project, request.datasetId, modelsOfRequest(request))
}
