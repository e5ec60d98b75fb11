/**
 * Creating and opening project files, crash-consistently:
 * - the header is read first with plain fs calls (inspect.ts), so a file that is not a project
 *   is refused before SQLite touches it;
 * - SQLite then recovers what a crash left (a -wal is read, a hot rollback journal rolled back)
 *   and only the recovered database is judged (application id, schema, quick_check);
 * - a project is WAL from its creation on, and nothing is written at open unless there is
 *   something to repair or migrate: the switch of an older file to WAL and the note of the
 *   writing version wait for the first write transaction (db.ts WriteGate), so an open, or any
 *   operation refused before it writes, leaves the file byte-identical;
 * - a read-only open uses a query-only connection that can still recover a crash, falling back
 *   to a read-only connection, and to a recovered private snapshot when the file cannot be
 *   written at all.
 */
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdtempSync,
  renameSync,
  rmSync,
  unlinkSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, extname, join } from 'node:path'
import Database from 'better-sqlite3'
import { APP_VERSION } from './app-version'
import { asReadable, asWritable, setWriteGate, type ReadableDb, type WritableDb } from './db'
import { ProjectFileError } from './errors'
import {
  checkProjectConnection,
  classifyOpenError,
  needsWriteToRecover,
  preflightProjectFile
} from './inspect'
import { LATEST_SCHEMA_VERSION } from './migrations/index'
import { migrate } from './migrations/runner'
import { initProjectMeta, recordWritingVersion } from './repos/meta'
import { ownerAlive } from './owner'
import { markInterruptedRuns } from './repos/runs'
import {
  configureConnection,
  enableWal,
  getUserVersion,
  journalMode,
  ORTHOLENS_APPLICATION_ID,
  setApplicationId
} from './repos/schema'

/** How long a statement waits for another connection's lock before failing. */
const BUSY_TIMEOUT_MS = 5000

export interface OpenProjectOptions {
  /** Create the project when no file exists at the path. */
  create?: boolean
  /** Open without writing anything; writable() then throws. */
  readonly?: boolean
  /** Recorded as the version that created or last wrote the project. */
  appVersion?: string
}

export interface ProjectDb {
  readonly path: string
  readonly readonly: boolean
  /** The connection for reading. */
  readonly db: ReadableDb
  /** The connection for writing; throws ProjectFileError 'read-only' on a read-only open. */
  writable(): WritableDb
  /**
   * Runs found 'running' at open whose process is gone (a crash or kill), now marked
   * 'interrupted'. Runs of a live process (CLI beside the window) are left alone.
   */
  readonly interruptedRunIds: readonly number[]
  /**
   * Marks runs of this project whose job has ended without recording its end (its process
   * died, or in this thread its end could not be written: a full disk) as 'interrupted', as an
   * open does; for a connection kept open across jobs. Returns the run ids marked.
   */
  reconcileInterrupted(): readonly number[]
  /** Schema versions applied by this open (empty when the file was current). */
  readonly migrated: readonly number[]
  readonly closed: boolean
  close(): void
}

function tempSibling(path: string, what: string): string {
  const rand = Math.random().toString(36).slice(2, 10)
  return join(dirname(path), `.${basename(path)}.${what}-${process.pid}-${rand}`)
}

function removeQuietly(path: string): void {
  for (const p of [path, `${path}-journal`, `${path}-wal`, `${path}-shm`]) {
    try {
      unlinkSync(p)
    } catch {
      // absent
    }
  }
}

/**
 * Moves a finished temporary file to `target`. A hard link refuses an existing target
 * atomically; file systems without hard links (FAT, some network shares) fall back to rename.
 */
function publish(tmp: string, target: string, overwrite: boolean): void {
  if (overwrite) {
    renameSync(tmp, target)
    return
  }
  try {
    linkSync(tmp, target)
    unlinkSync(tmp)
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'EEXIST') {
      throw new ProjectFileError('exists', target, `${target} already exists`, { cause: err })
    }
    if (existsSync(target)) {
      throw new ProjectFileError('exists', target, `${target} already exists`, { cause: err })
    }
    renameSync(tmp, target)
  }
}

/**
 * Creates a new, empty project at `path` and opens it read-write. The file is built beside
 * the target and moved into place only when complete, so a crash during creation leaves
 * either no project or a whole one.
 */
export function createProject(
  path: string,
  options: { name: string; appVersion?: string }
): ProjectDb {
  if (existsSync(path)) throw new ProjectFileError('exists', path, `${path} already exists`)
  const tmp = tempSibling(path, 'creating')
  try {
    const raw = new Database(tmp)
    try {
      const db = asWritable(raw)
      configureConnection(db, BUSY_TIMEOUT_MS)
      setApplicationId(db, ORTHOLENS_APPLICATION_ID)
      // WAL from birth: later opens that write nothing leave the file byte-identical.
      enableWal(db)
      migrate(db)
      initProjectMeta(db, { name: options.name, appVersion: options.appVersion ?? APP_VERSION })
    } finally {
      raw.close()
    }
    publish(tmp, path, false)
  } catch (err) {
    removeQuietly(tmp)
    throw classifyOpenError(path, err)
  }
  return openProject(path, { appVersion: options.appVersion })
}

/** The project name a new file at `path` gets: its file name without extension. */
export function defaultProjectName(path: string): string {
  return basename(path, extname(path)) || 'Untitled'
}

/**
 * Opens a project. Refuses, with a ProjectFileError and without modifying the file, anything
 * that is missing (unless `create`), not a project, damaged, or from a newer version; what a
 * crash left (-wal, hot journal) is recovered first and the recovered database is judged.
 * A read-write open migrates an older schema and marks runs orphaned by a crash as
 * 'interrupted'; when neither is needed it writes nothing.
 */
export function openProject(path: string, options: OpenProjectOptions = {}): ProjectDb {
  if (options.create && !existsSync(path)) {
    return createProject(path, { name: defaultProjectName(path), appVersion: options.appVersion })
  }
  const facts = preflightProjectFile(path)
  // Judge what a -wal holds through a read-only connection first: a read-write one would
  // checkpoint it into the file when it closes, and a refused project must stay as it was.
  const checked = facts.hasWal ? checkWithoutWriting(path) : false
  return options.readonly ? openReadOnly(path, checked) : openReadWrite(path, checked, options)
}

/** True when the checks passed read-only; false when only a write can recover the file. */
function checkWithoutWriting(path: string): boolean {
  let raw: Database.Database | undefined
  try {
    raw = new Database(path, { readonly: true, fileMustExist: true })
    raw.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
    checkProjectConnection(asReadable(raw), path)
    return true
  } catch (err) {
    if (needsWriteToRecover(err)) return false
    throw classifyOpenError(path, err)
  } finally {
    raw?.close()
  }
}

function isAccessDenied(err: unknown): boolean {
  const code = String((err as { code?: unknown }).code ?? '')
  return (
    ['EACCES', 'EPERM', 'EROFS'].includes(code) || /^SQLITE_(CANTOPEN|READONLY|PERM)/.test(code)
  )
}

function openReadOnly(path: string, checked: boolean): ProjectDb {
  let raw: Database.Database
  try {
    // Query-only on a read-write connection: SQLite may still roll back a hot journal or
    // recover a -wal (restoring the committed state, not writing new data), and the last
    // connection to close removes the -wal/-shm it created.
    raw = new Database(path, { fileMustExist: true })
    if (raw.readonly) throw Object.assign(new Error('opened read-only'), { code: 'EACCES' })
    raw.pragma('query_only = ON')
  } catch (err) {
    if (!isAccessDenied(err)) throw classifyOpenError(path, err)
    try {
      raw = new Database(path, { readonly: true, fileMustExist: true })
    } catch (err2) {
      throw classifyOpenError(path, err2)
    }
  }
  let snapshotDir: string | undefined
  try {
    raw.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
    let version: number
    try {
      version = checked
        ? getUserVersion(asReadable(raw))
        : checkProjectConnection(asReadable(raw), path)
    } catch (err) {
      if (!(raw.readonly && (needsWriteToRecover(err) || isAccessDenied(err)))) throw err
      // The file cannot be written and a crash left it needing recovery: recover a private
      // copy instead and read that consistent snapshot.
      raw.close()
      snapshotDir = mkdtempSync(join(tmpdir(), 'ortholens-snapshot-'))
      raw = openRecoveredSnapshot(path, snapshotDir)
      version = checkProjectConnection(asReadable(raw), path)
    }
    if (version < LATEST_SCHEMA_VERSION) {
      throw new ProjectFileError(
        'needs-upgrade',
        path,
        `${path} was written by an older version of Ortholens; open it for editing once to upgrade it`
      )
    }
  } catch (err) {
    if (raw.open) raw.close()
    if (snapshotDir) rmSync(snapshotDir, { recursive: true, force: true })
    throw classifyOpenError(path, err)
  }
  return makeHandle(path, raw, asReadable(raw), undefined, [], [], snapshotDir)
}

/** Copies the file and its crash sidecars into `dir` and opens the copy so SQLite recovers it. */
function openRecoveredSnapshot(path: string, dir: string): Database.Database {
  const copy = join(dir, basename(path))
  copyFileSync(path, copy)
  for (const suffix of ['-journal', '-wal']) {
    if (existsSync(path + suffix)) copyFileSync(path + suffix, copy + suffix)
  }
  const raw = new Database(copy, { fileMustExist: true })
  raw.pragma('query_only = ON')
  return raw
}

function openReadWrite(path: string, checked: boolean, options: OpenProjectOptions): ProjectDb {
  let raw: Database.Database
  try {
    raw = new Database(path, { fileMustExist: true })
  } catch (err) {
    throw classifyOpenError(path, err)
  }
  try {
    if (raw.readonly) {
      throw new ProjectFileError(
        'unreadable',
        path,
        `${path} cannot be opened for editing: the file or its folder is read-only; open it read-only to look at it`
      )
    }
    const db = asWritable(raw)
    configureConnection(db, BUSY_TIMEOUT_MS)
    // The first read recovers what a crash left; only then is the project judged.
    if (!checked) checkProjectConnection(db, path)
    if (journalMode(db) === 'wal') db.pragma('synchronous = NORMAL')
    const appVersion = options.appVersion ?? APP_VERSION
    setWriteGate(raw, {
      beforeBegin: () => void enableWal(db),
      beforeCommit: () => recordWritingVersion(db, appVersion)
    })
    const migrated = migrate(db)
    const interrupted = markInterruptedRuns(db, ownerAlive)
    return makeHandle(path, raw, db, db, interrupted, migrated)
  } catch (err) {
    raw.close()
    throw classifyOpenError(path, err)
  }
}

function makeHandle(
  path: string,
  raw: Database.Database,
  db: ReadableDb,
  writer: WritableDb | undefined,
  interruptedRunIds: number[],
  migrated: number[],
  snapshotDir?: string
): ProjectDb {
  let closed = false
  return {
    path,
    readonly: writer === undefined,
    db,
    interruptedRunIds,
    migrated,
    get closed() {
      return closed
    },
    reconcileInterrupted() {
      if (closed || !writer) return []
      return markInterruptedRuns(writer, ownerAlive)
    },
    writable() {
      if (closed) throw new Error(`${path} is closed`)
      if (!writer) {
        throw new ProjectFileError('read-only', path, `${path} is open read-only`)
      }
      return writer
    },
    close() {
      if (closed) return
      closed = true
      // The last connection to a WAL project checkpoints and removes -wal/-shm itself; the
      // project stays in WAL mode, so reopening it writes nothing.
      raw.close()
      if (snapshotDir) rmSync(snapshotDir, { recursive: true, force: true })
    }
  }
}
