/**
 * Importer bounds and confinement (issue 19): links out of the chosen folder, one-class data,
 * swapped IDX files, labels outside the classes, and the memory budget stated with its figure
 * before anything is decoded.
 */
import { symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { cifar10Importer } from '../../../../../src/main/engine/data/importers/cifar10'
import { idxImporter } from '../../../../../src/main/engine/data/importers/idx'
import { imageFolderImporter } from '../../../../../src/main/engine/data/importers/imageFolder'
import {
  cifarRecord,
  concat,
  idxImages,
  idxLabels,
  makeTempDir,
  pngBytes,
  writeFile
} from './fixtures'

let dir: string
let cleanup: () => void
beforeEach(() => ({ dir, cleanup } = makeTempDir('bounds')))
afterEach(() => cleanup())

const png = (v: number) => pngBytes(4, 4, 'gray', () => v)

describe('image folders do not follow links out of the chosen folder', () => {
  it('a link to an image outside stops the import naming it, or is listed under skip; a link inside is followed', async () => {
    const root = join(dir, 'pick')
    writeFile(join(root, 'a', '1.png'), png(10))
    writeFile(join(root, 'b', '1.png'), png(20))
    writeFile(join(dir, 'private', 'photo.png'), png(99))
    symlinkSync(join(dir, 'private', 'photo.png'), join(root, 'a', 'stolen.png'))
    symlinkSync(join(root, 'b', '1.png'), join(root, 'a', 'alias.png'))
    await expect(imageFolderImporter.open(root)).rejects.toThrow(
      `${join(root, 'a', 'stolen.png')}: it is a link to ${join(dir, 'private', 'photo.png')}, outside the chosen folder ${root}; links out of the folder are not followed`
    )
    const ds = await imageFolderImporter.open(root, { onBadFile: 'skip', validationFraction: 0 })
    expect(ds.train.count).toBe(3) // 1.png, alias.png (inside), b/1.png
    expect(Array.from(ds.train.images)).not.toContain(99)
    expect(ds.provenance.skipped).toEqual([
      expect.objectContaining({ file: join(root, 'a', 'stolen.png') })
    ])
  })

  it('a linked folder is not walked: inside it is ignored (no loop), leading out it is refused', async () => {
    const root = join(dir, 'pick')
    writeFile(join(root, 'a', '1.png'), png(10))
    writeFile(join(root, 'b', '1.png'), png(20))
    writeFile(join(dir, 'home', 'x.png'), png(99))
    symlinkSync(join(root, 'a'), join(root, 'a', 'again'))
    await expect(imageFolderImporter.open(root, { validationFraction: 0 })).resolves.toMatchObject({
      train: { count: 2 }
    })
    symlinkSync(join(dir, 'home'), join(root, 'b', 'home'))
    await expect(imageFolderImporter.open(root)).rejects.toThrow(
      /b\/home: it is a link to .*home, outside the chosen folder/
    )
  })

  it('a one-class folder is refused', async () => {
    const root = join(dir, 'cats-only')
    writeFile(join(root, 'cats', '1.png'), png(1))
    writeFile(join(root, 'cats', '2.png'), png(2))
    await expect(imageFolderImporter.open(root)).rejects.toThrow(
      `${root}: only one class folder ("cats"); a classifier needs at least two`
    )
  })

  it('an import over the memory budget is refused with the figure, before decoding', async () => {
    const root = join(dir, 'big')
    for (let i = 0; i < 10; i++) writeFile(join(root, i % 2 ? 'a' : 'b', `${i}.png`), png(i))
    await expect(
      imageFolderImporter.open(root, {
        size: { height: 512, width: 512 },
        channels: 3,
        memoryBudgetBytes: 5e6
      })
    ).rejects.toThrow(
      `${root}: importing 10 images of 512×512×3 needs about 24 MB of memory, more than the 5.0 MB an import may use; import fewer images per class or resize them smaller`
    )
  })
})

describe('IDX: swapped files, labels outside the classes, budget from the header', () => {
  const images = (n: number) =>
    Array.from({ length: n }, (_, i) => Uint8Array.from({ length: 4 }, (_, k) => i * 4 + k))

  it('with `files` (the picked ones) only those are read, not the pairs beside them', async () => {
    const root = join(dir, 'mnist')
    writeFile(join(root, 'train-images-idx3-ubyte'), idxImages(images(4), 2, 2))
    writeFile(join(root, 'train-labels-idx1-ubyte'), idxLabels([0, 1, 0, 1]))
    writeFile(join(root, 't10k-images-idx3-ubyte'), idxImages(images(3), 2, 2))
    writeFile(join(root, 't10k-labels-idx1-ubyte'), idxLabels([0, 1, 1]))
    const all = await idxImporter.open(root)
    expect(all.train.count + all.validation.count).toBe(7)
    const picked = [join(root, 'train-images-idx3-ubyte'), join(root, 'train-labels-idx1-ubyte')]
    const only = await idxImporter.open(picked[0]!, { files: picked, validationFraction: 0 })
    expect(only.train.count + only.validation.count).toBe(4)
    expect(only.provenance.files).toEqual(['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'])
  })

  it('swapped images and labels files get a plain word', async () => {
    const root = join(dir, 'mnist')
    writeFile(join(root, 'train-images-idx3-ubyte'), idxLabels([0, 1]))
    writeFile(join(root, 'train-labels-idx1-ubyte'), idxImages(images(2), 2, 2))
    const err = (await idxImporter.open(root).catch((e: unknown) => e)) as Error & {
      detail?: string
    }
    expect(err.message).toBe(
      `${join(root, 'train-images-idx3-ubyte')}: the images and labels files look swapped: this file holds labels and train-labels-idx1-ubyte holds images; rename them`
    )
    expect(err.message).not.toMatch(/0x0000080/)
    expect(err.detail).toMatch(/magic 0x00000801.*magic 0x00000803/)
  })

  it('a label byte of 255 among 0..2 is refused with its record, not made class 255', async () => {
    const root = join(dir, 'mnist')
    writeFile(join(root, 'train-images-idx3-ubyte'), idxImages(images(7), 2, 2))
    writeFile(join(root, 'train-labels-idx1-ubyte'), idxLabels([0, 1, 2, 0, 255, 1, 2]))
    await expect(idxImporter.open(root)).rejects.toThrow(
      'label 255 of record 4 is outside the classes 0–2 the labels use (no record is labelled 3–254)'
    )
    const ds = await idxImporter.open(root, { onBadFile: 'skip', validationFraction: 0 })
    expect(ds.classNames).toEqual(['0', '1', '2'])
    expect(ds.train.count).toBe(6)
  })

  it('labels that never use 0 are refused in words, not as "classes 0–-1"', async () => {
    const root = join(dir, 'mnist')
    writeFile(join(root, 'train-images-idx3-ubyte'), idxImages(images(3), 2, 2))
    writeFile(join(root, 'train-labels-idx1-ubyte'), idxLabels([5, 6, 5]))
    await expect(idxImporter.open(root)).rejects.toThrow(
      `${join(root, 'train-labels-idx1-ubyte')}: label 5 of record 0 cannot be a class: no record is labelled 0–4, so the labels do not count classes from 0; give the class names if 6 classes are meant`
    )
  })

  it('a header promising 60,000 images of 28×28 over a 4-image file is refused from the header', async () => {
    const root = join(dir, 'mnist')
    const lying = Uint8Array.from(idxImages(images(4), 2, 2))
    lying.set([0, 0, 0xea, 0x60, 0, 0, 0, 28, 0, 0, 0, 28], 4)
    writeFile(join(root, 'train-images-idx3-ubyte'), lying)
    writeFile(
      join(root, 'train-labels-idx1-ubyte'),
      concat([Uint8Array.from([0, 0, 8, 1, 0, 0, 0xea, 0x60]), new Uint8Array(4)])
    )
    await expect(idxImporter.open(root, { memoryBudgetBytes: 1e9 })).rejects.toThrow(
      /train-labels-idx1-ubyte: size mismatch: header promises 60000 labels \(60008 bytes\), file has 12 \(truncated\)/
    )
    await expect(idxImporter.open(root, { memoryBudgetBytes: 1e7 })).rejects.toThrow(
      /importing 60,000 images of 28×28×1 needs about 188 MB of memory, more than the 10 MB an import may use/
    )
  })
})

describe('CIFAR-10: labels and budget', () => {
  it('a label past the classes is refused with its record; the budget is checked from file sizes', async () => {
    const root = join(dir, 'cifar')
    writeFile(
      join(root, 'data_batch_1.bin'),
      concat([cifarRecord(1, () => 5), cifarRecord(12, () => 6), cifarRecord(3, () => 7)])
    )
    await expect(cifar10Importer.open(root)).rejects.toThrow(
      `${join(root, 'data_batch_1.bin')}: record 1: label 12 is outside the 10 classes`
    )
    await expect(cifar10Importer.open(root, { memoryBudgetBytes: 20_000 })).rejects.toThrow(
      /importing 3 images of 32×32×3 needs about 36,867 bytes of memory, more than the 20,000 bytes an import may use/
    )
  })
})
