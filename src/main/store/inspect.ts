/**
 * Read-only inspection of a file before anything opens it for writing. It reads the 100-byte
 * SQLite header with plain fs calls, then (only if that looks right) opens the file read-only
 * for quick_check. A refused file is left byte-identical, with no -wal/-shm beside it.
 */
import { closeSync, existsSync, openSync, readSync, statSync, unlinkSync } from 'node:fs'
import Database from 'better-sqlite3'
import { asReadable } from './db'
import { ProjectFileError } from './errors'
import { LATEST_SCHEMA_VERSION } from './migrations/index'
import { newerVersionError } from './migrations/runner'
import {
  getApplicationId,
  getUserVersion,
  ORTHOLENS_APPLICATION_ID,
  quickCheck
} from './repos/schema'

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1')
const HEADER_BYTES = 100

export interface ProjectFileInfo {
  /** user_version: the schema the file was last migrated to. */
  schemaVersion: number
  /** The header says WAL (bytes 18-19 = 2): a writer left it in WAL mode. */
  walHeader: boolean
  /**
   * quick_check could not run read-only because a crash left a hot rollback journal; the
   * read-write open recovers it and must check the file itself.
   */
  needsRecovery: boolean
}

function notAProject(path: string, why: string): ProjectFileError {
  return new ProjectFileError('not-a-project', path, `${path} is not an Ortholens project (${why})`)
}

function damaged(path: string, why: string, cause?: unknown): ProjectFileError {
  return new ProjectFileError(
    'damaged',
    path,
    `${path} is an Ortholens project but it is damaged (${why}); open a backup or a saved copy`,
    { cause }
  )
}

/** Maps an error thrown by the OS or SQLite while reading `path` to a ProjectFileError. */
export function classifyOpenError(path: string, err: unknown): ProjectFileError {
  if (err instanceof ProjectFileError) return err
  const code = (err as { code?: string }).code ?? ''
  const message = (err as Error).message ?? String(err)
  if (code === 'ENOENT') {
    return new ProjectFileError('missing', path, `${path} does not exist`, { cause: err })
  }
  const denied = ['SQLITE_CANTOPEN', 'SQLITE_PERM', 'SQLITE_AUTH', 'SQLITE_READONLY']
  if (code === 'EACCES' || code === 'EPERM' || denied.some((d) => code.startsWith(d))) {
    return new ProjectFileError('unreadable', path, `${path} cannot be opened: ${message}`, {
      cause: err
    })
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new ProjectFileError(
      'locked',
      path,
      `${path} is locked by another program; close it there and try again`,
      { cause: err }
    )
  }
  if (code === 'SQLITE_NOTADB') return notAProject(path, 'not a database file')
  if (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_IOERR')) {
    return damaged(path, message, err)
  }
  return damaged(path, `${code || 'error'}: ${message}`, err)
}

function readHeader(path: string, size: number): Buffer {
  const header = Buffer.alloc(Math.min(size, HEADER_BYTES))
  const fd = openSync(path, 'r')
  try {
    readSync(fd, header, 0, header.length, 0)
  } finally {
    closeSync(fd)
  }
  return header
}

/** Checks the header: magic, application id, schema version, page size against file size. */
function checkHeader(path: string, size: number, header: Buffer): { walHeader: boolean } {
  if (header.length < HEADER_BYTES) {
    const n = Math.min(header.length, 6)
    if (header.subarray(0, n).equals(SQLITE_MAGIC.subarray(0, n))) {
      throw damaged(path, `only ${size} bytes long: truncated`)
    }
    throw notAProject(path, `only ${size} bytes long`)
  }
  if (!header.subarray(0, 16).equals(SQLITE_MAGIC)) throw notAProject(path, 'not an SQLite file')
  const appId = header.readInt32BE(68)
  if (appId !== ORTHOLENS_APPLICATION_ID) {
    throw notAProject(path, 'an SQLite database written by another program')
  }
  const version = header.readUInt32BE(60)
  if (version > LATEST_SCHEMA_VERSION) throw newerVersionError(path, version, LATEST_SCHEMA_VERSION)
  const rawPageSize = header.readUInt16BE(16)
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) throw damaged(path, 'bad page size')
  if (size % pageSize !== 0) throw damaged(path, 'truncated: not a whole number of pages')
  // The in-header page count is trustworthy when the change counter matches
  // version-valid-for (file format, section 1.3.7); a shorter file was cut off.
  const pages = header.readUInt32BE(28)
  if (pages > 0 && header.readUInt32BE(24) === header.readUInt32BE(92) && pages * pageSize > size) {
    throw damaged(path, `truncated: ${size / pageSize} of ${pages} pages present`)
  }
  return { walHeader: header[18] === 2 || header[19] === 2 }
}

/**
 * Inspects `path` without modifying it and throws a ProjectFileError ('missing',
 * 'not-a-project', 'damaged', 'newer-version', 'unreadable', 'locked') unless it is an
 * Ortholens project this version can open.
 */
export function inspectProjectFile(path: string): ProjectFileInfo {
  let size: number
  try {
    const st = statSync(path)
    if (!st.isFile()) throw notAProject(path, 'it is a folder or a device, not a file')
    size = st.size
  } catch (err) {
    throw classifyOpenError(path, err)
  }
  if (size === 0) throw notAProject(path, 'the file is empty')
  let header: Buffer
  try {
    header = readHeader(path, size)
  } catch (err) {
    throw classifyOpenError(path, err)
  }
  const { walHeader } = checkHeader(path, size, header)

  // A read-only connection to a WAL-mode file creates -wal and -shm when they are missing
  // (better-sqlite3 has no URI filenames, so ?immutable=1 is not available): note what
  // exists now and remove only what this inspection created.
  const sidecars = [`${path}-wal`, `${path}-shm`].filter((p) => !existsSync(p))
  let db: Database.Database | undefined
  try {
    db = new Database(path, { readonly: true, fileMustExist: true })
    db.pragma('busy_timeout = 2000')
    const ro = asReadable(db)
    const schemaVersion = getUserVersion(ro)
    if (getApplicationId(ro) !== ORTHOLENS_APPLICATION_ID) {
      throw notAProject(path, 'an SQLite database written by another program')
    }
    if (schemaVersion > LATEST_SCHEMA_VERSION) {
      throw newerVersionError(path, schemaVersion, LATEST_SCHEMA_VERSION)
    }
    const problems = quickCheck(ro)
    if (problems.length > 0) throw damaged(path, problems.slice(0, 3).join('; '))
    return { schemaVersion, walHeader, needsRecovery: false }
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'SQLITE_READONLY_ROLLBACK' || code === 'SQLITE_READONLY_RECOVERY') {
      return { schemaVersion: header.readUInt32BE(60), walHeader, needsRecovery: true }
    }
    throw classifyOpenError(path, err)
  } finally {
    db?.close()
    for (const p of sidecars) {
      try {
        if (existsSync(p)) unlinkSync(p)
      } catch {
        // Best effort: a leftover empty -shm is harmless to SQLite.
      }
    }
  }
}
