/**
 * Where exports are written (CSV tables, PNG sheets and charts, folders of images, the HTML
 * report), with the refusals in plain words: a folder that does not exist, a folder where a
 * file was meant, no permission, a full disk. The errno and the system's own text go to the
 * error's technical part ("Details" in the window, --verbose on the command line), never into
 * the message (issue 16: no raw "ENOENT: …").
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { ContractError, DISK_FULL_MESSAGE } from '../../contract/errors'

const codeOf = (err: unknown): string => String((err as { code?: unknown })?.code ?? '')
const textOf = (err: unknown): string => (err instanceof Error ? err.message : String(err))

function isFolder(path: string): boolean | undefined {
  try {
    return statSync(path).isDirectory()
  } catch {
    return undefined
  }
}

/** The refusal of a write to `path`, worded from the system's error code. */
export function exportWriteError(path: string, err: unknown): ContractError {
  const code = codeOf(err)
  const technical = code ? `${code}: ${textOf(err)}` : textOf(err)
  const folder = dirname(path)
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new ContractError(
        'not-found',
        `The folder “${folder}” does not exist. Choose an existing folder, or create it first.`,
        path,
        { technical }
      )
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new ContractError(
        'forbidden-path',
        `Ortholens is not allowed to write to “${path}” (the folder is read-only or belongs to someone else). Choose another folder, such as your Documents folder.`,
        path,
        { technical }
      )
    case 'EISDIR':
      return new ContractError(
        'invalid-args',
        `“${path}” is a folder. Add a file name to it, such as “${join(path, 'export')}…”.`,
        path,
        { technical }
      )
    case 'ENOSPC':
    case 'EDQUOT':
      return new ContractError('disk-full', DISK_FULL_MESSAGE, path, { technical })
    case 'ENAMETOOLONG':
      return new ContractError(
        'invalid-args',
        `The name “${basename(path)}” is too long for this disk. Choose a shorter one.`,
        path,
        { technical }
      )
    default:
      return new ContractError(
        'internal',
        `Ortholens could not write “${path}”. Check that the disk is connected and has room, then try again.`,
        path,
        { technical }
      )
  }
}

/**
 * Checks a file export's destination before any work is done: its folder must exist and be a
 * folder, and the path itself must not be a folder.
 */
export function checkExportFile(path: string): void {
  const folder = dirname(path)
  const parent = isFolder(folder)
  if (parent === undefined)
    throw exportWriteError(
      path,
      Object.assign(new Error(`no such folder: ${folder}`), { code: 'ENOENT' })
    )
  if (parent === false)
    throw new ContractError(
      'not-found',
      `“${folder}” is a file, not a folder. Choose a folder to save into.`,
      path
    )
  if (isFolder(path) === true)
    throw exportWriteError(
      path,
      Object.assign(new Error(`is a folder: ${path}`), { code: 'EISDIR' })
    )
}

/** Writes one export file; a refusal comes back in plain words (exportWriteError). */
export function writeExportFile(path: string, data: string | Uint8Array): string {
  checkExportFile(path)
  try {
    writeFileSync(path, data)
  } catch (err) {
    throw exportWriteError(path, err)
  }
  return path
}

/**
 * Makes `path` a folder to export into: an existing folder as it is, or a new folder inside an
 * existing one (as a save dialog's "new folder" does). A missing parent is refused: a typing
 * slip should not create a tree of folders somewhere unexpected.
 */
export function prepareExportFolder(path: string): string {
  const existing = isFolder(path)
  if (existing === true) return path
  if (existing === false)
    throw new ContractError(
      'invalid-args',
      `“${path}” is a file. Choose a folder (or a new folder name) to export the images into.`,
      path
    )
  const parent = dirname(path)
  if (isFolder(parent) !== true)
    throw new ContractError(
      'not-found',
      `The folder “${parent}” does not exist. Choose an existing folder, or create it first.`,
      path
    )
  try {
    mkdirSync(path)
  } catch (err) {
    throw exportWriteError(path, err)
  }
  return path
}
