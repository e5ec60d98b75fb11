/**
 * In-memory dataset as the engine and the project file see it. Images are kept as 8-bit
 * HWC pixels (compact; the project stores them as blobs) and turned into float tensors in
 * [0, 1] only per mini-batch.
 */
export interface ImageSplit {
  /** n * height * width * channels bytes, image after image, row-major HWC. */
  images: Uint8Array
  /** n class indices, each in [0, classNames.length). */
  labels: Uint8Array
  count: number
}

export interface ImageDataset {
  name: string
  classNames: string[]
  height: number
  width: number
  channels: number
  train: ImageSplit
  validation: ImageSplit
  /** Where it came from: importer id, files, options, split seed. Stored with the dataset. */
  provenance: Record<string, unknown>
}

/** Bytes of one image. */
export function imageSize(ds: Pick<ImageDataset, 'height' | 'width' | 'channels'>): number {
  return ds.height * ds.width * ds.channels
}
