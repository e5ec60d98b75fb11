import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  addRecentProject,
  listRecentProjects,
  MAX_RECENT,
  removeRecentProject
} from '../../../src/main/store/recent'
import { tempDir } from './helpers'

let dir: string
let settings: string
let cleanup: () => void
beforeEach(() => {
  ;({ dir, cleanup } = tempDir())
  settings = join(dir, 'settings')
})
afterEach(() => cleanup())

function project(name: string): string {
  const path = join(dir, `${name}.ortho`)
  writeFileSync(path, '')
  return path
}

describe('recent projects', () => {
  it('is empty without a list file, and with a corrupt one', () => {
    expect(listRecentProjects(settings)).toEqual([])
    mkdirSync(settings)
    writeFileSync(join(settings, 'recent-projects.json'), '{"projects": [tru')
    expect(listRecentProjects(settings)).toEqual([])
  })

  it('keeps the newest first, once each, at most ten', () => {
    const paths = Array.from({ length: 12 }, (_, i) => project(`p${i}`))
    paths.forEach((path, i) => addRecentProject(settings, { path, name: `P${i}` }))
    addRecentProject(settings, { path: paths[5]!, name: 'P5 again' })
    const list = listRecentProjects(settings)
    expect(MAX_RECENT).toBe(10)
    expect(list.map((p) => p.name)).toEqual([
      'P5 again',
      'P11',
      'P10',
      'P9',
      'P8',
      'P7',
      'P6',
      'P4',
      'P3',
      'P2'
    ])
    expect(list[0]!.path).toBe(paths[5])
  })

  it('skips files that no longer exist, and forgets removed ones', () => {
    const a = project('a')
    const b = project('b')
    const c = project('c')
    for (const path of [a, b, c]) addRecentProject(settings, { path, name: path })
    rmSync(b)
    expect(listRecentProjects(settings).map((p) => p.path)).toEqual([c, a])
    removeRecentProject(settings, c)
    expect(listRecentProjects(settings).map((p) => p.path)).toEqual([a])
    // A relative spelling of the same file is the same entry.
    addRecentProject(settings, { path: join(dir, '.', 'a.ortho'), name: 'A' })
    expect(listRecentProjects(settings)).toEqual([expect.objectContaining({ path: a, name: 'A' })])
  })
})
