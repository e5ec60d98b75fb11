/**
 * Paths that must stay inside a folder the user chose: the weight files a model.json lists,
 * the images under an image folder, the batch files beside a CIFAR-10 file. A file a user
 * picked may name other files (indirection); none of them may lead out of the picked folder,
 * whether by `..`, an absolute path, or a symbolic link (SPEC §3: the program reaches only
 * files the user chose). Shared by every importer (Layers, ONNX, datasets).
 */
import { realpathSync } from 'node:fs'
import { isAbsolute, join, sep, win32 } from 'node:path'
import { describeFileError, FileAccessError } from './errors'

/** Whether `real` is `realRoot` or lies below it (both already resolved with realpath). */
export function isInsideReal(realRoot: string, real: string): boolean {
  if (real === realRoot) return true
  return real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep)
}

function realpathOrThrow(path: string, shown: string): string {
  try {
    return realpathSync(path)
  } catch (err) {
    const d = describeFileError(err)
    throw new FileAccessError(d.problem, shown, d.reason, d.detail)
  }
}

/** A folder the confinement is measured against, resolved once (links in it followed). */
export class ConfinedFolder {
  readonly real: string

  constructor(readonly root: string) {
    this.real = realpathOrThrow(root, root)
  }

  /**
   * Resolves a path as a file lists it (`listedIn` names that file for messages) inside this
   * folder. Refuses, before touching the file system: an empty path, an absolute path (POSIX
   * or Windows), a `..` segment, a NUL byte; then, after resolving every link: anything that
   * ends up outside the folder. Returns the joined path (for messages) and the real one (to read).
   */
  resolveListed(listed: string, listedIn: string): { path: string; real: string } {
    const refuse = (why: string): never => {
      throw new FileAccessError(
        'outside-folder',
        listedIn,
        `it lists "${listed}", ${why}; only files inside its own folder are read`
      )
    }
    if (typeof listed !== 'string' || listed.length === 0) refuse('an empty path')
    if (listed.includes('\0')) refuse('a path with a NUL byte')
    if (isAbsolute(listed) || win32.isAbsolute(listed)) refuse('an absolute path')
    if (listed.split(/[\\/]+/).some((segment) => segment === '..'))
      refuse('a path that climbs out with ".."')
    const path = join(this.root, listed)
    const real = realpathOrThrow(path, path)
    if (!isInsideReal(this.real, real)) refuse('a link that leads outside the folder')
    return { path, real }
  }

  /**
   * Checks a path found by listing this folder (so without `..`): its real location, links
   * followed, must be inside. Returns the real path.
   */
  resolveFound(path: string): string {
    const real = realpathOrThrow(path, path)
    if (!isInsideReal(this.real, real)) {
      throw new FileAccessError(
        'outside-folder',
        path,
        `it is a link to ${real}, outside the chosen folder ${this.root}; links out of the folder are not followed`
      )
    }
    return real
  }
}
