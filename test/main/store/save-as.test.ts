import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createProject, openProject } from '../../../src/main/store/open'
import { getProjectMeta } from '../../../src/main/store/repos/meta'
import { listDatasets, loadDataset, saveDataset } from '../../../src/main/store/repos/datasets'
import { createRun, finishRun, getRun } from '../../../src/main/store/repos/runs'
import { saveProjectAs } from '../../../src/main/store/save-as'
import { makeDataset, sha256, sidecars, tempDir } from './helpers'

let dir: string
let cleanup: () => void
beforeEach(() => ({ dir, cleanup } = tempDir()))
afterEach(() => cleanup())

describe('saveProjectAs', () => {
  it('writes a copy that opens as a project with the same data; the source stays open', () => {
    const src = join(dir, 'src.ortho')
    const p = createProject(src, { name: 'Original' })
    const w = p.writable()
    const ds = makeDataset(120, 30)
    const dsId = saveDataset(w, ds)
    const runId = createRun(w, { kind: 'saliency', config: { method: 'grad-cam' }, backend: 'cpu' })
    finishRun(w, runId, { status: 'done', results: { maps: 3 } })

    const copyPath = join(dir, 'copy.ortho')
    saveProjectAs(p.db, copyPath)
    expect(sidecars(copyPath)).toEqual([])
    expect(readdirSync(dir).sort()).toEqual([
      'copy.ortho',
      'src.ortho',
      'src.ortho-shm',
      'src.ortho-wal'
    ])

    // The source keeps working after the copy.
    saveDataset(w, makeDataset(1, 1))
    p.close()

    const before = sha256(copyPath)
    const ro = openProject(copyPath, { readonly: true })
    expect(sha256(copyPath)).toBe(before)
    ro.close()
    const c = openProject(copyPath)
    expect(getProjectMeta(c.db).name).toBe('Original')
    expect(listDatasets(c.db)).toHaveLength(1)
    expect(loadDataset(c.db, dsId)).toEqual(ds)
    expect(getRun(c.db, runId)).toMatchObject({ status: 'done', results: { maps: 3 } })
    c.close()
  })

  it('refuses an existing target unless asked to overwrite, and the project itself', () => {
    const src = join(dir, 'a.ortho')
    const p = createProject(src, { name: 'A' })
    const target = join(dir, 'b.ortho')
    writeFileSync(target, 'precious')
    expect(() => saveProjectAs(p.db, target)).toThrow(expect.objectContaining({ code: 'exists' }))
    expect(() => saveProjectAs(p.db, src, { overwrite: true })).toThrow(/the project itself/)
    saveProjectAs(p.db, target, { overwrite: true })
    p.close()
    const b = openProject(target)
    expect(getProjectMeta(b.db).name).toBe('A')
    b.close()
    expect(readdirSync(dir).sort()).toEqual(['a.ortho', 'b.ortho'])
  })
})
