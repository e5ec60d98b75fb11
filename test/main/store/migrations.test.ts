import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { asWritable } from '../../../src/main/store/db'
import { ProjectFileError } from '../../../src/main/store/errors'
import { migration0010 } from '../../../src/main/store/migrations/0010-init'
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../../src/main/store/migrations/index'
import {
  checkMigrationList,
  migrate,
  needsMigration
} from '../../../src/main/store/migrations/runner'
import type { Migration } from '../../../src/main/store/migrations/types'
import { getUserVersion } from '../../../src/main/store/repos/schema'

function memory() {
  const raw = new Database(':memory:')
  raw.pragma('foreign_keys = ON')
  return asWritable(raw)
}

function tables(db: Database.Database): { name: string; sql: string }[] {
  return db
    .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name`)
    .all() as { name: string; sql: string }[]
}

describe('migration list', () => {
  it('is numbered in tens, increasing, and ends at LATEST_SCHEMA_VERSION', () => {
    expect(() => checkMigrationList(MIGRATIONS)).not.toThrow()
    expect(MIGRATIONS[0]).toBe(migration0010)
    expect(LATEST_SCHEMA_VERSION).toBe(MIGRATIONS.at(-1)!.version)
  })

  it('rejects versions that are not multiples of ten or not increasing', () => {
    const m = (version: number): Migration => ({ version, name: `m${version}`, up() {} })
    expect(() => checkMigrationList([m(10), m(15)])).toThrow(/m15.*multiples of 10/)
    expect(() => checkMigrationList([m(20), m(10)])).toThrow(/m10/)
    expect(() => checkMigrationList([m(10), m(10)])).toThrow(/m10/)
  })
})

describe('0010-init on :memory:', () => {
  it('creates STRICT tables for every kind of record and sets user_version 10', () => {
    const db = memory()
    expect(migrate(db)).toEqual([10])
    expect(getUserVersion(db)).toBe(10)
    const t = tables(db)
    expect(t.map((x) => x.name)).toEqual([
      'dataset_chunks',
      'datasets',
      'gallery_items',
      'meta',
      'model_checkpoints',
      'model_history',
      'models',
      'run_models',
      'runs',
      'settings'
    ])
    for (const { name, sql } of t) expect(sql, name).toMatch(/\)\s*STRICT$/)
    expect(db.pragma('foreign_key_check')).toEqual([])
    db.close()
  })

  it('STRICT rejects a wrong type and CHECKs reject bad JSON and statuses', () => {
    const db = memory()
    migrate(db)
    expect(() =>
      db
        .prepare(`INSERT INTO datasets VALUES (1, 'x', '[]', 'tall', 1, 1, 0, 0, '{}', 'now')`)
        .run()
    ).toThrow(/cannot store TEXT value in INTEGER column/)
    expect(() => db.prepare(`INSERT INTO settings VALUES ('k', '{not json')`).run()).toThrow(
      /CHECK constraint failed/
    )
    expect(() =>
      db
        .prepare(
          `INSERT INTO runs (kind, status, config, backend, started_at)
           VALUES ('attack', 'exploded', '{}', 'cpu', 'now')`
        )
        .run()
    ).toThrow(/CHECK constraint failed/)
    db.close()
  })

  it('is idempotent: a second migrate applies nothing', () => {
    const db = memory()
    migrate(db)
    expect(migrate(db)).toEqual([])
    expect(needsMigration(db)).toBe(false)
    db.close()
  })
})

describe('runner', () => {
  const addColumn: Migration = {
    version: 20,
    name: 'add-note',
    up(db) {
      db.exec('ALTER TABLE runs ADD COLUMN note TEXT')
    }
  }

  it('applies only the pending migrations of a database at an older version', () => {
    const db = memory()
    migrate(db)
    expect(needsMigration(db, [migration0010, addColumn])).toBe(true)
    expect(migrate(db, [migration0010, addColumn])).toEqual([20])
    expect(getUserVersion(db)).toBe(20)
    const cols = db.prepare(`SELECT name FROM pragma_table_info('runs')`).all() as {
      name: string
    }[]
    expect(cols.map((c) => c.name)).toContain('note')
    db.close()
  })

  it('rolls back every step and leaves user_version when one migration fails', () => {
    const db = memory()
    const broken: Migration = {
      version: 30,
      name: 'broken',
      up(d) {
        d.exec('CREATE TABLE half_done (x INTEGER) STRICT')
        throw new Error('boom')
      }
    }
    expect(() => migrate(db, [migration0010, addColumn, broken])).toThrow('boom')
    expect(getUserVersion(db)).toBe(0)
    expect(tables(db)).toEqual([])
    db.close()
  })

  it('refuses a database from the future with a newer-version ProjectFileError', () => {
    const db = memory()
    migrate(db)
    db.pragma('user_version = 990')
    let err: unknown
    try {
      migrate(db)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ProjectFileError)
    expect((err as ProjectFileError).code).toBe('newer-version')
    expect((err as Error).message).toMatch(
      /newer version of Ortholens \(schema 990, this version knows up to 10\)/
    )
    expect(() => needsMigration(db)).toThrow(/schema 990/)
    expect(getUserVersion(db)).toBe(990)
    db.close()
  })
})
