import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { cifar10Importer } from '../../../../../src/main/engine/data/importers/cifar10'
import { classCounts } from '../../../../../src/main/engine/data/split'
import { cifarRecord, concat, makeTempDir, writeFile } from './fixtures'

/** Record k of a batch: R = k, G = 100 + x, B = 200 + y, so HWC order and identity are visible. */
const rec = (label: number, k: number) =>
  cifarRecord(label, (x, y, c) => (c === 0 ? k : c === 1 ? 100 + x : 200 + y))
const names = ['plane', 'car', 'bird']

describe('CIFAR-10 binary importer', () => {
  let dir: string
  let cleanup: () => void
  beforeEach(() => ({ dir, cleanup } = makeTempDir('cifar')))
  afterEach(() => cleanup())

  function writeBatches() {
    writeFile(join(dir, 'batches.meta.txt'), 'plane\ncar\r\nbird\n\n')
    writeFile(join(dir, 'data_batch_1.bin'), concat([0, 1, 2, 0].map((l, k) => rec(l, k))))
    writeFile(join(dir, 'data_batch_2.bin'), concat([1, 2].map((l, k) => rec(l, 10 + k))))
    writeFile(join(dir, 'test_batch.bin'), concat([2, 0].map((l, k) => rec(l, 20 + k))))
  }

  it('converts CHW records to HWC, train from data_batch_*, validation from test_batch', async () => {
    writeBatches()
    const ds = await cifar10Importer.open(dir)
    expect(ds.classNames).toEqual(names)
    expect([ds.height, ds.width, ds.channels, ds.train.count, ds.validation.count]).toEqual([
      32, 32, 3, 6, 2
    ])
    expect(Array.from(ds.train.labels)).toEqual([0, 1, 2, 0, 1, 2])
    expect(Array.from(ds.validation.labels)).toEqual([2, 0])
    // Image 4 (data_batch_2 record 0), pixel (x=5, y=7): R=10, G=105, B=207.
    const p = 4 * 3072 + (7 * 32 + 5) * 3
    expect(Array.from(ds.train.images.subarray(p, p + 3))).toEqual([10, 105, 207])
    expect(ds.validation.images[0]).toBe(20)
    expect(ds.provenance).toMatchObject({
      importer: 'cifar10-binary',
      split: 'source',
      files: ['data_batch_1.bin', 'data_batch_2.bin', 'test_batch.bin']
    })
  })

  it('can pool and split with a seed, cap per class, and convert to gray 16x16', async () => {
    writeBatches()
    const ds = await cifar10Importer.open(dir, {
      split: 'seeded',
      validationFraction: 0.34,
      splitSeed: 3
    })
    expect([ds.train.count, ds.validation.count]).toEqual([5, 3])
    expect(classCounts(ds.validation, 3)).toEqual([1, 1, 1])
    const capped = await cifar10Importer.open(dir, {
      maxPerClass: 1,
      channels: 1,
      size: { height: 16, width: 16 }
    })
    expect(classCounts(capped.train, 3)).toEqual([1, 1, 1])
    expect([capped.height, capped.width, capped.channels]).toEqual([16, 16, 1])
    // Output pixel (0,0) = mean of the luma of source pixels x, y in {0, 1}; the class-0 image
    // kept is record 0 (R = 0) or record 3 (R = 3) of data_batch_1.
    const luma = (k: number, x: number, y: number) =>
      Math.round(0.299 * k + 0.587 * (100 + x) + 0.114 * (200 + y))
    const block = (k: number) =>
      Math.round((luma(k, 0, 0) + luma(k, 1, 0) + luma(k, 0, 1) + luma(k, 1, 1)) / 4)
    const i = capped.train.labels.indexOf(0)
    expect([block(0), block(3)]).toContain(capped.train.images[i * 256])
  })

  it('finds cifar-10-batches-bin/ and a batch file, defaults the class names without meta', async () => {
    const sub = join(dir, 'cifar-10-batches-bin')
    writeFile(join(sub, 'data_batch_1.bin'), concat([rec(9, 0), rec(3, 1)]))
    expect(await cifar10Importer.match(dir)).toBe(true)
    expect(await cifar10Importer.match(join(sub, 'data_batch_1.bin'))).toBe(true)
    expect(await cifar10Importer.match(join(dir, 'nothing'))).toBe(false)
    const ds = await cifar10Importer.open(dir, { validationFraction: 0 })
    expect(ds.classNames[9]).toBe('truck')
    expect(ds.train.count).toBe(2)
  })

  it('throws ImportError naming a truncated batch; skip mode keeps the full records', async () => {
    writeBatches()
    const file = writeFile(
      join(dir, 'data_batch_2.bin'),
      concat([rec(1, 10), rec(2, 11)]).subarray(0, 3073 + 100)
    )
    await expect(cifar10Importer.open(dir)).rejects.toMatchObject({ name: 'ImportError', file })
    await expect(cifar10Importer.open(dir)).rejects.toThrow(
      /data_batch_2\.bin: truncated CIFAR-10 batch: 3173 bytes/
    )
    const ds = await cifar10Importer.open(dir, { onBadFile: 'skip' })
    expect(ds.train.count).toBe(5)
    expect(ds.provenance.skipped).toEqual([{ file, reason: expect.stringMatching(/truncated/) }])
  })

  it('rejects a label outside the class list, or skips that record', async () => {
    writeBatches()
    writeFile(join(dir, 'test_batch.bin'), concat([rec(2, 20), rec(7, 21)]))
    await expect(cifar10Importer.open(dir)).rejects.toThrow(
      /test_batch\.bin: record 1: label 7 is outside the 3 classes/
    )
    const ds = await cifar10Importer.open(dir, { onBadFile: 'skip' })
    expect(ds.validation.count).toBe(1)
    expect((ds.provenance.skipped as unknown[]).length).toBe(1)
  })
})
