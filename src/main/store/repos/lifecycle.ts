/**
 * The links between datasets, models, runs and gallery images that a delete must follow, and
 * the delete itself: everything named goes in one transaction, or nothing does. Which links
 * make a dependent is decided above (services/lifecycle.ts); this file only reads and deletes.
 */
import { inTransaction, type ReadableDb, type WritableDb } from '../db'

function ids(db: ReadableDb, sql: string, params: readonly number[]): number[] {
  if (params.length === 0) return []
  const marks = params.map(() => '?').join(', ')
  const rows = db.prepare(sql.replace('(?)', `(${marks})`)).all(...params) as { id: number }[]
  return rows.map((r) => r.id)
}

/** Models trained on (or imported for) any of these datasets. */
export function modelsOfDatasets(db: ReadableDb, datasetIds: readonly number[]): number[] {
  return ids(db, 'SELECT id FROM models WHERE dataset_id IN (?) ORDER BY id', datasetIds)
}

/** Models trained against any of these as their reference (orthogonal models, mostly). */
export function modelsReferencing(db: ReadableDb, modelIds: readonly number[]): number[] {
  return ids(db, 'SELECT id FROM models WHERE reference_model_id IN (?) ORDER BY id', modelIds)
}

/** Runs that list any of these models (source, target, trained model, reference …). */
export function runsOfModels(db: ReadableDb, modelIds: readonly number[]): number[] {
  return ids(
    db,
    'SELECT DISTINCT run_id AS id FROM run_models WHERE model_id IN (?) ORDER BY run_id',
    modelIds
  )
}

/** Runs recorded on any of these datasets. */
export function runsOfDatasets(db: ReadableDb, datasetIds: readonly number[]): number[] {
  return ids(db, 'SELECT id FROM runs WHERE dataset_id IN (?) ORDER BY id', datasetIds)
}

/** Gallery images (original + adversarial pairs) kept by these runs. */
export function galleryImageCount(db: ReadableDb, runIds: readonly number[]): number {
  if (runIds.length === 0) return 0
  const marks = runIds.map(() => '?').join(', ')
  const row = db
    .prepare(`SELECT count(*) AS n FROM gallery_items WHERE run_id IN (${marks})`)
    .get(...runIds) as { n: number }
  return row.n
}

export interface DeletionSet {
  datasetIds: readonly number[]
  modelIds: readonly number[]
  runIds: readonly number[]
}

export interface Deleted {
  datasets: number
  models: number
  runs: number
  galleryImages: number
}

/**
 * Deletes the runs, models and datasets given, with what belongs to them alone (dataset
 * chunks, model history and checkpoint, run model lists, gallery images: ON DELETE CASCADE),
 * in one transaction. Runs go first, then models, then datasets, so that no step meets a row
 * another step is about to remove.
 */
export function deleteEntities(db: WritableDb, set: DeletionSet): Deleted {
  return inTransaction(db, () => {
    const galleryImages = galleryImageCount(db, set.runIds)
    const run = db.prepare('DELETE FROM runs WHERE id = ?')
    const model = db.prepare('DELETE FROM models WHERE id = ?')
    const dataset = db.prepare('DELETE FROM datasets WHERE id = ?')
    const count = (stmt: typeof run, list: readonly number[]) =>
      list.reduce((n, id) => n + stmt.run(id).changes, 0)
    const runs = count(run, set.runIds)
    const models = count(model, set.modelIds)
    const datasets = count(dataset, set.datasetIds)
    return { datasets, models, runs, galleryImages }
  })
}

/**
 * Rows whose foreign key points at nothing (SQLite's foreign_key_check): an empty list for a
 * sound project. Deletes keep it empty; a file edited by other tools may not.
 */
export function danglingReferences(db: ReadableDb): string[] {
  const rows = db.pragma('foreign_key_check') as {
    table: string
    rowid: number | null
    parent: string
  }[]
  return rows.map((r) => `${r.table} row ${r.rowid ?? '?'} points at a missing ${r.parent}`)
}
