import { basename, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ImportError } from '../../../../../src/main/engine/data/errors'
import { imageFolderImporter } from '../../../../../src/main/engine/data/importers/imageFolder'
import { classCounts } from '../../../../../src/main/engine/data/split'
import { jpegBytes, makeTempDir, pngBytes, writeFile } from './fixtures'

/** Class c, image i: a gray PNG whose every pixel is 10*c + i (so pixels reveal the label). */
const grayPng = (c: number, i: number, side = 4) => pngBytes(side, side, 'gray', () => 10 * c + i)

describe('ImageFolder importer', () => {
  let dir: string
  let cleanup: () => void
  beforeEach(() => ({ dir, cleanup } = makeTempDir('imgfolder')))
  afterEach(() => cleanup())

  function writeClasses(perClass: number, classes = ['cat', 'dog', 'eel']) {
    classes.forEach((name, c) => {
      for (let i = 0; i < perClass; i++) writeFile(join(dir, name, `img${i}.png`), grayPng(c, i))
    })
  }

  it('reads gray PNGs exactly, names classes after folders, splits 80/20 per class', async () => {
    writeClasses(5)
    writeFile(join(dir, 'dog', 'notes.txt'), 'ignored')
    const progress: number[] = []
    const ds = await imageFolderImporter.open(dir, { onProgress: (p) => progress.push(p.fraction) })
    expect(ds.classNames).toEqual(['cat', 'dog', 'eel'])
    expect([ds.height, ds.width, ds.channels]).toEqual([4, 4, 1])
    expect([ds.train.count, ds.validation.count]).toEqual([12, 3])
    expect(classCounts(ds.validation, 3)).toEqual([1, 1, 1])
    const seen = new Set<number>()
    for (const split of [ds.train, ds.validation]) {
      for (let k = 0; k < split.count; k++) {
        const img = split.images.subarray(k * 16, (k + 1) * 16)
        const v = img[0] as number
        expect(img.every((p) => p === v)).toBe(true)
        expect(Math.floor(v / 10)).toBe(split.labels[k])
        seen.add(v)
      }
    }
    expect(seen.size).toBe(15)
    expect(ds.provenance).toMatchObject({
      importer: 'image-folder',
      split: 'seeded',
      splitSeed: 42,
      ignoredFiles: 1
    })
    expect(progress[progress.length - 1]).toBe(1)
    expect(progress).toEqual([...progress].sort((a, b) => a - b))
  })

  it('resizes, converts channels (RGBA drops alpha, gray -> RGB) and reads JPEGs within tolerance', async () => {
    writeFile(
      join(dir, 'a', '1.png'),
      pngBytes(4, 4, 'rgba', (_x, _y, c) => [200, 100, 50][c] as number)
    )
    writeFile(join(dir, 'a', '2.png'), grayPng(0, 7, 8))
    writeFile(
      join(dir, 'b', '1.jpg'),
      jpegBytes(16, 16, (_x, _y, c) => [20, 140, 230][c] as number)
    )
    writeFile(
      join(dir, 'b', '2.JPEG'),
      jpegBytes(16, 16, () => 90)
    )
    const ds = await imageFolderImporter.open(dir, {
      size: { height: 2, width: 3 },
      channels: 3,
      validationFraction: 0
    })
    expect([ds.height, ds.width, ds.channels, ds.train.count, ds.validation.count]).toEqual([
      2, 3, 3, 4, 0
    ])
    const byFirst = new Map<string, number[]>()
    for (let k = 0; k < 4; k++) {
      const img = Array.from(ds.train.images.subarray(k * 18, (k + 1) * 18))
      byFirst.set(`${ds.train.labels[k]}:${img[0]}`, img)
    }
    expect(byFirst.get('0:200')).toEqual(new Array(6).fill([200, 100, 50]).flat())
    expect(byFirst.get('0:7')).toEqual(new Array(18).fill(7))
    const jpegColour = [...byFirst.entries()].find(
      ([k, v]) => k.startsWith('1:') && v[2]! > 150
    )?.[1]
    expect(jpegColour).toBeDefined()
    jpegColour!.forEach((v, i) =>
      expect(Math.abs(v - ([20, 140, 230][i % 3] as number))).toBeLessThanOrEqual(6)
    )
  })

  it('defaults to the first image size and channels, converting colour to gray by luma', async () => {
    writeFile(join(dir, 'a', '0.png'), grayPng(0, 1, 2))
    writeFile(
      join(dir, 'b', '0.png'),
      pngBytes(4, 4, 'rgb', (_x, _y, c) => [100, 200, 0][c] as number)
    )
    const ds = await imageFolderImporter.open(dir, { validationFraction: 0 })
    expect([ds.height, ds.width, ds.channels]).toEqual([2, 2, 1])
    const k = ds.train.labels.indexOf(1)
    // 0.299*100 + 0.587*200 = 147.3
    expect(Array.from(ds.train.images.subarray(k * 4, k * 4 + 4))).toEqual([147, 147, 147, 147])
  })

  it('keeps a train/ + val/ layout as the split and caps per class', async () => {
    for (const [split, n] of [
      ['train', 6],
      ['val', 2]
    ] as const) {
      for (const [c, name] of ['x', 'y'].entries()) {
        for (let i = 0; i < n; i++)
          writeFile(join(dir, split, name, `${i}.png`), grayPng(c, i + (split === 'val' ? 50 : 0)))
      }
    }
    const ds = await imageFolderImporter.open(dir)
    expect(ds.classNames).toEqual(['x', 'y'])
    expect([ds.train.count, ds.validation.count]).toEqual([12, 4])
    // Validation images are exactly those of val/ (pixel 10*c + 50 + i).
    expect(Array.from({ length: 4 }, (_, k) => ds.validation.images[k * 16]!).sort()).toEqual([
      50, 51, 60, 61
    ])
    expect(ds.provenance.split).toBe('source')
    const capped = await imageFolderImporter.open(dir, { maxPerClass: 3 })
    expect(classCounts(capped.train, 2)).toEqual([3, 3])
    expect(classCounts(capped.validation, 2)).toEqual([2, 2])
    const seeded = await imageFolderImporter.open(dir, {
      split: 'seeded',
      validationFraction: 0.25
    })
    expect([seeded.train.count, seeded.validation.count]).toEqual([12, 4])
  })

  it('stops on a corrupt PNG or truncated JPEG with an ImportError naming the file', async () => {
    writeClasses(3)
    const bad = writeFile(join(dir, 'dog', 'img9.png'), grayPng(1, 9).subarray(0, 40))
    await expect(imageFolderImporter.open(dir)).rejects.toMatchObject({
      name: 'ImportError',
      file: bad
    })
    await expect(imageFolderImporter.open(dir)).rejects.toThrow(/img9\.png: corrupt PNG/)
    const jpg = jpegBytes(16, 16, (x, y) => (x * 16 + y) % 256)
    const badJpeg = writeFile(join(dir, 'eel', 'broken.jpg'), jpg.subarray(0, jpg.length >> 1))
    const skipped = await imageFolderImporter.open(dir, { onBadFile: 'skip' })
    expect((skipped.provenance.skipped as { file: string }[]).map((s) => s.file)).toEqual([
      bad,
      badJpeg
    ])
    expect(skipped.train.count + skipped.validation.count).toBe(9)
    const err = await imageFolderImporter
      .open(join(dir, '..', basename(dir)), { maxPerClass: 100 })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ImportError)
    expect((err as ImportError).message).toContain('dog')
  })

  it("with onBadFile 'skip' leaves bad files out and lists them with reasons", async () => {
    writeClasses(3)
    const bad = writeFile(join(dir, 'cat', 'zzz.png'), Buffer.from('definitely not an image'))
    const fake = writeFile(
      join(dir, 'eel', 'fake.jpg'),
      Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3])
    )
    const ds = await imageFolderImporter.open(dir, { onBadFile: 'skip', validationFraction: 0 })
    expect(ds.train.count).toBe(9)
    const skipped = ds.provenance.skipped as { file: string; reason: string }[]
    expect(skipped.map((s) => s.file)).toEqual([bad, fake])
    expect(skipped[0]?.reason).toMatch(/not a PNG or JPEG/)
    expect(skipped[1]?.reason).toMatch(/corrupt JPEG/)
  })

  it('rejects an empty class folder, and a class whose every image is bad even in skip mode', async () => {
    writeClasses(2)
    writeFile(join(dir, 'fox', 'readme.txt'), 'no images here')
    await expect(imageFolderImporter.open(dir)).rejects.toMatchObject({ file: join(dir, 'fox') })
    await expect(imageFolderImporter.open(dir)).rejects.toThrow(/empty class folder/)
    writeFile(join(dir, 'fox', 'x.png'), Buffer.from('broken'))
    await expect(imageFolderImporter.open(dir, { onBadFile: 'skip' })).rejects.toThrow(
      /fox: no readable image/
    )
  })

  it('honours an AbortSignal', async () => {
    writeClasses(2)
    const controller = new AbortController()
    controller.abort()
    await expect(imageFolderImporter.open(dir, { signal: controller.signal })).rejects.toThrow(
      /abort/i
    )
  })

  it('matches a folder of image folders only', async () => {
    expect(await imageFolderImporter.match(dir)).toBe(false)
    writeFile(join(dir, 'flat.png'), grayPng(0, 0))
    expect(await imageFolderImporter.match(dir)).toBe(false)
    writeClasses(1)
    expect(await imageFolderImporter.match(dir)).toBe(true)
    expect(await imageFolderImporter.match(join(dir, 'flat.png'))).toBe(false)
    expect(await imageFolderImporter.match(join(dir, 'missing'))).toBe(false)
  })
})
