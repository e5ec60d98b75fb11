/**
 * What every importer does once pixels are read: bad-file policy, progress, cancellation,
 * per-class caps, the train/validation split and the provenance record.
 */
import { totalmem } from 'node:os'
import { basename } from 'node:path'
import { formatBytes } from '../../io/bounded'
import { ImportError } from '../errors'
import {
  capPerClass,
  gatherSplit,
  mulberry32,
  range,
  seededShuffle,
  stratifiedSplit
} from '../split'
import type { ImageDataset, ImageSplit } from '../types'
import type { ImportOptions, SkippedFile } from './types'

export const DEFAULT_VALIDATION_FRACTION = 0.2
export const DEFAULT_SPLIT_SEED = 42

/**
 * Copies of the pixels an import holds at its peak: the packed images as read, the split
 * gathered from them, and the shuffled/capped result (the store then writes in chunks).
 */
const IMPORT_COPIES = 3

/** The default memory budget of an import: half the machine's memory, at most 4 GB. */
export function defaultImportMemoryBudget(): number {
  return Math.min(4e9, Math.floor(totalmem() / 2))
}

/**
 * Refuses, before anything is decoded, an import that would need more memory than the budget
 * (ImportOptions.memoryBudgetBytes): `count` images of `shape` after conversion, plus
 * `extraBytes` held at the same time (a whole IDX or CIFAR file being read). States the figure.
 */
export function checkMemoryBudget(
  options: ImportOptions,
  source: string,
  count: number,
  shape: { height: number; width: number; channels: number },
  extraBytes = 0
): void {
  const budget = options.memoryBudgetBytes ?? defaultImportMemoryBudget()
  const perImage = shape.height * shape.width * shape.channels
  const needed = count * perImage * IMPORT_COPIES + extraBytes
  if (needed > budget) {
    throw new ImportError(
      source,
      `importing ${count.toLocaleString('en')} images of ${shape.height}×${shape.width}×${shape.channels} needs about ${formatBytes(needed)} of memory, more than the ${formatBytes(budget)} an import may use; import fewer images per class or resize them smaller`,
      {
        detail: `${count} × ${perImage} bytes × ${IMPORT_COPIES} copies + ${extraBytes} bytes read at once > budget ${budget}`
      }
    )
  }
}

/** Collects bad files under 'skip', rethrows under 'stop'. */
export class BadFilePolicy {
  readonly skipped: SkippedFile[] = []
  constructor(private readonly mode: 'stop' | 'skip' = 'stop') {}

  /** Call with the error for a bad file or record; returns only when the import may go on. */
  handle(err: ImportError): void {
    if (this.mode === 'stop') throw err
    this.skipped.push({
      file: err.file,
      reason: err.reason,
      ...(err.detail ? { detail: err.detail } : {})
    })
  }
}

/** Images and labels packed as they are read (already in the dataset's final shape). */
export class PackedImages {
  private readonly chunks: Uint8Array[] = []
  private readonly labelList: number[] = []

  constructor(readonly bytesPerImage: number) {}

  push(image: Uint8Array, label: number): void {
    if (image.length !== this.bytesPerImage) {
      throw new RangeError(`image has ${image.length} bytes, ${this.bytesPerImage} expected`)
    }
    this.chunks.push(image)
    this.labelList.push(label)
  }

  get count(): number {
    return this.labelList.length
  }

  /** As one split (in push order). */
  toSplit(): ImageSplit {
    const images = new Uint8Array(this.count * this.bytesPerImage)
    this.chunks.forEach((chunk, i) => images.set(chunk, i * this.bytesPerImage))
    return { images, labels: Uint8Array.from(this.labelList), count: this.count }
  }
}

/** Reports progress and checks for cancellation; call between files or record blocks. */
export function checkpoint(options: ImportOptions, fraction: number, file: string): void {
  options.signal?.throwIfAborted()
  options.onProgress?.({ fraction: Math.min(1, Math.max(0, fraction)), file })
}

export interface AssembleInput {
  importer: string
  source: string
  classNames: string[]
  height: number
  width: number
  channels: number
  /** Everything, or the source's training part. */
  train: ImageSplit
  /** The source's own validation part, if it has one. */
  validation?: ImageSplit
  /** Whether to shuffle a kept source split (when the source is sorted by class). */
  shuffleSourceSplit: boolean
  options: ImportOptions
  skipped: SkippedFile[]
  /** Whether maxPerClass was already applied while reading (to avoid decoding the excess). */
  capApplied?: boolean
  extra?: Record<string, unknown>
}

/** Applies caps and the split, checks the result, and writes the provenance. */
export function assembleDataset(input: AssembleInput): ImageDataset {
  const { options, classNames } = input
  const numClasses = classNames.length
  const seed = options.splitSeed ?? DEFAULT_SPLIT_SEED
  const fraction = options.validationFraction ?? DEFAULT_VALIDATION_FRACTION
  const size = input.height * input.width * input.channels
  const cap = input.capApplied ? undefined : options.maxPerClass
  const capped = (split: ImageSplit): number[] =>
    cap === undefined
      ? range(split.count)
      : capPerClass(split.labels.subarray(0, split.count), numClasses, cap, seed)

  const useSource = input.validation !== undefined && options.split !== 'seeded'
  let train: ImageSplit
  let validation: ImageSplit
  if (useSource && input.validation) {
    const rng = mulberry32(seed)
    const order = (split: ImageSplit): number[] =>
      input.shuffleSourceSplit ? seededShuffle(capped(split), rng) : capped(split)
    train = gatherSplit(input.train.images, input.train.labels, order(input.train), size)
    validation = gatherSplit(
      input.validation.images,
      input.validation.labels,
      order(input.validation),
      size
    )
  } else {
    const pool = input.validation ? concatSplits(input.train, input.validation, size) : input.train
    const kept = capped(pool)
    const keptLabels = kept.map((i) => pool.labels[i] as number)
    const parts = stratifiedSplit(keptLabels, numClasses, fraction, seed)
    train = gatherSplit(
      pool.images,
      pool.labels,
      parts.train.map((k) => kept[k] as number),
      size
    )
    validation = gatherSplit(
      pool.images,
      pool.labels,
      parts.validation.map((k) => kept[k] as number),
      size
    )
  }
  if (train.count === 0) throw new ImportError(input.source, 'no usable images left to train on')
  const present = classesPresent(train, validation, numClasses)
  if (present.length < 2) {
    throw new ImportError(
      input.source,
      present.length === 1
        ? `every image is of one class ("${classNames[present[0]!]}"); a classifier needs images of at least two classes`
        : 'no images of any class'
    )
  }

  const { onProgress: _p, signal: _s, ...plainOptions } = options
  return {
    name: options.name ?? basename(input.source),
    classNames: classNames.slice(),
    height: input.height,
    width: input.width,
    channels: input.channels,
    train,
    validation,
    provenance: {
      importer: input.importer,
      source: input.source,
      split: useSource ? 'source' : 'seeded',
      splitSeed: seed,
      ...(useSource ? {} : { validationFraction: fraction }),
      options: plainOptions,
      skipped: input.skipped,
      ...input.extra
    }
  }
}

/** Labels that occur in either split. */
function classesPresent(a: ImageSplit, b: ImageSplit, numClasses: number): number[] {
  const seen = new Uint8Array(numClasses)
  for (const s of [a, b]) for (let i = 0; i < s.count; i++) seen[s.labels[i]!] = 1
  return [...seen.keys()].filter((k) => seen[k] === 1)
}

function concatSplits(a: ImageSplit, b: ImageSplit, size: number): ImageSplit {
  const images = new Uint8Array((a.count + b.count) * size)
  images.set(a.images.subarray(0, a.count * size))
  images.set(b.images.subarray(0, b.count * size), a.count * size)
  const labels = new Uint8Array(a.count + b.count)
  labels.set(a.labels.subarray(0, a.count))
  labels.set(b.labels.subarray(0, b.count), a.count)
  return { images, labels, count: a.count + b.count }
}

/** Validates user options that every importer shares. */
export function checkOptions(options: ImportOptions, source: string): void {
  const fail = (what: string): never => {
    throw new ImportError(source, `invalid import option: ${what}`)
  }
  if (options.size) {
    const { height, width } = options.size
    if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
      fail(`size ${height}x${width}`)
    }
  }
  if (options.channels !== undefined && options.channels !== 1 && options.channels !== 3) {
    fail(`channels ${String(options.channels)} (1 or 3)`)
  }
  const f = options.validationFraction
  if (f !== undefined && !(f >= 0 && f < 1)) fail(`validationFraction ${f} (must be in [0, 1))`)
  const m = options.maxPerClass
  if (m !== undefined && !(Number.isInteger(m) && m >= 1)) fail(`maxPerClass ${m}`)
  if (options.classNames && (options.classNames.length < 2 || options.classNames.length > 256)) {
    fail(`classNames (2 to 256 names: a classifier needs two classes, labels are bytes)`)
  }
  const b = options.memoryBudgetBytes
  if (b !== undefined && !(Number.isFinite(b) && b > 0)) fail(`memoryBudgetBytes ${b}`)
  const px = options.maxImagePixels
  if (px !== undefined && !(Number.isInteger(px) && px > 0)) fail(`maxImagePixels ${px}`)
}
