/** Project-wide facts (name, creation, writing app version) and user settings (JSON values). */
import { inTransaction, type ReadableDb, type WritableDb } from '../db'

export interface ProjectMeta {
  name: string
  createdAt: string
  /** Version of Ortholens that created the project. */
  createdBy: string
  /** Version of Ortholens that last opened it read-write. */
  lastWrittenBy: string
}

function getMetaValue(db: ReadableDb, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as
    { value: string } | undefined
  return row?.value
}

function setMetaValue(db: WritableDb, key: string, value: string): void {
  db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'
  ).run(key, value)
}

/** Writes the facts of a new project (called once, by createProject). */
export function initProjectMeta(
  db: WritableDb,
  meta: { name: string; appVersion: string; createdAt?: string }
): void {
  inTransaction(db, () => {
    setMetaValue(db, 'name', meta.name)
    setMetaValue(db, 'created_at', meta.createdAt ?? new Date().toISOString())
    setMetaValue(db, 'created_by', meta.appVersion)
    setMetaValue(db, 'last_written_by', meta.appVersion)
  })
}

export function getProjectMeta(db: ReadableDb): ProjectMeta {
  return {
    name: getMetaValue(db, 'name') ?? '',
    createdAt: getMetaValue(db, 'created_at') ?? '',
    createdBy: getMetaValue(db, 'created_by') ?? '',
    lastWrittenBy: getMetaValue(db, 'last_written_by') ?? ''
  }
}

export function setProjectName(db: WritableDb, name: string): void {
  if (name.trim() === '') throw new Error('a project name cannot be empty')
  setMetaValue(db, 'name', name)
}

/** Notes the app version opening the project read-write; no write when it is unchanged. */
export function recordWritingVersion(db: WritableDb, appVersion: string): void {
  if (getMetaValue(db, 'last_written_by') !== appVersion) {
    setMetaValue(db, 'last_written_by', appVersion)
  }
}

/** A setting's value, or undefined when never set. */
export function getSetting<T = unknown>(db: ReadableDb, key: string): T | undefined {
  const row = db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as
    { value: string } | undefined
  return row === undefined ? undefined : (JSON.parse(row.value) as T)
}

/** Stores any JSON-serialisable value; `undefined` deletes the setting. */
export function setSetting(db: WritableDb, key: string, value: unknown): void {
  if (value === undefined) {
    db.prepare('DELETE FROM settings WHERE key = ?').run(key)
    return
  }
  db.prepare(
    'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'
  ).run(key, JSON.stringify(value))
}

export function listSettings(db: ReadableDb): Record<string, unknown> {
  const rows = db.prepare('SELECT key, value FROM settings ORDER BY key').all() as {
    key: string
    value: string
  }[]
  return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value)]))
}
