import { mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ProjectFileError, type ProjectFileErrorCode } from '../../../src/main/store/errors'
import { createProject, openProject } from '../../../src/main/store/open'
import { getProjectMeta, getSetting, setSetting } from '../../../src/main/store/repos/meta'
import { createRun, getRun, listRuns } from '../../../src/main/store/repos/runs'
import { saveDataset } from '../../../src/main/store/repos/datasets'
import { listModels, saveCheckpoint, saveModel } from '../../../src/main/store/repos/models'
import { bytes, makeDataset, sha256, sidecars, tempDir } from './helpers'

let dir: string
let cleanup: () => void
beforeEach(() => ({ dir, cleanup } = tempDir()))
afterEach(() => cleanup())

function refusal(path: string, opts: { readonly?: boolean } = {}): ProjectFileError {
  try {
    openProject(path, opts).close()
  } catch (err) {
    expect(err).toBeInstanceOf(ProjectFileError)
    return err as ProjectFileError
  }
  throw new Error(`${path} was opened`)
}

/** Opens (read-write and read-only) and expects refusal with `code`, leaving the file as it was. */
function expectRefusedUnchanged(
  path: string,
  code: ProjectFileErrorCode,
  message: RegExp,
  modes: boolean[] = [false, true]
): void {
  const before = sha256(path)
  const filesBefore = readdirSync(dir).sort()
  for (const readonly of modes) {
    const err = refusal(path, { readonly })
    expect(err.code).toBe(code)
    expect(err.path).toBe(path)
    expect(err.message).toContain(path)
    expect(err.message).toMatch(message)
  }
  expect(sha256(path)).toBe(before)
  expect(sidecars(path)).toEqual([])
  expect(readdirSync(dir).sort()).toEqual(filesBefore)
}

/** A real project, closed, with one dataset so it spans several pages. */
function makeProjectFile(name = 'p.ortho'): string {
  const path = join(dir, name)
  const p = createProject(path, { name: 'Audit' })
  saveDataset(p.writable(), makeDataset(300, 50))
  p.close()
  return path
}

describe('createProject / openProject', () => {
  it('creates a project that reopens with its name, WAL while open, one file when closed', () => {
    const path = join(dir, 'new.ortho')
    const p = createProject(path, { name: 'My audit', appVersion: '9.9.9' })
    expect(p.readonly).toBe(false)
    expect(p.db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(p.db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(p.db.pragma('synchronous', { simple: true })).toBe(1) // NORMAL
    expect(p.db.pragma('application_id', { simple: true })).toBe(0x4f52544c)
    expect(p.db.pragma('user_version', { simple: true })).toBe(10)
    p.close()
    expect(sidecars(path)).toEqual([])
    // Nothing but the project is left in the folder (no temporary creation file).
    expect(readdirSync(dir)).toEqual(['new.ortho'])

    const again = openProject(path)
    const meta = getProjectMeta(again.db)
    expect(meta.name).toBe('My audit')
    expect(meta.createdBy).toBe('9.9.9')
    expect(Date.parse(meta.createdAt)).toBeGreaterThan(Date.parse('2020-01-01'))
    again.close()
  })

  it('refuses to create over an existing file', () => {
    const path = makeProjectFile()
    const before = sha256(path)
    expect(() => createProject(path, { name: 'x' })).toThrow(
      expect.objectContaining({ code: 'exists' })
    )
    expect(sha256(path)).toBe(before)
  })

  it('create: true creates a missing file, named after it; without it a missing file is refused', () => {
    const path = join(dir, 'Fresh Study.ortho')
    expect(refusal(path).code).toBe('missing')
    expect(readdirSync(dir)).toEqual([])
    const p = openProject(path, { create: true })
    expect(getProjectMeta(p.db).name).toBe('Fresh Study')
    p.close()
  })

  it('a read-only open reads, cannot write, and leaves the file byte-identical', () => {
    const path = makeProjectFile()
    const before = sha256(path)
    const p = openProject(path, { readonly: true })
    expect(p.readonly).toBe(true)
    expect(getProjectMeta(p.db).name).toBe('Audit')
    expect(() => p.writable()).toThrow(expect.objectContaining({ code: 'read-only' }))
    // The brand stops it at compile time; SQLite would refuse it at run time too.
    // @ts-expect-error a ReadableDb is not a WritableDb
    expect(() => setSetting(p.db, 'k', 1)).toThrow(/readonly/)
    p.close()
    expect(sha256(path)).toBe(before)
    expect(sidecars(path)).toEqual([])
  })

  it('settings survive close and reopen', () => {
    const path = makeProjectFile()
    const p = openProject(path)
    setSetting(p.writable(), 'epsilons', [0.01, 0.03])
    p.close()
    const q = openProject(path, { readonly: true })
    expect(getSetting(q.db, 'epsilons')).toEqual([0.01, 0.03])
    q.close()
  })

  it("marks runs left 'running' as 'interrupted' on the next read-write open only", () => {
    const path = makeProjectFile()
    const p = openProject(path)
    const w = p.writable()
    // A pid above any pid_max: the process that started it is gone, as after a crash.
    const deadOwner = `${hostname()}:2000000000`
    const running = createRun(w, {
      kind: 'attack-sweep',
      config: { eps: [0.1] },
      backend: 'cpu',
      owner: deadOwner
    })
    // This process is alive: as if the CLI were running it beside the window.
    const live = createRun(w, { kind: 'training', config: {}, backend: 'cpu' })
    p.close()

    const ro = openProject(path, { readonly: true })
    expect(getRun(ro.db, running)!.status).toBe('running')
    expect(ro.interruptedRunIds).toEqual([])
    ro.close()

    const q = openProject(path)
    expect(q.interruptedRunIds).toEqual([running])
    const run = getRun(q.db, running)!
    expect(run.status).toBe('interrupted')
    expect(run.error).toMatch(/stopped before this run finished/)
    expect(listRuns(q.db, { status: 'running' }).map((r) => r.id)).toEqual([live])
    q.close()
  })
})

describe('a training interrupted by a crash', () => {
  it("releases its models from 'training' (failed, or cancelled with a checkpoint) and leaves other models alone", () => {
    const path = makeProjectFile()
    const p = openProject(path)
    const w = p.writable()
    const weights = { manifest: [{ name: 'w', shape: [2] }], data: new Float32Array([1, 2]) }
    const reference = saveModel(w, { name: 'ref', architecture: {}, weights, status: 'ready' })
    const crashed = saveModel(w, { name: 'crashed', architecture: {}, weights, status: 'training' })
    const checkpointed = saveModel(w, {
      name: 'ckpt',
      architecture: {},
      weights,
      status: 'training'
    })
    saveCheckpoint(w, checkpointed, { epoch: 3, valAccuracy: 0.7, weights })
    const liveModel = saveModel(w, { name: 'live', architecture: {}, weights, status: 'training' })
    const dead = `${hostname()}:2000000000`
    createRun(w, {
      kind: 'train',
      config: {},
      backend: 'cpu',
      modelIds: [reference, crashed],
      owner: dead
    })
    createRun(w, {
      kind: 'train',
      config: {},
      backend: 'cpu',
      modelIds: [checkpointed],
      owner: dead
    })
    createRun(w, { kind: 'train', config: {}, backend: 'cpu', modelIds: [liveModel] })
    p.close()

    const q = openProject(path)
    const status = (id: number) => listModels(q.db).find((m) => m.id === id)!.status
    expect(status(crashed)).toBe('failed')
    expect(status(checkpointed)).toBe('cancelled')
    expect(status(reference)).toBe('ready')
    expect(status(liveModel)).toBe('training')
    expect(q.interruptedRunIds).toHaveLength(2)
    expect(getRun(q.db, q.interruptedRunIds[0]!)!.error).toMatch(
      /stopped before this run finished.*disk was full/
    )
    q.close()
  })
})

describe('an older schema', () => {
  it('is refused read-only (needs-upgrade, unchanged) and migrated by a read-write open', () => {
    // What an older Ortholens would have left: the application id, schema 0.
    const path = join(dir, 'old.ortho')
    const old = new Database(path)
    old.pragma('application_id = 1330795596')
    old.exec('CREATE TABLE legacy (x INTEGER)')
    old.close()
    expectRefusedUnchanged(path, 'needs-upgrade', /older version of Ortholens/, [true])
    const p = openProject(path)
    expect(p.migrated).toEqual([10])
    expect(p.db.pragma('user_version', { simple: true })).toBe(10)
    expect(listRuns(p.db)).toEqual([])
    p.close()
    const q = openProject(path)
    expect(q.migrated).toEqual([])
    q.close()
  })
})

describe('files that are not openable projects are refused and left untouched', () => {
  it('a text file: not-a-project', () => {
    const path = join(dir, 'notes.ortho')
    writeFileSync(path, 'Dear diary, today I trained a VGG-16.\n'.repeat(20))
    expectRefusedUnchanged(path, 'not-a-project', /is not an Ortholens project/)
  })

  it('random bytes: not-a-project', () => {
    const path = join(dir, 'noise.ortho')
    writeFileSync(path, bytes(8192, 42))
    expectRefusedUnchanged(path, 'not-a-project', /is not an Ortholens project/)
  })

  it('an empty file: not-a-project', () => {
    const path = join(dir, 'empty.ortho')
    writeFileSync(path, '')
    expectRefusedUnchanged(path, 'not-a-project', /empty/)
  })

  it('a folder: not-a-project', () => {
    const path = join(dir, 'folder.ortho')
    mkdirSync(path)
    expect(refusal(path).code).toBe('not-a-project')
  })

  it("another program's SQLite database (wrong application_id): not-a-project", () => {
    const path = join(dir, 'other.db')
    const other = new Database(path)
    other.exec('CREATE TABLE contacts (name TEXT)')
    other.pragma('application_id = 1234')
    other.close()
    expectRefusedUnchanged(path, 'not-a-project', /written by another program/)
  })

  it('a project truncated mid-page: damaged', () => {
    const path = makeProjectFile()
    const size = readFileSync(path).length
    truncateSync(path, Math.floor(size / 2) + 100)
    expectRefusedUnchanged(path, 'damaged', /damaged.*truncated/)
  })

  it('a project truncated on a page boundary: damaged', () => {
    const path = makeProjectFile()
    const size = readFileSync(path).length
    truncateSync(path, Math.floor(size / 4096 / 2) * 4096)
    expectRefusedUnchanged(path, 'damaged', /damaged/)
  })

  it('a project cut to 50 bytes: damaged, not a crash', () => {
    const path = makeProjectFile()
    truncateSync(path, 50)
    expectRefusedUnchanged(path, 'damaged', /truncated/)
  })

  it('a project with garbage over its b-tree pages: damaged', () => {
    const path = makeProjectFile()
    const data = readFileSync(path)
    // Keep the 100-byte header valid; overwrite the rest of page 1 and all of page 2+.
    data.set(bytes(data.length - 200, 3), 200)
    writeFileSync(path, data)
    expectRefusedUnchanged(path, 'damaged', /damaged/)
  })

  it('a project from a newer version: newer-version, byte-identical, no -wal/-shm', () => {
    const path = makeProjectFile()
    // What a future Ortholens would leave: a higher user_version, in WAL mode.
    const future = new Database(path)
    future.pragma('journal_mode = WAL')
    future.pragma('user_version = 40')
    future.close()
    expect(sidecars(path)).toEqual([])
    expectRefusedUnchanged(
      path,
      'newer-version',
      /was written by a newer version of Ortholens \(schema 40, this version knows up to 10\)/
    )
  })

  it('a newer-version project whose header is stale behind a -wal is still refused', () => {
    const path = makeProjectFile()
    const writer = new Database(path)
    writer.pragma('journal_mode = WAL')
    writer.pragma('wal_autocheckpoint = 0')
    writer.pragma('user_version = 50')
    // Copy the file and its WAL while the writer holds them: a crash snapshot.
    const crashed = join(dir, 'crashed.ortho')
    writeFileSync(crashed, readFileSync(path))
    writeFileSync(crashed + '-wal', readFileSync(path + '-wal'))
    writer.close()
    const before = [sha256(crashed), sha256(crashed + '-wal')]
    const err = refusal(crashed)
    expect(err.code).toBe('newer-version')
    expect(err.message).toMatch(/schema 50/)
    expect([sha256(crashed), sha256(crashed + '-wal')]).toEqual(before)
  })
})
