/**
 * Crash consistency of the open (issue 19): SQLite recovers first, the recovered database is
 * judged; opens and refusals write nothing; orphaned runs and models are reconciled.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { inTransaction, setWriteGate } from '../../../src/main/store/db'
import { createProject, openProject } from '../../../src/main/store/open'
import { inspectProjectFile } from '../../../src/main/store/inspect'
import { getProjectMeta, setSetting } from '../../../src/main/store/repos/meta'
import { listDatasets, loadDataset, saveDataset } from '../../../src/main/store/repos/datasets'
import { createRun, finishRun, getRun } from '../../../src/main/store/repos/runs'
import { quickCheck } from '../../../src/main/store/repos/schema'
import { cutCheckpoint, snapshotCrashState } from '../../helpers/crashStates'
import { makeDataset, sha256, sidecars, tempDir } from './helpers'

let dir: string
let cleanup: () => void
beforeEach(() => ({ dir, cleanup } = tempDir()))
afterEach(() => cleanup())

/** A project with one small dataset, closed: one file, WAL mode, no sidecars. */
function smallProject(name = 'p.ortho'): string {
  const path = join(dir, name)
  const p = createProject(path, { name: 'Crash study', appVersion: '1.0.0' })
  saveDataset(p.writable(), makeDataset(20, 5, [4, 5, 3], 1))
  p.close()
  return path
}

/**
 * A crash after a big commit that lives only in the -wal (autocheckpoint off), copied while
 * the writer still holds the file: the main file is the old, small one.
 */
function crashWithWal(): { crashed: string; big: ReturnType<typeof makeDataset> } {
  const path = smallProject()
  const writer = new Database(path)
  writer.pragma('wal_autocheckpoint = 0')
  const p = openProject(path)
  const big = makeDataset(600, 100, [16, 16, 3], 9)
  // Through the store so the first-write gate runs, then hold the file open with `writer`.
  const w = p.writable()
  w.pragma('wal_autocheckpoint = 0')
  saveDataset(w, big)
  const crashed = join(dir, 'crashed.ortho')
  snapshotCrashState(path, crashed)
  p.close()
  writer.close()
  return { crashed, big }
}

describe('a checkpoint cut short (kill -9 or full disk while pages move from -wal to file)', () => {
  it.each([0.01, 0.3, 0.7])(
    'cut after %s of its page writes: opens with every commit, read-only and read-write',
    (fraction) => {
      const { crashed, big } = crashWithWal()
      const written = cutCheckpoint(crashed, fraction)
      expect(written).toBeGreaterThan(0)
      const header = Buffer.alloc(100)
      const fd = openSync(crashed, 'r')
      readSync(fd, header, 0, 100, 0)
      closeSync(fd)
      // The situation of the issue: the header promises more pages than the file holds.
      expect(header.readUInt32BE(28) * header.readUInt16BE(16)).toBeGreaterThan(
        statSync(crashed).size
      )

      const ro = openProject(crashed, { readonly: true })
      expect(listDatasets(ro.db).map((d) => d.trainCount)).toEqual([20, 600])
      ro.close()
      const p = openProject(crashed)
      expect(quickCheck(p.db)).toEqual([])
      expect(loadDataset(p.db, listDatasets(p.db)[1]!.id)).toEqual(big)
      p.close()
      expect(sidecars(crashed)).toEqual([])
      // Once recovered and closed, the file stands alone.
      expect(inspectProjectFile(crashed).needsRecovery).toBe(false)
    }
  )
})

/**
 * A hot rollback journal: a writer in rollback-journal mode with a tiny cache spills changed
 * pages into the file mid-transaction; the copy taken then is what a kill leaves.
 */
function crashWithHotJournal(): { crashed: string; committedHash: string } {
  const path = join(dir, 'legacy.ortho')
  const p = createProject(path, { name: 'legacy' })
  p.close()
  const raw = new Database(path)
  raw.pragma('journal_mode = DELETE')
  raw.close()
  const q = openProject(path)
  const w = q.writable()
  // Keep the file in rollback mode for this test: drop the gate's WAL switch.
  setWriteGate(w, undefined)
  saveDataset(w, makeDataset(30, 5, [8, 8, 3], 2))
  const committedHash = sha256(path)
  w.pragma('cache_size = 2')
  const crashed = join(dir, 'hot.ortho')
  w.transaction(() => {
    saveDataset(w, makeDataset(400, 0, [16, 16, 3], 3))
    snapshotCrashState(path, crashed)
  })()
  q.close()
  return { crashed, committedHash }
}

describe('a hot rollback journal (kill -9 while a rollback-mode write or close ran)', () => {
  it('a read-only open recovers it and reads the committed state, not "attempt to write a readonly database"', () => {
    const { crashed, committedHash } = crashWithHotJournal()
    expect(sidecars(crashed)).toEqual([crashed + '-journal'])
    expect(sha256(crashed)).not.toBe(committedHash)
    expect(inspectProjectFile(crashed).needsRecovery).toBe(true)

    const ro = openProject(crashed, { readonly: true })
    expect(listDatasets(ro.db).map((d) => d.trainCount)).toEqual([30])
    ro.close()
    // Rolled back to exactly the committed file.
    expect(sha256(crashed)).toBe(committedHash)
    expect(sidecars(crashed)).toEqual([])
  })

  it('a read-write open recovers it, then finds it intact', () => {
    const { crashed } = crashWithHotJournal()
    const p = openProject(crashed)
    expect(listDatasets(p.db).map((d) => d.trainCount)).toEqual([30])
    expect(quickCheck(p.db)).toEqual([])
    p.close()
  })
})

describe('opening writes nothing unless something must be repaired', () => {
  it('read-write open and close of a current project: byte-identical, no sidecars', () => {
    const path = smallProject()
    const before = sha256(path)
    for (let i = 0; i < 3; i++) openProject(path, { appVersion: `2.${i}.0` }).close()
    openProject(path, { readonly: true }).close()
    expect(sha256(path)).toBe(before)
    expect(sidecars(path)).toEqual([])
  })

  it('an unknown id is named before any write ("model 99 does not exist"), file byte-identical', () => {
    const path = smallProject()
    const before = sha256(path)
    const p = openProject(path)
    expect(() =>
      createRun(p.writable(), { kind: 'explain', config: {}, backend: 'cpu', modelIds: [99] })
    ).toThrow('model 99 does not exist in this project')
    expect(() =>
      createRun(p.writable(), { kind: 'x', config: {}, backend: 'cpu', datasetId: 42 })
    ).toThrow('dataset 42 does not exist in this project')
    p.close()
    expect(sha256(path)).toBe(before)
  })

  it('a write transaction that fails inside (a constraint) leaves the file byte-identical', () => {
    const path = smallProject()
    const before = sha256(path)
    const p = openProject(path)
    const w = p.writable()
    expect(() =>
      inTransaction(w, () => {
        setSetting(w, 'written', 1)
        w.prepare(
          "INSERT INTO runs (kind, status, config, backend, started_at) VALUES ('x', 'bogus', '{}', 'cpu', '')"
        ).run()
      })
    ).toThrow(/CHECK constraint/)
    p.close()
    expect(sha256(path)).toBe(before)
  })

  it('the writing version is noted with the first write, not at open', () => {
    const path = smallProject()
    const p = openProject(path, { appVersion: '7.7.7' })
    expect(getProjectMeta(p.db).lastWrittenBy).toBe('1.0.0')
    setSetting(p.writable(), 'x', 1) // not in a transaction: the gate waits
    expect(getProjectMeta(p.db).lastWrittenBy).toBe('1.0.0')
    saveDataset(p.writable(), makeDataset(2, 0, [2, 2, 1], 5))
    expect(getProjectMeta(p.db).lastWrittenBy).toBe('7.7.7')
    p.close()
  })

  it('an older rollback-journal project is switched to WAL by its first write, not by its open', () => {
    const path = smallProject()
    const raw = new Database(path)
    raw.pragma('journal_mode = DELETE')
    raw.close()
    const before = sha256(path)
    const p = openProject(path)
    expect(p.db.pragma('journal_mode', { simple: true })).toBe('delete')
    p.close()
    expect(sha256(path)).toBe(before)
    const q = openProject(path)
    saveDataset(q.writable(), makeDataset(2, 0, [2, 2, 1], 5))
    expect(q.db.pragma('journal_mode', { simple: true })).toBe('wal')
    q.close()
  })
})

describe('a job that could not record its end (full disk) in this thread', () => {
  it('is marked interrupted by the next open in the same thread; a running one is not', () => {
    const path = smallProject()
    const p = openProject(path)
    const w = p.writable()
    const failing = createRun(w, { kind: 'train', config: {}, backend: 'cpu' })
    const running = createRun(w, { kind: 'train', config: {}, backend: 'cpu' })
    // The disk fills: the end of the run cannot be written.
    w.pragma('query_only = ON')
    expect(() => finishRun(w, failing, { status: 'failed', results: {} })).toThrow()
    w.pragma('query_only = OFF')
    expect(getRun(p.db, failing)!.status).toBe('running')

    // The connection kept open across jobs reconciles without a reopen, too.
    expect(p.reconcileInterrupted()).toEqual([failing])
    expect(getRun(p.db, failing)!.status).toBe('interrupted')
    expect(getRun(p.db, running)!.status).toBe('running')
    const q = openProject(path)
    expect(q.interruptedRunIds).toEqual([])
    expect(getRun(q.db, running)!.status).toBe('running')
    q.close()
    finishRun(w, running, { status: 'done', results: {} })
    p.close()
  })
})
