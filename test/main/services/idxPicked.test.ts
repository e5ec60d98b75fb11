/**
 * Issue 19: an IDX import reads the files the user picked, not every pair in their folder.
 * A picked folder is read whole (train and t10k); picked files alone are read alone; a lone
 * images file is refused saying what to pick, and the project stays byte for byte as it was.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importDataset } from '../../../src/main/services/datasets'
import { createProject, listDatasets, type ProjectDb } from '../../../src/main/store'
import { idxImages, idxLabels, makeTempDir, writeFile } from '../engine/data/importers/fixtures'

const { dir, cleanup } = makeTempDir('idx-picked')
const mnist = join(dir, 'mnist')
let project: ProjectDb

const images = (n: number, base: number) =>
  Array.from({ length: n }, (_, k) =>
    Uint8Array.from({ length: 4 }, (_, p) => (base + 7 * k + p) % 256)
  )
const file = (name: string) => join(mnist, name)

beforeAll(() => {
  writeFile(file('train-images-idx3-ubyte'), idxImages(images(20, 0), 2, 2))
  writeFile(file('train-labels-idx1-ubyte'), idxLabels(Array.from({ length: 20 }, (_, i) => i % 2)))
  writeFile(file('t10k-images-idx3-ubyte'), idxImages(images(6, 100), 2, 2))
  writeFile(file('t10k-labels-idx1-ubyte'), idxLabels([0, 1, 0, 1, 0, 1]))
  project = createProject(join(dir, 'p.ortholens'), { name: 'idx' })
})
afterAll(() => {
  project.close()
  cleanup()
})

function projectHash(): string {
  ;(project.db as unknown as { pragma(s: string): unknown }).pragma('wal_checkpoint(TRUNCATE)')
  return createHash('sha256').update(readFileSync(project.path)).digest('hex')
}

describe('IDX: the picked files, not their neighbours', () => {
  it('a picked folder is read whole: train and t10k as the source split', async () => {
    const r = await importDataset(project, { source: { kind: 'idx', paths: [mnist] } })
    expect([r.summary.trainCount, r.summary.validationCount]).toEqual([20, 6])
  })

  it('the picked training pair alone: 20 images split by seed, the t10k pair never read', async () => {
    const r = await importDataset(project, {
      source: {
        kind: 'idx',
        paths: [file('train-images-idx3-ubyte'), file('train-labels-idx1-ubyte')]
      },
      validationFraction: 0.25
    })
    // 10 per class, a quarter of each (2.5, rounded to 3) to validation: no t10k image.
    expect([r.summary.trainCount, r.summary.validationCount]).toEqual([14, 6])
    expect(r.summary.provenance).toMatchObject({ split: 'seeded' })
    expect(r.summary.provenance.files).toEqual([
      'train-images-idx3-ubyte',
      'train-labels-idx1-ubyte'
    ])
  })

  it('a lone images file is refused, saying what to pick, and nothing is written', async () => {
    const before = projectHash()
    const count = listDatasets(project.db).length
    await expect(
      importDataset(project, { source: { kind: 'idx', paths: [file('t10k-images-idx3-ubyte')] } })
    ).rejects.toThrow(
      `${file('t10k-images-idx3-ubyte')}: IDX images without a matching *-labels-idx1-ubyte file; pick it as well, or the whole folder`
    )
    expect(listDatasets(project.db)).toHaveLength(count)
    expect(projectHash()).toBe(before)
  })
})
