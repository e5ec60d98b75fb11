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

/** The connection's journal mode: 'wal', 'delete', 'memory', ... */
export function journalMode(db: ReadableDb): string {
  return String(db.pragma('journal_mode', { simple: true }))
}

/**
 * WAL + synchronous=NORMAL: commits survive a process crash; a power cut may lose the last.
 * WAL is persistent (bytes 18-19 of the header), so a project switched once stays WAL and later
 * opens and closes that write nothing leave the file byte-identical. Returns false when the
 * switch could not be made (another connection holds a lock): the rollback journal that stays
 * is just as safe, only readers wait for writers.
 */
export function enableWal(db: WritableDb): boolean {
  let mode = journalMode(db)
  if (mode !== 'wal' && mode !== 'memory') {
    try {
      mode = String(db.pragma('journal_mode = WAL', { simple: true }))
    } catch {
      return false
    }
  }
  if (mode === 'wal') db.pragma('synchronous = NORMAL')
  return mode === 'wal'
}

/**
 * Back to a rollback journal: a self-contained single file with no WAL flag, for copies
 * (save-as) meant to travel. Returns false when another connection holds the file.
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
