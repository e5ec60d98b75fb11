/**
 * Models: architecture JSON, weights as one float32 blob plus a manifest of named shapes,
 * training config, status, metrics, per-epoch history and the best checkpoint.
 */
import { blobToFloat32, float32ToBlob, fromJson, toJson } from '../blobs'
import { inTransaction, type ReadableDb, type WritableDb } from '../db'
import { RecordNotFoundError } from '../errors'

export type ModelStatus = 'training' | 'ready' | 'collapsed' | 'cancelled' | 'failed'

export interface WeightManifestEntry {
  name: string
  shape: number[]
}

/** All weights of a model, concatenated in manifest order. */
export interface ModelWeights {
  manifest: WeightManifestEntry[]
  data: Float32Array
}

export interface NewModel {
  name: string
  architecture: object
  weights: ModelWeights
  datasetId?: number
  referenceModelId?: number
  trainingConfig?: object
  status: ModelStatus
  metrics?: object
}

export interface StoredModel {
  id: number
  name: string
  architecture: object
  datasetId: number | null
  referenceModelId: number | null
  trainingConfig: object | undefined
  status: ModelStatus
  metrics: object | undefined
  /** Number of float32 weights. */
  parameterCount: number
  /** The best checkpoint training kept (its weights are the model's), or null. */
  checkpoint: { epoch: number; valAccuracy: number } | null
  /** Epochs recorded in the model's history (0 for an imported model). */
  epochsRecorded: number
  createdAt: string
  updatedAt: string
}

export interface ModelRecord extends StoredModel {
  weights: ModelWeights
}

export interface ModelHistoryEntry {
  epoch: number
  trainLoss: number
  trainAccuracy: number
  valAccuracy?: number
  /** Orthogonality measure of the epoch (thesis Eq. 6.3), when trained against a reference. */
  delta?: number
  penalty?: number
  seconds: number
  extra?: object
}

export interface Checkpoint {
  epoch: number
  valAccuracy: number
  weights: ModelWeights
  savedAt: string
}

const STATUSES: readonly ModelStatus[] = ['training', 'ready', 'collapsed', 'cancelled', 'failed']

function checkStatus(status: string): asserts status is ModelStatus {
  if (!STATUSES.includes(status as ModelStatus)) {
    throw new Error(`model status '${status}' is not one of ${STATUSES.join(', ')}`)
  }
}

/** The manifest must account for exactly every float in `data`. */
function checkWeights(w: ModelWeights, what: string): void {
  let total = 0
  const names = new Set<string>()
  for (const e of w.manifest) {
    if (names.has(e.name)) throw new Error(`${what}: weight '${e.name}' appears twice`)
    names.add(e.name)
    if (!e.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new Error(`${what}: weight '${e.name}' has shape [${e.shape.join(', ')}]`)
    }
    total += e.shape.reduce((a, b) => a * b, 1)
  }
  if (total !== w.data.length) {
    throw new Error(`${what}: manifest describes ${total} weights but ${w.data.length} were given`)
  }
}

interface ModelRow {
  id: number
  name: string
  architecture: string
  dataset_id: number | null
  reference_model_id: number | null
  training_config: string | null
  status: string
  metrics: string | null
  weight_bytes: number
  checkpoint_epoch: number | null
  checkpoint_accuracy: number | null
  epochs_recorded: number
  created_at: string
  updated_at: string
}

const SUMMARY_COLUMNS = `id, name, architecture, dataset_id, reference_model_id, training_config,
  status, metrics, length(weights) AS weight_bytes, created_at, updated_at,
  (SELECT epoch FROM model_checkpoints c WHERE c.model_id = models.id) AS checkpoint_epoch,
  (SELECT val_accuracy FROM model_checkpoints c WHERE c.model_id = models.id) AS checkpoint_accuracy,
  (SELECT count(*) FROM model_history h WHERE h.model_id = models.id) AS epochs_recorded`

function toSummary(r: ModelRow): StoredModel {
  checkStatus(r.status)
  return {
    id: r.id,
    name: r.name,
    architecture: JSON.parse(r.architecture) as object,
    datasetId: r.dataset_id,
    referenceModelId: r.reference_model_id,
    trainingConfig: fromJson<object>(r.training_config),
    status: r.status,
    metrics: fromJson<object>(r.metrics),
    parameterCount: r.weight_bytes / 4,
    checkpoint:
      r.checkpoint_epoch !== null && r.checkpoint_accuracy !== null
        ? { epoch: r.checkpoint_epoch, valAccuracy: r.checkpoint_accuracy }
        : null,
    epochsRecorded: r.epochs_recorded,
    createdAt: r.created_at,
    updatedAt: r.updated_at
  }
}

/** Saves a new model and returns its id. */
export function saveModel(db: WritableDb, model: NewModel): number {
  checkStatus(model.status)
  checkWeights(model.weights, `model '${model.name}'`)
  const now = new Date().toISOString()
  const info = db
    .prepare(
      `INSERT INTO models (name, architecture, weight_manifest, weights, dataset_id,
         reference_model_id, training_config, status, metrics, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
    )
    .run(
      model.name,
      JSON.stringify(model.architecture),
      JSON.stringify(model.weights.manifest),
      float32ToBlob(model.weights.data),
      model.datasetId ?? null,
      model.referenceModelId ?? null,
      toJson(model.trainingConfig),
      model.status,
      toJson(model.metrics),
      now,
      now
    )
  return Number(info.lastInsertRowid)
}

function changed(what: string, id: number, changes: number): void {
  if (changes === 0) throw new RecordNotFoundError('model', id)
}

export function updateModelWeights(db: WritableDb, id: number, weights: ModelWeights): void {
  checkWeights(weights, `model ${id}`)
  const r = db
    .prepare('UPDATE models SET weight_manifest = ?, weights = ?, updated_at = ? WHERE id = ?')
    .run(
      JSON.stringify(weights.manifest),
      float32ToBlob(weights.data),
      new Date().toISOString(),
      id
    )
  changed('update weights', id, r.changes)
}

export function updateModelStatus(db: WritableDb, id: number, status: ModelStatus): void {
  checkStatus(status)
  const r = db
    .prepare('UPDATE models SET status = ?, updated_at = ? WHERE id = ?')
    .run(status, new Date().toISOString(), id)
  changed('update status', id, r.changes)
}

export function updateModelMetrics(db: WritableDb, id: number, metrics: object): void {
  const r = db
    .prepare('UPDATE models SET metrics = ?, updated_at = ? WHERE id = ?')
    .run(JSON.stringify(metrics), new Date().toISOString(), id)
  changed('update metrics', id, r.changes)
}

export function renameModel(db: WritableDb, id: number, name: string): void {
  if (name.trim() === '') throw new Error('a model name cannot be empty')
  const r = db
    .prepare('UPDATE models SET name = ?, updated_at = ? WHERE id = ?')
    .run(name, new Date().toISOString(), id)
  changed('rename', id, r.changes)
}

/**
 * Deletes a model with its history and checkpoint. Models that used it as reference keep a
 * NULL reference; runs drop it from their model list.
 */
export function deleteModel(db: WritableDb, id: number): boolean {
  return db.prepare('DELETE FROM models WHERE id = ?').run(id).changes > 0
}

/** Every model without weights, oldest first. */
export function listModels(db: ReadableDb): StoredModel[] {
  const rows = db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM models ORDER BY id`).all() as ModelRow[]
  return rows.map(toSummary)
}

/** A model with its weights. Throws when `id` does not exist. */
export function loadModel(db: ReadableDb, id: number): ModelRecord {
  const row = db
    .prepare(`SELECT ${SUMMARY_COLUMNS}, weight_manifest, weights FROM models WHERE id = ?`)
    .get(id) as (ModelRow & { weight_manifest: string; weights: Buffer }) | undefined
  if (!row) throw new RecordNotFoundError('model', id)
  const weights = {
    manifest: JSON.parse(row.weight_manifest) as WeightManifestEntry[],
    data: blobToFloat32(row.weights, `model ${id} weights`)
  }
  checkWeights(weights, `model ${id} as stored`)
  return { ...toSummary(row), weights }
}

/** Records one epoch; writing the same epoch again replaces it (a resumed run). */
export function appendModelHistory(db: WritableDb, modelId: number, e: ModelHistoryEntry): void {
  db.prepare(
    `INSERT OR REPLACE INTO model_history (model_id, epoch, train_loss, train_accuracy,
       val_accuracy, delta, penalty, seconds, extra)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
  ).run(
    modelId,
    e.epoch,
    e.trainLoss,
    e.trainAccuracy,
    e.valAccuracy ?? null,
    e.delta ?? null,
    e.penalty ?? null,
    e.seconds,
    toJson(e.extra)
  )
}

export function listModelHistory(db: ReadableDb, modelId: number): ModelHistoryEntry[] {
  const rows = db
    .prepare('SELECT * FROM model_history WHERE model_id = ? ORDER BY epoch')
    .all(modelId) as {
    epoch: number
    train_loss: number
    train_accuracy: number
    val_accuracy: number | null
    delta: number | null
    penalty: number | null
    seconds: number
    extra: string | null
  }[]
  return rows.map((r) => {
    const e: ModelHistoryEntry = {
      epoch: r.epoch,
      trainLoss: r.train_loss,
      trainAccuracy: r.train_accuracy,
      seconds: r.seconds
    }
    if (r.val_accuracy !== null) e.valAccuracy = r.val_accuracy
    if (r.delta !== null) e.delta = r.delta
    if (r.penalty !== null) e.penalty = r.penalty
    if (r.extra !== null) e.extra = JSON.parse(r.extra) as object
    return e
  })
}

/**
 * Keeps `weights` as the model's best checkpoint when its validation accuracy beats the one
 * stored (ties keep the earlier epoch). Returns whether it was kept.
 */
export function saveCheckpoint(
  db: WritableDb,
  modelId: number,
  c: { epoch: number; valAccuracy: number; weights: ModelWeights }
): boolean {
  checkWeights(c.weights, `checkpoint of model ${modelId}`)
  if (!Number.isFinite(c.valAccuracy)) {
    throw new Error(`checkpoint of model ${modelId}: validation accuracy ${c.valAccuracy}`)
  }
  return inTransaction(db, () => {
    const best = db
      .prepare('SELECT val_accuracy FROM model_checkpoints WHERE model_id = ?')
      .get(modelId) as { val_accuracy: number } | undefined
    if (best && best.val_accuracy >= c.valAccuracy) return false
    db.prepare(
      `INSERT OR REPLACE INTO model_checkpoints (model_id, epoch, val_accuracy, weight_manifest,
         weights, saved_at) VALUES (?, ?, ?, ?, ?, ?)`
    ).run(
      modelId,
      c.epoch,
      c.valAccuracy,
      JSON.stringify(c.weights.manifest),
      float32ToBlob(c.weights.data),
      new Date().toISOString()
    )
    return true
  })
}

/** The best checkpoint, or undefined when none was saved. */
export function loadBestCheckpoint(db: ReadableDb, modelId: number): Checkpoint | undefined {
  const row = db.prepare('SELECT * FROM model_checkpoints WHERE model_id = ?').get(modelId) as
    | {
        epoch: number
        val_accuracy: number
        weight_manifest: string
        weights: Buffer
        saved_at: string
      }
    | undefined
  if (!row) return undefined
  return {
    epoch: row.epoch,
    valAccuracy: row.val_accuracy,
    weights: {
      manifest: JSON.parse(row.weight_manifest) as WeightManifestEntry[],
      data: blobToFloat32(row.weights, `checkpoint of model ${modelId}`)
    },
    savedAt: row.saved_at
  }
}
