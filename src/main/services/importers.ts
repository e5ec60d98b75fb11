/**
 * Bridges an import request (CLI or window) to the importer plug-ins. Source names of the
 * contract and the CLI (imageFolder, cifar10, idx) map onto importer ids; `auto` lets the
 * importers' `match` decide.
 */
import { datasetImporters, type ImportOptions } from '../engine/data/importers'
import { ImportError } from '../engine/data/errors'
import type { ImageDataset } from '../engine/data/types'
import type { ImportRequest } from './datasets'
import type { JobHooks } from './hooks'

const SOURCE_TO_IMPORTER: Record<string, string | undefined> = {
  auto: undefined,
  imageFolder: 'image-folder',
  'image-folder': 'image-folder',
  cifar10: 'cifar10-binary',
  'cifar10-binary': 'cifar10-binary',
  idx: 'idx'
}

export const IMPORT_SOURCES = ['builtin', 'auto', 'imageFolder', 'cifar10', 'idx'] as const

export async function openWithImporter(req: ImportRequest, hooks: JobHooks): Promise<ImageDataset> {
  if (!(req.source in SOURCE_TO_IMPORTER)) {
    throw new ImportError(req.path ?? '', `unknown import source "${req.source}"; use one of ${IMPORT_SOURCES.join(', ')}`)
  }
  if (!req.path) throw new ImportError('', `an import from ${req.source} needs a path`)
  const options = (req.options ?? {}) as ImportOptions
  return datasetImporters.open(req.path, {
    ...options,
    importer: SOURCE_TO_IMPORTER[req.source],
    signal: hooks.signal,
    onProgress: (p) =>
      hooks.onProgress?.({ fraction: 0.85 * p.fraction, stage: `Reading ${p.file}` })
  })
}
