/**
 * Renaming and deleting datasets, models and runs. The rule of what a delete takes with it
 * lives here, once, for the window and the command line:
 *
 * - a dataset takes the models trained on (or imported for) it and every run recorded on it;
 * - a model takes the models trained against it as their reference (an orthogonal model's δ
 *   and penalty mean nothing without it), and every run that used it (sweeps, tables,
 *   similarity, explanations, exports: their results would name a model that is gone);
 * - each model that goes takes its own dependents the same way, to the end of the chain;
 * - a run takes its gallery images.
 *
 * A dataset's import run and a model's training or import run are the thing's own record and
 * go with it without counting as dependents. Nothing is ever left pointing at a deleted row
 * (no dangling reference, no run whose stored request names a missing model or dataset).
 */
import { ContractError } from '../../contract/errors'
import type { DeleteResult, Dependents, EntityKind, RenameResult } from '../../contract/entities'
import { uniqueName } from '../../contract/naming'
import {
  deleteEntities,
  galleryImageCount,
  getDatasetSummary,
  inTransaction,
  listDatasets,
  listModels,
  listRuns,
  modelsOfDatasets,
  modelsReferencing,
  renameDataset,
  renameModel,
  runsOfDatasets,
  runsOfModels,
  type ProjectDb,
  type StoredModel,
  type StoredRun
} from '../store'
import { isImported } from './modelRoles'
import { storedRequest } from './runs'

export interface EntityRef {
  kind: EntityKind
  id: number
}

/** Request fields that hold one model id, or a list of them (contract/requests.ts). */
const MODEL_FIELDS = [
  'modelId',
  'modelA',
  'modelB',
  'sourceId',
  'ordinaryId',
  'orthogonalId',
  'referenceId'
]
const MODEL_LIST_FIELDS = ['targetIds', 'modelIds']

/** The model and dataset ids a request names (a job's arguments or a run's stored request). */
export function idsInRequest(request: unknown): { models: number[]; datasets: number[] } {
  const r = (typeof request === 'object' && request !== null ? request : {}) as Record<
    string,
    unknown
  >
  const isId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v)
  const models = [
    ...MODEL_FIELDS.map((f) => r[f]),
    ...MODEL_LIST_FIELDS.flatMap((f) => (Array.isArray(r[f]) ? (r[f] as unknown[]) : []))
  ].filter(isId)
  return { models: [...new Set(models)], datasets: isId(r.datasetId) ? [r.datasetId] : [] }
}

/** Everything a delete removes, and the dependents to show before it does. */
export interface DeletionPlan {
  datasetIds: number[]
  modelIds: number[]
  runIds: number[]
  dependents: Dependents
}

/** A run that is the target's own record: its import, or the training / import of a model. */
function isOwnRecord(run: StoredRun, target: EntityRef): boolean {
  if (target.kind === 'dataset') return run.kind === 'import' && run.datasetId === target.id
  if (target.kind === 'model')
    return (
      (run.kind === 'train' || run.kind === 'model-import') && run.modelIds.at(-1) === target.id
    )
  return false
}

function targetName(project: ProjectDb, target: EntityRef, models: StoredModel[]): string {
  if (target.kind === 'dataset') {
    const d = getDatasetSummary(project.db, target.id)
    if (!d) throw new ContractError('not-found', `No dataset with id ${target.id}`)
    return d.name
  }
  if (target.kind === 'model') {
    const m = models.find((x) => x.id === target.id)
    if (!m) throw new ContractError('not-found', `No model with id ${target.id}`)
    return m.name
  }
  const run = listRuns(project.db).find((r) => r.id === target.id)
  if (!run) throw new ContractError('not-found', `No run with id ${target.id}`)
  return `run #${run.id} (${run.kind})`
}

/**
 * What deleting `target` removes, following the rule above. `busy` adds blockers the store
 * cannot see (jobs queued in the window that name one of the ids).
 */
export function planDeletion(
  project: ProjectDb,
  target: EntityRef,
  busy: (set: { datasetIds: number[]; modelIds: number[] }) => string[] = () => []
): DeletionPlan {
  const db = project.db
  const models = listModels(db)
  const name = targetName(project, target, models)
  const nameOf = (id: number) => models.find((m) => m.id === id)?.name ?? `#${id}`
  const datasetIds = target.kind === 'dataset' ? [target.id] : []
  const modelIds: number[] = target.kind === 'model' ? [target.id] : []
  const why = new Map<number, string>()

  for (const id of modelsOfDatasets(db, datasetIds)) {
    modelIds.push(id)
    // An imported model (ONNX, TF.js) is tied to the dataset its accuracy was checked on: its
    // stored accuracy and its run name that dataset.
    const m = models.find((x) => x.id === id)
    why.set(
      id,
      m && isImported(m)
        ? `imported and checked on dataset "${name}"`
        : `trained on dataset "${name}"`
    )
  }
  // Follow reference chains: a model trained against one that goes, goes too.
  for (let i = 0; i < modelIds.length; i++) {
    const reference = modelIds[i]!
    for (const id of modelsReferencing(db, [reference])) {
      if (modelIds.includes(id)) continue
      modelIds.push(id)
      why.set(id, `trained against "${nameOf(reference)}"`)
    }
  }

  const runIds = new Set<number>(target.kind === 'run' ? [target.id] : [])
  for (const id of [...runsOfDatasets(db, datasetIds), ...runsOfModels(db, modelIds)])
    runIds.add(id)
  const runs = listRuns(db)
  // A run's request names its models and dataset even where its model list does not (a
  // refused import recorded by an older version — a refused import now stores nothing —, a
  // run recorded by an older version): those go too.
  for (const run of runs) {
    const named = idsInRequest(storedRequest(run))
    if (
      named.models.some((id) => modelIds.includes(id)) ||
      named.datasets.some((id) => datasetIds.includes(id))
    )
      runIds.add(run.id)
  }
  const chosen = runs.filter((r) => runIds.has(r.id)).sort((a, b) => a.id - b.id)

  const blockers: string[] = []
  for (const r of chosen)
    if (r.status === 'running')
      blockers.push(`Run #${r.id} (${r.kind}) is still running; cancel it first.`)
  for (const m of models)
    if (modelIds.includes(m.id) && m.status === 'training')
      blockers.push(`Model "${m.name}" is still training; cancel its training first.`)
  blockers.push(...busy({ datasetIds, modelIds }))

  const own = chosen.filter((r) => isOwnRecord(r, target))
  const dependentRuns = chosen.filter(
    (r) => !(target.kind === 'run' && r.id === target.id) && !own.includes(r)
  )
  return {
    datasetIds,
    modelIds,
    runIds: chosen.map((r) => r.id),
    dependents: {
      target: { kind: target.kind, id: target.id, name },
      models: modelIds
        .filter((id) => !(target.kind === 'model' && id === target.id))
        .map((id) => ({ id, name: nameOf(id), why: why.get(id) ?? '' })),
      runs: dependentRuns.map((r) => ({
        id: r.id,
        kind: r.kind,
        startedAt: r.startedAt,
        status: r.status
      })),
      galleryImages: galleryImageCount(
        db,
        chosen.map((r) => r.id)
      ),
      blockers
    }
  }
}

/** Whether a delete takes anything besides the target and its own record. */
export function hasDependents(d: Dependents): boolean {
  return d.models.length > 0 || d.runs.length > 0 || d.galleryImages > 0
}

/** "2 models (A, B), 3 runs (#4 attack-sweep, …) and 12 gallery images". */
export function dependentsText(d: Dependents): string {
  const parts: string[] = []
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
  if (d.models.length)
    parts.push(
      `${plural(d.models.length, 'model')} (${d.models.map((m) => `"${m.name}"`).join(', ')})`
    )
  if (d.runs.length)
    parts.push(
      `${plural(d.runs.length, 'run')} (${d.runs.map((r) => `#${r.id} ${r.kind}`).join(', ')})`
    )
  if (d.galleryImages) parts.push(plural(d.galleryImages, 'gallery image'))
  return parts.length <= 1
    ? (parts[0] ?? 'nothing')
    : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`
}

/**
 * Deletes `target` and, with `withDependents`, everything that depends on it, in one
 * transaction. Refused with 'busy' while a job runs on any of it, and with 'has-dependents'
 * (the list in the message) when it has dependents and `withDependents` is not set.
 */
export function deleteEntity(
  project: ProjectDb,
  target: EntityRef,
  options: { withDependents?: boolean; busy?: Parameters<typeof planDeletion>[2] } = {}
): DeleteResult {
  const db = project.writable()
  // Planned inside the write transaction: no run can start on a model between plan and delete.
  return inTransaction(db, () => {
    const plan = planDeletion(project, target, options.busy)
    const d = plan.dependents
    if (d.blockers.length > 0) throw new ContractError('busy', d.blockers.join(' '))
    if (hasDependents(d) && !options.withDependents) {
      throw new ContractError(
        'has-dependents',
        `Deleting ${target.kind === 'run' ? d.target.name : `${target.kind} "${d.target.name}"`} would also delete ${dependentsText(d)}; confirm to delete them too`
      )
    }
    return deleteEntities(db, plan)
  })
}

/**
 * Renames a dataset or model. A name another one already has gets a "(2)" suffix and a
 * warning (contract/naming.ts), so two things never share a name in the lists.
 */
export function renameEntity(
  project: ProjectDb,
  target: { kind: 'dataset' | 'model'; id: number },
  wanted: string
): RenameResult {
  if (wanted.trim() === '')
    throw new ContractError('invalid-args', 'A name cannot be empty', 'name')
  const db = project.writable()
  return inTransaction(db, () => {
    const all =
      target.kind === 'dataset'
        ? listDatasets(project.db).map((d) => ({ id: d.id, name: d.name }))
        : listModels(project.db).map((m) => ({ id: m.id, name: m.name }))
    if (!all.some((x) => x.id === target.id))
      throw new ContractError('not-found', `No ${target.kind} with id ${target.id}`)
    const others = all.filter((x) => x.id !== target.id).map((x) => x.name)
    const result = uniqueName(wanted, others, target.kind)
    if (target.kind === 'dataset') renameDataset(db, target.id, result.name)
    else renameModel(db, target.id, result.name)
    return result
  })
}

/**
 * Results keep the model names of the day they ran (sweep curves, gallery predictions,
 * explanation grids); after a rename they are shown with the current names. Walks `value` and
 * replaces every `modelName` that sits beside a `modelId` of a model that still exists.
 */
export function withCurrentModelNames<T>(value: T, names: ReadonlyMap<number, string>): T {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk)
    if (typeof v !== 'object' || v === null) return v
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) out[k] = walk(x)
    const id = out.modelId
    if (typeof id === 'number' && typeof out.modelName === 'string' && names.has(id))
      out.modelName = names.get(id)
    return out
  }
  return walk(value) as T
}

/** The project's current model names by id, for withCurrentModelNames. */
export function modelNames(project: ProjectDb): Map<number, string> {
  return new Map(listModels(project.db).map((m) => [m.id, m.name]))
}
