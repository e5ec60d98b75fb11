/**
 * File-level SQL: the header fields, integrity check, journal mode and copies. Kept here so
 * that SQL lives only in repos/.
 */
import type { ReadableDb, WritableDb } from '../db'

/** 'ORTL' as a big-endian int32: marks a SQLite file as an Ortholens project. */
export const ORTHOLENS_APPLICATION_ID = 0x4f52544c

export function getUserVersion(db: ReadableDb): number {
  return db.pragma('user_version', { simple: true }) as number
}

export function setUserVersion(db: WritableDb, version: number): void {
  if (!Number.isInteger(version) || version < 0) throw new Error(`bad user_version ${version}`)
  db.pragma(`user_version = ${version}`)
}

export function getApplicationId(db: ReadableDb): number {
  return db.pragma('application_id', { simple: true }) as number
}

export function setApplicationId(db: WritableDb, id: number): void {
  db.pragma(`application_id = ${id | 0}`)
}

/** SQLite's quick_check: an empty list when the file is sound, else its complaints. */
export function quickCheck(db: ReadableDb): string[] {
  const rows = db.pragma('quick_check') as { quick_check: string }[]
  const problems = rows.map((r) => r.quick_check).filter((m) => m !== 'ok')
  return problems
}

/** Pragmas every read-write connection uses (ARCHITECTURE §8). */
export function configureConnection(db: ReadableDb, busyTimeoutMs: number): void {
  db.pragma(`busy_timeout = ${busyTimeoutMs | 0}`)
  db.pragma('foreign_keys = ON')
}

/** WAL + synchronous=NORMAL: commits survive a process crash; a power cut may lose the last. */
export function enableWal(db: WritableDb): void {
  const mode = db.pragma('journal_mode = WAL', { simple: true })
  if (mode !== 'wal') throw new Error(`could not switch ${db.name} to WAL (got ${String(mode)})`)
  db.pragma('synchronous = NORMAL')
}

/**
 * Back to a rollback journal on close, so that a closed project is one self-contained file
 * whose header a read-only inspection can trust, and which a read-only open does not grow
 * -wal/-shm files beside. Returns false when another connection holds the file (then it
 * stays in WAL, which is just as safe).
 */
export function leaveWal(db: WritableDb): boolean {
  try {
    db.pragma('busy_timeout = 0')
    return db.pragma('journal_mode = DELETE', { simple: true }) === 'delete'
  } catch {
    return false
  }
}

/** A compacted, consistent copy of the whole database at `targetPath` (must not exist). */
export function vacuumInto(db: ReadableDb, targetPath: string): void {
  db.prepare('VACUUM INTO ?').run(targetPath)
}
