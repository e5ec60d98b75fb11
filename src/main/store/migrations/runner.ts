/**
 * Schema migrations as Signal Desktop runs them: user_version holds the number of the last
 * migration applied; pending ones run in one transaction together with the user_version
 * update, so a crash leaves either the old schema or the new one, never half of each.
 */
import { inTransaction, type ReadableDb, type WritableDb } from '../db'
import { ProjectFileError } from '../errors'
import { getUserVersion, setUserVersion } from '../repos/schema'
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './index'
import type { Migration } from './types'

/** Throws unless versions strictly increase in steps that are multiples of ten. */
export function checkMigrationList(migrations: readonly Migration[]): void {
  let previous = 0
  for (const m of migrations) {
    if (!Number.isInteger(m.version) || m.version % 10 !== 0 || m.version <= previous) {
      throw new Error(
        `migration '${m.name}' has version ${m.version}; versions must be multiples of 10, increasing`
      )
    }
    previous = m.version
  }
}

/** The "written by a newer version" refusal, worded once for the runner and the inspector. */
export function newerVersionError(path: string, found: number, known: number): ProjectFileError {
  return new ProjectFileError(
    'newer-version',
    path,
    `${path} was written by a newer version of Ortholens (schema ${found}, this version knows up to ${known})`
  )
}

/** Whether the database needs migrations (and is not from the future). */
export function needsMigration(
  db: ReadableDb,
  migrations: readonly Migration[] = MIGRATIONS
): boolean {
  const latest = migrations[migrations.length - 1]?.version ?? 0
  const current = getUserVersion(db)
  if (current > latest) throw newerVersionError(db.name, current, latest)
  return current < latest
}

/**
 * Brings the schema up to date. Returns the versions applied (empty when already current).
 * Refuses a database whose user_version is newer than the last migration known.
 */
export function migrate(db: WritableDb, migrations: readonly Migration[] = MIGRATIONS): number[] {
  checkMigrationList(migrations)
  const latest = migrations[migrations.length - 1]?.version ?? 0
  // Look before taking the write lock: an up-to-date project is opened without a write.
  if (!needsMigration(db, migrations)) return []
  return inTransaction(db, () => {
    // Read inside the transaction: another process may have migrated since we looked.
    const current = getUserVersion(db)
    if (current > latest) throw newerVersionError(db.name, current, latest)
    const pending = migrations.filter((m) => m.version > current)
    for (const m of pending) {
      m.up(db)
      setUserVersion(db, m.version)
    }
    return pending.map((m) => m.version)
  })
}

export { LATEST_SCHEMA_VERSION }
