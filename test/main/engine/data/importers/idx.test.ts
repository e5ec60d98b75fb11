import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { idxImporter } from '../../../../../src/main/engine/data/importers/idx'
import { classCounts } from '../../../../../src/main/engine/data/split'
import { gzip, idxImages, idxLabels, makeTempDir, writeFile } from './fixtures'

/** Image k of a set: pixel p = (base + k + p) mod 256. */
const images = (n: number, base: number, rows = 3, cols = 2) =>
  Array.from({ length: n }, (_, k) =>
    Uint8Array.from({ length: rows * cols }, (_, p) => (base + k + p) % 256)
  )

describe('IDX importer', () => {
  let dir: string
  let cleanup: () => void
  beforeEach(() => ({ dir, cleanup } = makeTempDir('idx')))
  afterEach(() => cleanup())

  function writeMnist(gzipped: boolean) {
    const z = (b: Uint8Array) => (gzipped ? gzip(b) : b)
    const ext = gzipped ? '.gz' : ''
    writeFile(join(dir, `train-images-idx3-ubyte${ext}`), z(idxImages(images(6, 0), 3, 2)))
    writeFile(join(dir, `train-labels-idx1-ubyte${ext}`), z(idxLabels([0, 1, 2, 0, 1, 2])))
    writeFile(join(dir, `t10k-images-idx3-ubyte${ext}`), z(idxImages(images(3, 100), 3, 2)))
    writeFile(join(dir, `t10k-labels-idx1-ubyte${ext}`), z(idxLabels([2, 1, 0])))
  }

  for (const gzipped of [false, true]) {
    it(`imports train/t10k pairs ${gzipped ? 'gzipped' : 'raw'} with exact pixels and labels`, async () => {
      writeMnist(gzipped)
      expect(await idxImporter.match(dir)).toBe(true)
      const ds = await idxImporter.open(dir)
      expect([ds.height, ds.width, ds.channels, ds.train.count, ds.validation.count]).toEqual([
        3, 2, 1, 6, 3
      ])
      expect(ds.classNames).toEqual(['0', '1', '2'])
      expect(Array.from(ds.train.labels)).toEqual([0, 1, 2, 0, 1, 2])
      expect(Array.from(ds.train.images.subarray(6 * 4, 6 * 5))).toEqual([4, 5, 6, 7, 8, 9])
      expect(Array.from(ds.validation.images.subarray(6, 12))).toEqual([
        101, 102, 103, 104, 105, 106
      ])
      expect(ds.provenance).toMatchObject({ importer: 'idx', split: 'source' })
    })
  }

  it('matches a single IDX file by magic through gzip and opens its folder', async () => {
    writeMnist(true)
    const file = join(dir, 't10k-labels-idx1-ubyte.gz')
    expect(await idxImporter.match(file)).toBe(true)
    const renamed = writeFile(join(dir, 'renamed.bin'), idxLabels([1]))
    expect(await idxImporter.match(renamed)).toBe(true)
    expect(
      await idxImporter.match(writeFile(join(dir, 'other.bin'), Uint8Array.from([0, 0, 8, 9])))
    ).toBe(false)
    const ds = await idxImporter.open(file, { classNames: ['a', 'b', 'c'] })
    expect(ds.classNames).toEqual(['a', 'b', 'c'])
    expect(ds.train.count).toBe(6)
  })

  it('splits a lone train pair with a seed and resizes on request', async () => {
    writeFile(join(dir, 'train-images-idx3-ubyte'), idxImages(images(10, 0, 4, 4), 4, 4))
    writeFile(join(dir, 'train-labels-idx1-ubyte'), idxLabels([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]))
    const ds = await idxImporter.open(dir, {
      validationFraction: 0.2,
      size: { height: 2, width: 2 },
      channels: 3
    })
    expect([ds.train.count, ds.validation.count, ds.height, ds.width, ds.channels]).toEqual([
      8, 2, 2, 2, 3
    ])
    expect(classCounts(ds.validation, 2)).toEqual([1, 1])
    // Image k has pixel p = k + p on a 4x4 grid: its top-left 2x2 block (p = 0, 1, 4, 5) averages
    // k + 2.5, and its bottom-right one (10, 11, 14, 15) k + 12.5; gray is replicated to RGB.
    const firsts: number[] = []
    for (const split of [ds.train, ds.validation]) {
      for (let i = 0; i < split.count; i++) {
        const px = Array.from(split.images.subarray(i * 12, (i + 1) * 12))
        expect(px.slice(0, 3)).toEqual([px[0], px[0], px[0]])
        expect(px[9]! - px[0]!).toBe(10)
        firsts.push(px[0]!)
      }
    }
    const offsets = firsts.sort((a, b) => a - b).map((v, k) => v - k)
    expect(new Set(offsets).size).toBe(1)
    expect([2, 3]).toContain(offsets[0])
  })

  it('rejects a wrong magic, a truncated or oversized file, and mismatched counts, naming the file', async () => {
    writeMnist(false)
    const imagesFile = join(dir, 'train-images-idx3-ubyte')
    const labelsFile = join(dir, 'train-labels-idx1-ubyte')
    const good = idxImages(images(6, 0), 3, 2)

    writeFile(imagesFile, Uint8Array.from([0, 0, 8, 1, ...good.subarray(4)]))
    await expect(idxImporter.open(dir)).rejects.toMatchObject({
      name: 'ImportError',
      file: imagesFile
    })
    await expect(idxImporter.open(dir)).rejects.toThrow(
      /this file holds labels, not images \(the images and labels files look swapped or misnamed\)/
    )

    writeFile(imagesFile, good.subarray(0, good.length - 5))
    await expect(idxImporter.open(dir)).rejects.toThrow(
      /train-images-idx3-ubyte: size mismatch.*\(truncated\)/
    )
    writeFile(imagesFile, Uint8Array.from([...good, 1, 2]))
    await expect(idxImporter.open(dir)).rejects.toThrow(
      /size mismatch: header promises 6 images of 3x2/
    )

    writeFile(imagesFile, good)
    writeFile(labelsFile, idxLabels([0, 1, 2]))
    await expect(idxImporter.open(dir)).rejects.toMatchObject({ file: labelsFile })
    await expect(idxImporter.open(dir)).rejects.toThrow(/3 labels for 6 images/)

    writeFile(labelsFile, idxLabels([0, 1, 2, 0, 1, 2]).subarray(0, 5))
    await expect(idxImporter.open(dir)).rejects.toThrow(/train-labels-idx1-ubyte: too short/)
  })

  it('rejects a corrupt gzip stream', async () => {
    writeMnist(true)
    const file = join(dir, 'train-images-idx3-ubyte.gz')
    const bytes = gzip(idxImages(images(6, 0), 3, 2))
    writeFile(file, bytes.subarray(0, bytes.length - 12))
    await expect(idxImporter.open(dir)).rejects.toMatchObject({ file })
    await expect(idxImporter.open(dir)).rejects.toThrow(/corrupt gzip/)
  })

  it('rejects a label outside given class names, or skips it', async () => {
    writeMnist(false)
    const labelsFile = writeFile(join(dir, 't10k-labels-idx1-ubyte'), idxLabels([2, 5, 0]))
    await expect(idxImporter.open(dir, { classNames: ['a', 'b', 'c'] })).rejects.toMatchObject({
      file: labelsFile
    })
    await expect(idxImporter.open(dir, { classNames: ['a', 'b', 'c'] })).rejects.toThrow(
      /label 5 of record 1 is outside the 3 classes/
    )
    const ds = await idxImporter.open(dir, { classNames: ['a', 'b', 'c'], onBadFile: 'skip' })
    expect(Array.from(ds.validation.labels)).toEqual([2, 0])
    expect(Array.from(ds.validation.images.subarray(6, 12))).toEqual([102, 103, 104, 105, 106, 107])
    expect(ds.provenance.skipped).toEqual([
      { file: labelsFile, reason: expect.stringMatching(/label 5/) }
    ])
  })
})
