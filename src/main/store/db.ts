/**
 * Branded connection types (Signal Desktop's ReadableDB / WritableDB): functions that only
 * read take `ReadableDb`, functions that write take `WritableDb`, and only `open.ts` mints a
 * `WritableDb`, so code holding a read-only project cannot call a writing repo function.
 */
import type Database from 'better-sqlite3'

declare const readableBrand: unique symbol
declare const writableBrand: unique symbol

export type ReadableDb = Database.Database & { readonly [readableBrand]: true }
export type WritableDb = ReadableDb & { readonly [writableBrand]: true }

/** Brands a connection as readable. Any open connection can be read. */
export function asReadable(db: Database.Database): ReadableDb {
  return db as ReadableDb
}

/**
 * Brands a connection as writable. Only for connections opened read-write (open.ts, tests
 * on :memory:); a read-only connection would fail at the first write anyway.
 */
export function asWritable(db: Database.Database): WritableDb {
  if (db.readonly) throw new Error(`database ${db.name} is open read-only`)
  return db as WritableDb
}

/**
 * What a connection must do before its first write transaction, registered by open.ts: switch
 * an older rollback-journal file to WAL (outside any transaction) and note the writing app
 * version (inside it). Deferred to the first write so that opening a project, and any
 * operation refused before it writes, leaves the file byte-identical.
 */
export interface WriteGate {
  /** Runs before BEGIN of the outermost write transaction. */
  beforeBegin(): void
  /** Runs inside that transaction after its own work; commits or rolls back with it. */
  beforeCommit(): void
}

const gates = new WeakMap<object, WriteGate>()

/** Installs (or with `undefined` removes) the write gate of a connection. */
export function setWriteGate(db: Database.Database, gate: WriteGate | undefined): void {
  if (gate) gates.set(db, gate)
  else gates.delete(db)
}

/**
 * Runs `fn` in one transaction: all of its writes land, or none do (an exception rolls
 * back). Nested calls become savepoints, so repo functions compose. IMMEDIATE takes the
 * write lock up front: a deferred transaction that reads and then writes can fail with
 * SQLITE_BUSY in WAL mode when another connection committed in between. The first one of a
 * connection passes its write gate (see WriteGate); the gate is dropped once that commits.
 */
export function inTransaction<T>(db: WritableDb, fn: () => T): T {
  const gate = db.inTransaction ? undefined : gates.get(db)
  if (!gate) return db.transaction(fn).immediate()
  gate.beforeBegin()
  const result = db
    .transaction(() => {
      const value = fn()
      gate.beforeCommit()
      return value
    })
    .immediate()
  gates.delete(db)
  return result
}
