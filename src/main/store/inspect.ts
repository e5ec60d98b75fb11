/**
 * Deciding whether a file is a project this version can open, in two steps:
 * 1. `preflightProjectFile` reads the 100-byte SQLite header with plain fs calls: a folder, an
 *    empty file, a text file or another program's database is refused before SQLite touches it.
 *    The header's page count and the file size are judged only when no -wal or -journal lies
 *    beside the file: a crash during a checkpoint leaves the header ahead of the file (its pages
 *    are still in the -wal), and a hot journal restores the header on rollback, so only SQLite's
 *    own recovery knows the committed size.
 * 2. `checkProjectConnection` asks SQLite, after its recovery, for the application id, the
 *    schema version and quick_check. A project is called damaged only when that fails.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs'
import Database from 'better-sqlite3'
import { asReadable, type ReadableDb } from './db'
import { ProjectFileError, technicalDetail } from './errors'
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
  /** The header says WAL (bytes 18-19 = 2). */
  walHeader: boolean
  /**
   * quick_check could not run read-only because a crash left a hot rollback journal; opening
   * the project rolls it back and checks the file then.
   */
  needsRecovery: boolean
}

/** What the header and the sidecar files say before SQLite opens the file. */
export interface HeaderFacts {
  size: number
  /** user_version in the header (stale when a -wal holds newer pages). */
  headerSchemaVersion: number
  walHeader: boolean
  /** A non-empty -wal lies beside the file: a crash or another connection's uncheckpointed work. */
  hasWal: boolean
  /** A non-empty -journal lies beside the file: maybe hot (a crash mid-write), maybe in use. */
  hasJournal: boolean
}

function notAProject(path: string, why: string): ProjectFileError {
  return new ProjectFileError('not-a-project', path, `${path} is not an Ortholens project (${why})`)
}

/** The "damaged" refusal; `why` is in plain words, `detail` the checker's own report. */
export function damaged(
  path: string,
  why: string,
  options: { cause?: unknown; detail?: string } = {}
): ProjectFileError {
  return new ProjectFileError(
    'damaged',
    path,
    `${path} is an Ortholens project but it is damaged (${why}); open a backup or a saved copy`,
    options
  )
}

/** Maps an error thrown by the OS or SQLite while reading `path` to a ProjectFileError. */
export function classifyOpenError(path: string, err: unknown): ProjectFileError {
  if (err instanceof ProjectFileError) return err
  const code = String((err as { code?: unknown }).code ?? '')
  const detail = technicalDetail(err)
  if (code === 'ENOENT') {
    return new ProjectFileError('missing', path, `${path} does not exist`, { cause: err, detail })
  }
  if (code === 'EISDIR') return notAProject(path, 'it is a folder, not a file')
  const denied = ['SQLITE_CANTOPEN', 'SQLITE_PERM', 'SQLITE_AUTH', 'SQLITE_READONLY']
  if (code === 'EACCES' || code === 'EPERM' || denied.some((d) => code.startsWith(d))) {
    return new ProjectFileError(
      'unreadable',
      path,
      `${path} cannot be opened: the system does not allow this program to read or write it (check the file's and its folder's permissions)`,
      { cause: err, detail }
    )
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new ProjectFileError(
      'locked',
      path,
      `${path} is locked by another program; close it there and try again`,
      { cause: err, detail }
    )
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    return new ProjectFileError(
      'disk-full',
      path,
      `${path} cannot be written: the disk is full. Free some space and try again; nothing saved was lost`,
      { cause: err, detail }
    )
  }
  if (code === 'SQLITE_NOTADB') return notAProject(path, 'not a database file')
  if (code.startsWith('SQLITE_CORRUPT')) {
    return damaged(path, 'its pages do not fit together', { cause: err, detail })
  }
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') {
    return damaged(path, 'the disk reported a read or write error', { cause: err, detail })
  }
  return damaged(path, 'it could not be read as a project', { cause: err, detail })
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

function nonEmpty(path: string): boolean {
  try {
    return statSync(path).size > 0
  } catch {
    return false
  }
}

/**
 * Refuses, from the header and without writing, what is not a project or is plainly damaged
 * (see the module comment for what is judged only after SQLite's recovery).
 */
export function preflightProjectFile(path: string): HeaderFacts {
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
  if (header.length < HEADER_BYTES) {
    const n = Math.min(header.length, 6)
    if (header.subarray(0, n).equals(SQLITE_MAGIC.subarray(0, n))) {
      throw damaged(path, `only ${size} bytes long: truncated`)
    }
    throw notAProject(path, `only ${size} bytes long`)
  }
  if (!header.subarray(0, 16).equals(SQLITE_MAGIC)) throw notAProject(path, 'not an SQLite file')
  // The application id is set when the project is created, before the file is published, and
  // never changes: even a header behind a -wal or under a hot journal carries it.
  if (header.readInt32BE(68) !== ORTHOLENS_APPLICATION_ID) {
    throw notAProject(path, 'an SQLite database written by another program')
  }
  const facts: HeaderFacts = {
    size,
    headerSchemaVersion: header.readUInt32BE(60),
    walHeader: header[18] === 2 || header[19] === 2,
    hasWal: nonEmpty(`${path}-wal`),
    hasJournal: nonEmpty(`${path}-journal`)
  }
  if (facts.hasWal || facts.hasJournal) return facts

  if (facts.headerSchemaVersion > LATEST_SCHEMA_VERSION) {
    throw newerVersionError(path, facts.headerSchemaVersion, LATEST_SCHEMA_VERSION)
  }
  const rawPageSize = header.readUInt16BE(16)
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) {
    throw damaged(path, 'its header is garbled', { detail: `page size field ${rawPageSize}` })
  }
  if (size % pageSize !== 0) {
    throw damaged(path, 'truncated: it does not end on a page boundary', {
      detail: `${size} bytes, page size ${pageSize}`
    })
  }
  // The in-header page count is trustworthy when the change counter matches
  // version-valid-for (file format, section 1.3.7) and no sidecar holds newer pages.
  const pages = header.readUInt32BE(28)
  if (pages > 0 && header.readUInt32BE(24) === header.readUInt32BE(92) && pages * pageSize > size) {
    throw damaged(path, `truncated: ${size / pageSize} of ${pages} pages present`)
  }
  return facts
}

/**
 * Checks an open connection, after SQLite's recovery: application id, schema version and
 * quick_check. Returns the schema version (possibly older than this version's).
 */
export function checkProjectConnection(db: ReadableDb, path: string): number {
  if (getApplicationId(db) !== ORTHOLENS_APPLICATION_ID) {
    throw notAProject(path, 'an SQLite database written by another program')
  }
  const schemaVersion = getUserVersion(db)
  if (schemaVersion > LATEST_SCHEMA_VERSION) {
    throw newerVersionError(path, schemaVersion, LATEST_SCHEMA_VERSION)
  }
  const problems = quickCheck(db)
  if (problems.length > 0) {
    throw damaged(path, 'its pages do not fit together', {
      detail: problems.slice(0, 3).join('; ')
    })
  }
  return schemaVersion
}

/** Whether an error says a read-only connection met a crash it may not repair. */
export function needsWriteToRecover(err: unknown): boolean {
  const code = (err as { code?: unknown }).code
  return code === 'SQLITE_READONLY_ROLLBACK' || code === 'SQLITE_READONLY_RECOVERY'
}

/**
 * Inspects `path` without modifying it and throws a ProjectFileError ('missing',
 * 'not-a-project', 'damaged', 'newer-version', 'unreadable', 'locked') unless it is an
 * Ortholens project this version can open. A file in WAL mode without its -wal is checked
 * through a connection that may create -wal/-shm; the last connection to close removes them.
 */
export function inspectProjectFile(path: string): ProjectFileInfo {
  const facts = preflightProjectFile(path)
  const readOnly = facts.hasWal || facts.hasJournal || !facts.walHeader
  let db: Database.Database | undefined
  try {
    // A read-only connection never checkpoints nor rolls back, so a crashed file is inspected
    // as it is; a clean WAL-mode file gets a query-only read-write connection, because a
    // read-only one would leave the -wal and -shm it creates behind.
    db = new Database(path, { readonly: readOnly, fileMustExist: true })
    db.pragma('busy_timeout = 2000')
    if (!readOnly) db.pragma('query_only = ON')
    const schemaVersion = checkProjectConnection(asReadable(db), path)
    return { schemaVersion, walHeader: facts.walHeader, needsRecovery: false }
  } catch (err) {
    if (needsWriteToRecover(err)) {
      return {
        schemaVersion: facts.headerSchemaVersion,
        walHeader: facts.walHeader,
        needsRecovery: true
      }
    }
    throw classifyOpenError(path, err)
  } finally {
    db?.close()
  }
}
