/**
 * The built-in Fashion-MNIST sample (SPEC §2.2), so that a first-time user can run every
 * feature without importing anything. The file is made by `npm run sample`
 * (scripts/build-sample.ts) and committed under resources/.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { resourcesDir } from '../resources'
import { decodeDatasetFile } from './datasetFile'
import { DatasetFileError } from './errors'
import type { ImageDataset } from './types'

export const BUILTIN_SAMPLE_FILE = 'fashion-mnist-sample.olds.gz'

/** Class names of Fashion-MNIST, in label order. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot'
] as const

/** Path of the built-in sample file. */
export function builtinSamplePath(): string {
  return join(resourcesDir(), BUILTIN_SAMPLE_FILE)
}

/**
 * Loads the built-in sample: 24,000 training and 6,000 validation 28x28x1 images, 10
 * balanced classes. Each call returns fresh arrays. Throws DatasetFileError naming the file
 * if it is missing or corrupt.
 */
export function loadBuiltinSample(path: string = builtinSamplePath()): ImageDataset {
  let bytes: Buffer
  try {
    bytes = readFileSync(path)
  } catch (err) {
    throw new DatasetFileError(
      path,
      `cannot read the built-in sample (${(err as Error).message}); run \`npm run sample\``,
      {
        cause: err
      }
    )
  }
  return decodeDatasetFile(bytes, path)
}
