/**
 * The importer registry: picks the plug-in whose `match` accepts a path, in registration
 * order (the specific formats first, the permissive ImageFolder last).
 */
import { stat } from 'node:fs/promises'
import { ImportError } from '../errors'
import type { ImageDataset } from '../types'
import { cifar10Importer } from './cifar10'
import { idxImporter } from './idx'
import { imageFolderImporter } from './imageFolder'
import type { DatasetImporter, ImportOptions } from './types'

export type { DatasetImporter, ImportOptions, ImportProgress, SkippedFile } from './types'
export { ImportError } from '../errors'

export class ImporterRegistry {
  private readonly importers: DatasetImporter[] = []

  constructor(importers: readonly DatasetImporter[] = []) {
    for (const importer of importers) this.register(importer)
  }

  /** Adds an importer; a second one with the same id is a programming error. */
  register(importer: DatasetImporter): this {
    if (this.importers.some((i) => i.id === importer.id)) {
      throw new Error(`dataset importer "${importer.id}" is already registered`)
    }
    this.importers.push(importer)
    return this
  }

  list(): readonly DatasetImporter[] {
    return this.importers
  }

  get(id: string): DatasetImporter | undefined {
    return this.importers.find((i) => i.id === id)
  }

  /** The first importer that matches `path`; a `match` that throws counts as no. */
  async find(path: string): Promise<DatasetImporter | undefined> {
    for (const importer of this.importers) {
      let ok: boolean
      try {
        ok = await importer.match(path)
      } catch {
        ok = false
      }
      if (ok) return importer
    }
    return undefined
  }

  /**
   * Imports `path` with the importer named by `importer`, or the one that matches. Throws
   * ImportError for a missing path or an unknown format (listing the known ones).
   */
  async open(
    path: string,
    options: ImportOptions & { importer?: string } = {}
  ): Promise<ImageDataset> {
    const { importer: id, ...rest } = options
    try {
      await stat(path)
    } catch {
      throw new ImportError(path, 'no such file or folder')
    }
    const importer = id ? this.get(id) : await this.find(path)
    if (!importer) {
      throw new ImportError(
        path,
        id
          ? `unknown importer "${id}"`
          : `unknown dataset format; expected one of: ${this.importers.map((i) => i.label).join('; ')}`
      )
    }
    return importer.open(path, rest)
  }
}

/** The built-in importers. */
export const datasetImporters = new ImporterRegistry([
  cifar10Importer,
  idxImporter,
  imageFolderImporter
])

/** Imports a dataset from `path` with the built-in importers (see ImporterRegistry.open). */
export function importDataset(
  path: string,
  options?: ImportOptions & { importer?: string }
): Promise<ImageDataset> {
  return datasetImporters.open(path, options)
}
