/**
 * The importer plug-in contract (ARCHITECTURE pattern 7, after Netron's ModelFactoryService):
 * `match` looks at layout, extension and magic bytes without consuming the input; `open`
 * parses. Importers only read: the store writes a dataset later, so a failed import leaves
 * the project unchanged.
 */
import type { ImageDataset } from '../types'
import type { Resample } from '../imageOps'

export interface ImportProgress {
  /** 0..1, monotone. */
  fraction: number
  /** The file being read. */
  file: string
}

export interface ImportOptions {
  /** Target image size; default: the source's (ImageFolder: the first image's). */
  size?: { height: number; width: number }
  /** 1 (grayscale) or 3 (RGB); default: the source's (ImageFolder: the first image's). */
  channels?: 1 | 3
  /** Resampling when resizing; default: 'area' when shrinking, else 'bilinear'. */
  resample?: Resample
  /**
   * 'source' keeps the split the format ships (CIFAR test_batch, IDX t10k, ImageFolder
   * train/ + val/); 'seeded' pools everything and splits with validationFraction + splitSeed.
   * Default: 'source' when there is one, else 'seeded'.
   */
  split?: 'source' | 'seeded'
  /** Share of each class that goes to validation in a seeded split. Default 0.2. */
  validationFraction?: number
  /** Seed of the split, of the maxPerClass draw and of shuffling. Default 42. */
  splitSeed?: number
  /**
   * At most this many images per class, drawn at random (seeded): from the pool before a
   * seeded split, or from each split separately when the source split is kept.
   */
  maxPerClass?: number
  /** Class names in label order; overrides the source's (IDX has none: '0', '1', ...). */
  classNames?: string[]
  /** Dataset name; default: the folder or file name. */
  name?: string
  /**
   * Refuse an import whose images would need more memory than this many bytes (estimated from
   * headers and file sizes before anything is decoded). Default: defaultImportMemoryBudget().
   */
  memoryBudgetBytes?: number
  /** Refuse single images with more pixels than this. Default: 4096 × 4096. */
  maxImagePixels?: number
  /**
   * IDX: read only these files (the ones the user picked), not every pair beside them. Default:
   * every pair in the folder.
   */
  files?: readonly string[]
  /** 'stop' (default): the first bad file aborts the import. 'skip': it is listed and left out. */
  onBadFile?: 'stop' | 'skip'
  onProgress?: (progress: ImportProgress) => void
  signal?: AbortSignal
}

export interface SkippedFile {
  file: string
  reason: string
  /** Technical detail of the reason, when there is one. */
  detail?: string
}

export interface DatasetImporter {
  /** Stable id, stored in the provenance. */
  readonly id: string
  /** What the UI shows. */
  readonly label: string
  /** Whether `open` would understand `path`; must not throw for foreign input. */
  match(path: string): Promise<boolean> | boolean
  open(path: string, options?: ImportOptions): Promise<ImageDataset>
}
