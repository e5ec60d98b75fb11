/** Gallery images of a run: original and adversarial pixels (float32 HWC in [0, 1]). */
import { blobToFloat32, float32ToBlob } from '../blobs'
import { inTransaction, type ReadableDb, type WritableDb } from '../db'

export interface StoredGalleryItem {
  sampleIndex: number
  label: number
  epsilon: number
  attack: string
  original: Float32Array
  adversarial: Float32Array
  /** [height, width, channels] */
  shape: [number, number, number]
  /** Model predictions on both images, as the producer shaped them. */
  predictions: object
}

/**
 * Appends items to a run's gallery, all or none: a bad item anywhere saves nothing.
 * Returns the number of items the run's gallery holds afterwards.
 */
export function saveGalleryItems(
  db: WritableDb,
  runId: number,
  items: StoredGalleryItem[]
): number {
  return inTransaction(db, () => {
    const { next } = db
      .prepare('SELECT coalesce(max(position) + 1, 0) AS next FROM gallery_items WHERE run_id = ?')
      .get(runId) as { next: number }
    const insert = db.prepare(
      `INSERT INTO gallery_items (run_id, position, sample_index, label, epsilon, attack, height,
         width, channels, original, adversarial, predictions)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
    )
    items.forEach((item, i) => {
      const [h, w, c] = item.shape
      const size = h * w * c
      if (!(size > 0) || item.original.length !== size || item.adversarial.length !== size) {
        throw new Error(
          `gallery item ${i} of run ${runId}: shape [${item.shape.join(', ')}] does not match ` +
            `${item.original.length} original / ${item.adversarial.length} adversarial values`
        )
      }
      insert.run(
        runId,
        next + i,
        item.sampleIndex,
        item.label,
        item.epsilon,
        item.attack,
        h,
        w,
        c,
        float32ToBlob(item.original),
        float32ToBlob(item.adversarial),
        JSON.stringify(item.predictions)
      )
    })
    return next + items.length
  })
}

/** A run's gallery in the order saved. */
export function listGalleryItems(db: ReadableDb, runId: number): StoredGalleryItem[] {
  const rows = db
    .prepare('SELECT * FROM gallery_items WHERE run_id = ? ORDER BY position')
    .all(runId) as {
    sample_index: number
    label: number
    epsilon: number
    attack: string
    height: number
    width: number
    channels: number
    original: Buffer
    adversarial: Buffer
    predictions: string
  }[]
  return rows.map((r) => ({
    sampleIndex: r.sample_index,
    label: r.label,
    epsilon: r.epsilon,
    attack: r.attack,
    original: blobToFloat32(r.original, `gallery of run ${runId}`),
    adversarial: blobToFloat32(r.adversarial, `gallery of run ${runId}`),
    shape: [r.height, r.width, r.channels],
    predictions: JSON.parse(r.predictions) as object
  }))
}
