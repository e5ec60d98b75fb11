/** Save-as: a consistent, compacted copy of an open project at another path. */
import { existsSync, renameSync, unlinkSync } from 'node:fs'
import { resolve } from 'node:path'
import Database from 'better-sqlite3'
import { asWritable, type ReadableDb } from './db'
import { ProjectFileError } from './errors'
import { inspectProjectFile } from './inspect'
import { leaveWal, vacuumInto } from './repos/schema'

/**
 * Copies the project behind `db` to `targetPath` with VACUUM INTO (one read transaction, so
 * the copy is a committed snapshot even while a job writes). The copy is built beside the
 * target, checked as a project, then moved into place: a failure leaves no half file.
 * Refuses an existing target unless `overwrite`.
 */
export function saveProjectAs(
  db: ReadableDb,
  targetPath: string,
  options: { overwrite?: boolean } = {}
): void {
  if (resolve(targetPath) === resolve(db.name)) {
    throw new ProjectFileError('exists', targetPath, `${targetPath} is the project itself`)
  }
  if (existsSync(targetPath) && !options.overwrite) {
    throw new ProjectFileError('exists', targetPath, `${targetPath} already exists`)
  }
  const tmp = `${targetPath}.saving-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
  try {
    vacuumInto(db, tmp)
    // A rollback-journal header: the copy is one file that opens read-only without sidecars.
    const copy = new Database(tmp, { fileMustExist: true })
    try {
      leaveWal(asWritable(copy))
    } finally {
      copy.close()
    }
    inspectProjectFile(tmp)
    renameSync(tmp, targetPath)
  } catch (err) {
    for (const p of [tmp, `${tmp}-journal`, `${tmp}-wal`, `${tmp}-shm`]) {
      if (existsSync(p)) unlinkSync(p)
    }
    throw err
  }
}
