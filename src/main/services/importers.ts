/**
 * Bridges an import request (window or command line) to the importer plug-ins: the request's
 * source kinds (imageFolder, cifar10, idx, auto) pick an importer id (`auto` lets the
 * importers' `match` decide) and its options become the importer's.
 */
import { statSync } from 'node:fs'
import type { DatasetImportRequest } from '../../contract/requests'
import { datasetImporters, type ImportOptions } from '../engine/data/importers'
import type { ImageDataset } from '../engine/data/types'
import type { JobHooks } from './hooks'

type FileSource = Exclude<DatasetImportRequest['source'], { kind: 'builtin' }>

const IMPORTER_OF: Record<FileSource['kind'], string | undefined> = {
  auto: undefined,
  imageFolder: 'image-folder',
  cifar10: 'cifar10-binary',
  idx: 'idx'
}

/** The importer options a request asks for (validated by the contract already). */
export function importOptions(request: DatasetImportRequest): ImportOptions {
  return {
    ...(request.validationFraction !== undefined
      ? { validationFraction: request.validationFraction, split: 'seeded' }
      : {}),
    ...(request.seed !== undefined ? { splitSeed: request.seed } : {}),
    ...(request.resize ? { size: request.resize } : {}),
    ...(request.maxPerClass ? { maxPerClass: request.maxPerClass } : {}),
    ...(request.onBadFile ? { onBadFile: request.onBadFile } : {})
  }
}

/**
 * IDX files come as a set (images and labels, train and t10k). A picked folder is read whole;
 * picked files are read alone (`ImportOptions.files`), never the other pairs beside them: the
 * window reaches only what was picked, and a user who chose the training pair gets it alone.
 */
function idxFiles(paths: readonly string[]): Pick<ImportOptions, 'files'> {
  if (paths.length === 1 && isFolder(paths[0]!)) return {}
  return { files: paths }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    // Missing: the importer names the file and says so.
    return false
  }
}

/** Opens the files of a non-builtin source with the importer it names. */
export async function openWithImporter(
  request: DatasetImportRequest,
  hooks: JobHooks
): Promise<ImageDataset> {
  const source = request.source as FileSource
  const path = source.kind === 'idx' ? source.paths[0]! : source.path
  return datasetImporters.open(path, {
    ...importOptions(request),
    ...(source.kind === 'idx' ? idxFiles(source.paths) : {}),
    importer: IMPORTER_OF[source.kind],
    signal: hooks.signal,
    onProgress: (p) =>
      hooks.onProgress?.({ fraction: 0.85 * p.fraction, stage: `Reading ${p.file}` })
  })
}
