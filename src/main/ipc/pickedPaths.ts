/**
 * The picked-path rule (SPEC §3: the renderer reaches only files the user picked) compared on
 * real paths, so that it holds through every indirection: a symlink inside a picked folder
 * that leads out of it, `..` after a link (the OS resolves `link/..` to the link target's
 * parent, not lexically), a trailing slash, and letter case where the file system ignores it.
 */
import { realpathSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, sep } from 'node:path'

/** macOS and Windows file systems ignore letter case by default; Linux ones do not. */
export const CASE_INSENSITIVE_FS = process.platform === 'darwin' || process.platform === 'win32'

/**
 * Where `path` really leads: the OS's own resolution of every link and `..` on it (the
 * `.native` realpath, which also gives the on-disk letter case on macOS and Windows). A path
 * that does not exist yet (a project to create, a file to export) is its nearest existing
 * folder's real path plus the names after it; undefined when those names hold `.` or `..`
 * (where they lead cannot be known before they exist).
 */
export function realPathOf(path: string): string | undefined {
  // Not path.resolve: it removes `link/..` by text, which the OS does not do.
  const abs = isAbsolute(path) ? path : `${process.cwd()}${sep}${path}`
  const names: string[] = []
  let at = abs
  for (;;) {
    try {
      const real = realpathSync.native(at)
      return names.length > 0 ? join(real, ...names) : real
    } catch {
      const name = basename(at)
      const parent = dirname(at)
      if (parent === at) return undefined
      if (name === '.' || name === '..') return undefined
      names.unshift(name)
      at = parent
    }
  }
}

/** Whether real path `candidate` is `picked` or lies inside it (both from realPathOf). */
export function isSameOrInside(
  candidate: string,
  picked: string,
  caseInsensitive = CASE_INSENSITIVE_FS
): boolean {
  const a = caseInsensitive ? candidate.toLowerCase() : candidate
  const b = caseInsensitive ? picked.toLowerCase() : picked
  return a === b || a.startsWith(b.endsWith(sep) ? b : b + sep)
}
