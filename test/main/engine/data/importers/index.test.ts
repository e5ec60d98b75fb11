import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  datasetImporters,
  ImportError,
  ImporterRegistry,
  importDataset
} from '../../../../../src/main/engine/data/importers/index'
import type { DatasetImporter } from '../../../../../src/main/engine/data/importers/index'
import { cifarRecord, idxImages, idxLabels, makeTempDir, pngBytes, writeFile } from './fixtures'

describe('importer registry', () => {
  let dir: string
  let cleanup: () => void
  beforeEach(() => ({ dir, cleanup } = makeTempDir('registry')))
  afterEach(() => cleanup())

  it('lists the three built-in importers and refuses a duplicate id', () => {
    expect(datasetImporters.list().map((i) => i.id)).toEqual([
      'cifar10-binary',
      'idx',
      'image-folder'
    ])
    const fake: DatasetImporter = {
      id: 'idx',
      label: 'again',
      match: () => false,
      open: async () => {
        throw new Error()
      }
    }
    expect(() => new ImporterRegistry(datasetImporters.list()).register(fake)).toThrow(
      /"idx" is already registered/
    )
  })

  it('picks the importer whose match accepts the path, without touching the files', async () => {
    const cifar = join(dir, 'cifar')
    writeFile(
      join(cifar, 'data_batch_1.bin'),
      cifarRecord(1, () => 9)
    )
    const mnist = join(dir, 'mnist')
    writeFile(
      join(mnist, 'train-images-idx3-ubyte'),
      idxImages([Uint8Array.from([1, 2, 3, 4]), Uint8Array.from([5, 6, 7, 8])], 2, 2)
    )
    writeFile(join(mnist, 'train-labels-idx1-ubyte'), idxLabels([0, 1]))
    const folder = join(dir, 'folder')
    writeFile(
      join(folder, 'a', '1.png'),
      pngBytes(2, 2, 'gray', () => 5)
    )
    writeFile(
      join(folder, 'b', '1.png'),
      pngBytes(2, 2, 'gray', () => 7)
    )
    writeFile(join(dir, 'other', 'notes.txt'), 'x')

    expect((await datasetImporters.find(cifar))?.id).toBe('cifar10-binary')
    expect((await datasetImporters.find(mnist))?.id).toBe('idx')
    expect((await datasetImporters.find(join(mnist, 'train-labels-idx1-ubyte')))?.id).toBe('idx')
    expect((await datasetImporters.find(folder))?.id).toBe('image-folder')
    expect(await datasetImporters.find(join(dir, 'other'))).toBeUndefined()

    const ds = await importDataset(mnist, { validationFraction: 0 })
    expect(ds.provenance.importer).toBe('idx')
    expect(Array.from(ds.train.images)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    const forced = await importDataset(folder, { importer: 'image-folder', validationFraction: 0 })
    expect(forced.train.count).toBe(2)
  })

  it('throws ImportError for an unknown format, a missing path and an unknown importer id', async () => {
    writeFile(join(dir, 'other', 'notes.txt'), 'x')
    const unknown = await importDataset(join(dir, 'other')).catch((e: unknown) => e)
    expect(unknown).toBeInstanceOf(ImportError)
    expect((unknown as ImportError).file).toBe(join(dir, 'other'))
    expect((unknown as Error).message).toMatch(/unknown dataset format; expected one of: CIFAR-10/)
    await expect(importDataset(join(dir, 'nope'))).rejects.toThrow(/nope: no such file or folder/)
    await expect(importDataset(dir, { importer: 'tfrecord' })).rejects.toThrow(
      /unknown importer "tfrecord"/
    )
  })

  it('treats a match that throws as no match', async () => {
    const throwing: DatasetImporter = {
      id: 'boom',
      label: 'boom',
      match: () => {
        throw new Error('bad match')
      },
      open: async () => {
        throw new Error('unreachable')
      }
    }
    const registry = new ImporterRegistry([throwing, ...datasetImporters.list()])
    writeFile(
      join(dir, 'f', 'a', '1.png'),
      pngBytes(2, 2, 'gray', () => 5)
    )
    expect((await registry.find(join(dir, 'f')))?.id).toBe('image-folder')
  })
})
