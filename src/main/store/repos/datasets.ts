/**
 * Datasets: metadata in one row, pixels and labels in chunks of CHUNK_IMAGES images per row,
 * so that saving or loading a 50k-image CIFAR split never needs a second 150 MB copy.
 */
import type { ImageDataset, ImageSplit } from '../../engine/data/types'
import { bytesToBlob, fromJson } from '../blobs'
import { inTransaction, type ReadableDb, type WritableDb } from '../db'
import { RecordNotFoundError } from '../errors'

/** Images per dataset_chunks row (a 32x32x3 chunk is 3 MB). */
export const CHUNK_IMAGES = 1000

type SplitName = 'train' | 'validation'

export interface StoredDataset {
  id: number
  name: string
  classNames: string[]
  /** [height, width, channels] */
  shape: [number, number, number]
  trainCount: number
  validationCount: number
  provenance: Record<string, unknown>
  createdAt: string
}

interface DatasetRow {
  id: number
  name: string
  class_names: string
  height: number
  width: number
  channels: number
  train_count: number
  validation_count: number
  provenance: string
  created_at: string
}

function checkSplit(ds: ImageDataset, split: SplitName): void {
  const s = ds[split]
  const size = ds.height * ds.width * ds.channels
  if (!Number.isInteger(s.count) || s.count < 0) {
    throw new Error(`dataset '${ds.name}': ${split} count ${s.count} is not a count`)
  }
  if (s.images.length !== s.count * size) {
    throw new Error(
      `dataset '${ds.name}': ${split} has ${s.images.length} image bytes, expected ${s.count} x ${size}`
    )
  }
  if (s.labels.length !== s.count) {
    throw new Error(
      `dataset '${ds.name}': ${split} has ${s.labels.length} labels for ${s.count} images`
    )
  }
  for (let i = 0; i < s.labels.length; i++) {
    if (s.labels[i]! >= ds.classNames.length) {
      throw new Error(
        `dataset '${ds.name}': ${split} label ${s.labels[i]} at ${i} is not one of ${ds.classNames.length} classes`
      )
    }
  }
}

function checkDataset(ds: ImageDataset): void {
  for (const [k, v] of [
    ['height', ds.height],
    ['width', ds.width],
    ['channels', ds.channels]
  ] as const) {
    if (!Number.isInteger(v) || v <= 0) {
      throw new Error(`dataset '${ds.name}': ${k} ${v} is invalid`)
    }
  }
  if (ds.classNames.length === 0 || ds.classNames.length > 256) {
    // Labels are bytes.
    throw new Error(`dataset '${ds.name}': needs 1..256 classes, got ${ds.classNames.length}`)
  }
  checkSplit(ds, 'train')
  checkSplit(ds, 'validation')
}

/** Saves a dataset (all or nothing) and returns its id. */
export function saveDataset(db: WritableDb, ds: ImageDataset): number {
  checkDataset(ds)
  const size = ds.height * ds.width * ds.channels
  return inTransaction(db, () => {
    const info = db
      .prepare(
        `INSERT INTO datasets (name, class_names, height, width, channels, train_count,
           validation_count, provenance, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
      )
      .run(
        ds.name,
        JSON.stringify(ds.classNames),
        ds.height,
        ds.width,
        ds.channels,
        ds.train.count,
        ds.validation.count,
        JSON.stringify(ds.provenance ?? {}),
        new Date().toISOString()
      )
    const id = Number(info.lastInsertRowid)
    const insertChunk = db.prepare(
      `INSERT INTO dataset_chunks (dataset_id, split, chunk, first_index, count, images, labels)
       VALUES (?, ?, ?, ?, ?, ?, ?)`
    )
    for (const split of ['train', 'validation'] as const) {
      const s = ds[split]
      for (let first = 0, chunk = 0; first < s.count; first += CHUNK_IMAGES, chunk++) {
        const n = Math.min(CHUNK_IMAGES, s.count - first)
        insertChunk.run(
          id,
          split,
          chunk,
          first,
          n,
          bytesToBlob(s.images.subarray(first * size, (first + n) * size)),
          bytesToBlob(s.labels.subarray(first, first + n))
        )
      }
    }
    return id
  })
}

function toSummary(r: DatasetRow): StoredDataset {
  return {
    id: r.id,
    name: r.name,
    classNames: JSON.parse(r.class_names) as string[],
    shape: [r.height, r.width, r.channels],
    trainCount: r.train_count,
    validationCount: r.validation_count,
    provenance: fromJson<Record<string, unknown>>(r.provenance) ?? {},
    createdAt: r.created_at
  }
}

/** Every dataset's metadata, oldest first, without pixels. */
export function listDatasets(db: ReadableDb): StoredDataset[] {
  const rows = db.prepare('SELECT * FROM datasets ORDER BY id').all() as DatasetRow[]
  return rows.map(toSummary)
}

export function getDatasetSummary(db: ReadableDb, id: number): StoredDataset | undefined {
  const row = db.prepare('SELECT * FROM datasets WHERE id = ?').get(id) as DatasetRow | undefined
  return row && toSummary(row)
}

function loadSplit(db: ReadableDb, row: DatasetRow, split: SplitName): ImageSplit {
  const size = row.height * row.width * row.channels
  const count = split === 'train' ? row.train_count : row.validation_count
  const images = new Uint8Array(count * size)
  const labels = new Uint8Array(count)
  let seen = 0
  const chunks = db
    .prepare(
      `SELECT first_index, count, images, labels FROM dataset_chunks
       WHERE dataset_id = ? AND split = ? ORDER BY chunk`
    )
    .iterate(row.id, split) as IterableIterator<{
    first_index: number
    count: number
    images: Buffer
    labels: Buffer
  }>
  for (const c of chunks) {
    if (
      c.first_index !== seen ||
      c.first_index + c.count > count ||
      c.images.length !== c.count * size ||
      c.labels.length !== c.count
    ) {
      throw new Error(
        `dataset ${row.id} ('${row.name}'): ${split} chunk at ${c.first_index} is inconsistent`
      )
    }
    images.set(c.images, c.first_index * size)
    labels.set(c.labels, c.first_index)
    seen += c.count
  }
  if (seen !== count) {
    throw new Error(
      `dataset ${row.id} ('${row.name}'): ${split} has ${seen} of ${count} images stored`
    )
  }
  return { images, labels, count }
}

/** The whole dataset, pixels included. Throws when `id` does not exist. */
export function loadDataset(db: ReadableDb, id: number): ImageDataset {
  // One read transaction: both splits come from the same snapshot even if a writer commits.
  return db.transaction(() => {
    const row = db.prepare('SELECT * FROM datasets WHERE id = ?').get(id) as DatasetRow | undefined
    if (!row) throw new RecordNotFoundError('dataset', id)
    return {
      name: row.name,
      classNames: JSON.parse(row.class_names) as string[],
      height: row.height,
      width: row.width,
      channels: row.channels,
      train: loadSplit(db, row, 'train'),
      validation: loadSplit(db, row, 'validation'),
      provenance: fromJson<Record<string, unknown>>(row.provenance) ?? {}
    }
  })()
}

/** Deletes a dataset and its chunks; models and runs that used it keep a NULL dataset. */
export function deleteDataset(db: WritableDb, id: number): boolean {
  return db.prepare('DELETE FROM datasets WHERE id = ?').run(id).changes > 0
}

export function renameDataset(db: WritableDb, id: number, name: string): boolean {
  return db.prepare('UPDATE datasets SET name = ? WHERE id = ?').run(name, id).changes > 0
}
