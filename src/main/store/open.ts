/**
 * Creating and opening project files. Every open first inspects the file read-only
 * (inspect.ts), so a file that is not a project, is damaged or comes from a newer version
 * is refused without a single byte changed.
 */
import { existsSync, linkSync, renameSync, unlinkSync } from 'node:fs'
import { basename, dirname, extname, join } from 'node:path'
import Database from 'better-sqlite3'
import { APP_VERSION } from './app-version'
import { asReadable, asWritable, type ReadableDb, type WritableDb } from './db'
import { ProjectFileError } from './errors'
import { classifyOpenError, inspectProjectFile } from './inspect'
import { LATEST_SCHEMA_VERSION } from './migrations/index'
import { migrate } from './migrations/runner'
import { initProjectMeta, recordWritingVersion } from './repos/meta'
import { ownerAlive } from './owner'
import { markInterruptedRuns } from './repos/runs'
import {
  configureConnection,
  enableWal,
  leaveWal,
  ORTHOLENS_APPLICATION_ID,
  quickCheck,
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
      migrate(db)
      initProjectMeta(db, { name: options.name, appVersion: options.appVersion ?? APP_VERSION })
    } finally {
      raw.close()
    }
    publish(tmp, path, false)
  } catch (err) {
    removeQuietly(tmp)
    throw err
  }
  return openProject(path, { appVersion: options.appVersion })
}

/** The project name a new file at `path` gets: its file name without extension. */
export function defaultProjectName(path: string): string {
  return basename(path, extname(path)) || 'Untitled'
}

/**
 * Opens a project. Refuses, with a ProjectFileError and without modifying the file, anything
 * that is missing (unless `create`), not a project, damaged, or from a newer version. A
 * read-write open migrates the schema and marks runs left 'running' as 'interrupted'.
 */
export function openProject(path: string, options: OpenProjectOptions = {}): ProjectDb {
  if (options.create && !existsSync(path)) {
    return createProject(path, { name: defaultProjectName(path), appVersion: options.appVersion })
  }
  const info = inspectProjectFile(path)
  return options.readonly ? openReadOnly(path) : openReadWrite(path, info.needsRecovery, options)
}

function openReadOnly(path: string): ProjectDb {
  let raw: Database.Database
  try {
    raw = new Database(path, { readonly: true, fileMustExist: true })
    raw.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
    raw.pragma('query_only = ON')
  } catch (err) {
    throw classifyOpenError(path, err)
  }
  const db = asReadable(raw)
  try {
    if ((db.pragma('user_version', { simple: true }) as number) < LATEST_SCHEMA_VERSION) {
      throw new ProjectFileError(
        'needs-upgrade',
        path,
        `${path} was written by an older version of Ortholens; open it for editing once to upgrade it`
      )
    }
  } catch (err) {
    raw.close()
    throw classifyOpenError(path, err)
  }
  return makeHandle(path, raw, db, undefined, [], [])
}

function openReadWrite(
  path: string,
  checkAfterRecovery: boolean,
  options: OpenProjectOptions
): ProjectDb {
  let raw: Database.Database
  try {
    raw = new Database(path, { fileMustExist: true })
  } catch (err) {
    throw classifyOpenError(path, err)
  }
  try {
    const db = asWritable(raw)
    configureConnection(db, BUSY_TIMEOUT_MS)
    if (checkAfterRecovery) {
      const problems = quickCheck(db)
      if (problems.length > 0) {
        throw new ProjectFileError('damaged', path, `${path} is damaged (${problems[0]})`)
      }
    }
    enableWal(db)
    const migrated = migrate(db)
    recordWritingVersion(db, options.appVersion ?? APP_VERSION)
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
  migrated: number[]
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
      if (writer && !raw.inTransaction) leaveWal(writer)
      raw.close()
    }
  }
}
