/**
 * Where the analyst's files go when nobody says: a bare project name ("audit") is saved in the
 * user's documents folder (Documents/Ortholens), never in the app's working folder; and the
 * browser host's folder picker, which lists a folder's sub-folders and files but only inside
 * the user's own places (documents, home, the open project's folder, temporary files), with
 * every refusal in plain words. Listing shows names; it grants nothing: a path chosen in the
 * picker still goes through system.pickPath.
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { ContractError } from '../../contract/errors'
import type { FolderListing } from '../../contract/entities'
import type { PickPurpose } from '../../contract/names'
import type { HandlerContext } from './context'
import { isSameOrInside, realPathOf } from './pickedPaths'

/** Entries of one folder listed at most (sub-folders and files each). */
export const MAX_LISTED = 1000

/** The documents folder for projects and exports when the host does not name one. */
export function defaultDocumentsDir(): string {
  return join(homedir(), 'Documents', 'Ortholens')
}

/** The documents folder of this host (Electron's app.getPath('documents'), else ~/Documents). */
export function documentsDirOf(ctx: HandlerContext): string {
  return ctx.host.documentsDir ?? defaultDocumentsDir()
}

/**
 * `path` as a folder that exists (created with its parents when missing: the documents
 * folder on first use); `path` itself when it cannot be made, so a dialog still opens.
 */
export function ensureFolder(path: string): string {
  try {
    mkdirSync(path, { recursive: true })
  } catch {
    // Read-only home or the like: the dialog or the write that follows says what is wrong.
  }
  return path
}

/** Purposes whose typed bare name means "in my documents folder". */
const SAVE_PURPOSES: PickPurpose[] = [
  'project-new',
  'project-save-as',
  'project-open',
  'export-file',
  'export-folder'
]

/** Whether a typed path is a bare name: no folder in it at all ("audit", "audit.ortholens"). */
export function isBareName(typed: string): boolean {
  return (
    typed.trim() !== '' &&
    !/[\\/]/.test(typed) &&
    !typed.startsWith('~') &&
    typed !== '.' &&
    typed !== '..'
  )
}

/**
 * A path typed in the browser host, as the main side reads it: "~" and "~/…" are the home
 * folder; a bare name for a project or an export lies in the documents folder; anything else
 * is as typed (relative paths from the home folder, not from wherever the server started).
 */
export function resolveTypedPath(
  purpose: PickPurpose,
  typed: string,
  documentsDir: string
): string {
  const t = typed.trim()
  if (t === '~') return homedir()
  if (t.startsWith('~/') || t.startsWith('~\\')) return join(homedir(), t.slice(2))
  if (isBareName(t) && SAVE_PURPOSES.includes(purpose)) return join(ensureFolder(documentsDir), t)
  return isAbsolute(t) ? t : resolve(homedir(), t)
}

/** The places the picker may browse, each once, those that exist. */
export function folderRoots(ctx: HandlerContext): { label: string; path: string }[] {
  const project = ctx.session.project
  const candidates = [
    // Made on first use, so the picker always starts in the analyst's own folder.
    { label: 'Documents (Ortholens)', path: ensureFolder(documentsDirOf(ctx)) },
    { label: 'Home', path: homedir() },
    ...(project && !project.closed
      ? [{ label: 'This project’s folder', path: dirname(project.path) }]
      : []),
    { label: 'Temporary files', path: tmpdir() }
  ]
  const seen = new Set<string>()
  const out: { label: string; path: string }[] = []
  for (const c of candidates) {
    let real: string | undefined
    try {
      real = statSync(c.path).isDirectory() ? realPathOf(c.path) : undefined
    } catch {
      real = undefined
    }
    if (!real || seen.has(real)) continue
    seen.add(real)
    out.push({ label: c.label, path: real })
  }
  return out
}

const byName = (a: string, b: string): number =>
  a.localeCompare(b, 'en', { sensitivity: 'base', numeric: true })

/** Lists `path` (default: the documents folder, else home) for the picker. */
export function listFolder(ctx: HandlerContext, path: string | undefined): FolderListing {
  const roots = folderRoots(ctx)
  const typed = (path ?? '').trim()
  const wanted =
    typed === ''
      ? (roots[0]?.path ?? homedir())
      : resolveTypedPath('import-folder', typed, documentsDirOf(ctx))
  let info
  try {
    info = statSync(wanted)
  } catch (err) {
    const code = String((err as { code?: unknown }).code ?? '')
    if (code === 'EACCES' || code === 'EPERM')
      throw new ContractError(
        'forbidden-path',
        `Ortholens is not allowed to open the folder “${wanted}” (permissions).`,
        wanted,
        {
          technical: `${code}: ${(err as Error).message}`
        }
      )
    throw new ContractError(
      'not-found',
      `There is no folder “${wanted}”. Check the spelling, or go up and pick one from the list.`,
      wanted,
      {
        technical: code ? `${code}: ${(err as Error).message}` : String(err)
      }
    )
  }
  if (!info.isDirectory())
    throw new ContractError('invalid-args', `“${wanted}” is a file, not a folder.`, wanted)
  const real = realPathOf(wanted) ?? wanted
  const root = roots.find((r) => isSameOrInside(real, r.path))
  if (!root) {
    throw new ContractError(
      'forbidden-path',
      `The folder picker shows only your own places (${roots.map((r) => r.label.toLowerCase()).join(', ')}); “${real}” is outside them. Type the full path in the field instead if you mean it.`,
      real
    )
  }
  let entries
  try {
    entries = readdirSync(real, { withFileTypes: true })
  } catch (err) {
    const code = String((err as { code?: unknown }).code ?? '')
    throw new ContractError(
      'forbidden-path',
      `Ortholens is not allowed to read the folder “${real}” (permissions).`,
      real,
      {
        technical: code ? `${code}: ${(err as Error).message}` : String(err)
      }
    )
  }
  const folders: string[] = []
  const files: { name: string; sizeBytes: number }[] = []
  for (const e of entries) {
    if (e.name.startsWith('.')) continue
    let isDir = e.isDirectory()
    let size = 0
    if (e.isSymbolicLink() || (!isDir && !e.isFile())) {
      try {
        const st = statSync(join(real, e.name))
        isDir = st.isDirectory()
        if (!isDir && !st.isFile()) continue
        size = st.size
      } catch {
        continue
      }
    } else if (!isDir) {
      try {
        size = statSync(join(real, e.name)).size
      } catch {
        continue
      }
    }
    if (isDir) folders.push(e.name)
    else files.push({ name: e.name, sizeBytes: size })
  }
  folders.sort(byName)
  files.sort((a, b) => byName(a.name, b.name))
  const truncated = folders.length > MAX_LISTED || files.length > MAX_LISTED
  const up = dirname(real)
  return {
    path: real,
    parent:
      real === root.path || up === real || !roots.some((r) => isSameOrInside(up, r.path))
        ? null
        : up,
    roots,
    folders: folders.slice(0, MAX_LISTED),
    files: files.slice(0, MAX_LISTED),
    truncated
  }
}
