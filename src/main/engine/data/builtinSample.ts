/**
 * The built-in Fashion-MNIST sample (SPEC §2.2), so that a first-time user can run every
 * feature without importing anything. The file is made by `npm run sample`
 * (scripts/build-sample.ts) and committed under resources/.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
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

/**
 * The resources/ folder: $ORTHOLENS_RESOURCES when set, else `resources/` beside the nearest
 * package.json above this module. Walking up (rather than a fixed `../../..`) keeps it right
 * both from src/ under tsx and vitest and from the bundled out/main/ of electron-vite.
 */
export function resourcesDir(): string {
  const override = process.env.ORTHOLENS_RESOURCES
  if (override) return resolve(override)
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'resources')
    const parent = dirname(dir)
    if (parent === dir) {
      throw new Error(
        `cannot find the project root (no package.json above ${fileURLToPath(import.meta.url)}); set ORTHOLENS_RESOURCES`
      )
    }
    dir = parent
  }
}

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
