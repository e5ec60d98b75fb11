import { copyFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { balancedSample } from '../../../../src/main/engine/data/balancedSample'
import {
  builtinSamplePath,
  FASHION_MNIST_CLASSES,
  loadBuiltinSample
} from '../../../../src/main/engine/data/builtinSample'
import { resourcesDir } from '../../../../src/main/engine/resources'
import { encodeDatasetFile } from '../../../../src/main/engine/data/datasetFile'
import { DatasetFileError } from '../../../../src/main/engine/data/errors'
import { classCounts } from '../../../../src/main/engine/data/split'
import { readFashionMnistClass, SAMPLE_SEED } from '../../../../scripts/build-sample'
import { makeTempDir } from './importers/fixtures'

describe('built-in Fashion-MNIST sample', () => {
  const saved = process.env.ORTHOLENS_RESOURCES
  afterEach(() => {
    if (saved === undefined) delete process.env.ORTHOLENS_RESOURCES
    else process.env.ORTHOLENS_RESOURCES = saved
  })

  it('loads 24,000 + 6,000 balanced 28x28x1 images of 10 named classes', () => {
    const ds = loadBuiltinSample()
    // Whole-dataset matchers are avoided: vitest walks 18 MB typed arrays key by key.
    expect([ds.height, ds.width, ds.channels]).toEqual([28, 28, 1])
    expect(ds.classNames).toEqual([...FASHION_MNIST_CLASSES])
    expect(ds.train.count).toBe(24000)
    expect(ds.validation.count).toBe(6000)
    expect(ds.train.images.length).toBe(24000 * 784)
    expect(classCounts(ds.train, 10)).toEqual(new Array(10).fill(2400))
    expect(classCounts(ds.validation, 10)).toEqual(new Array(10).fill(600))
    expect([ds.provenance.splitSeed, ds.provenance.prng]).toEqual([SAMPLE_SEED, 'mulberry32'])
    // Shuffled: the first 100 training labels are not one class.
    expect(new Set(ds.train.labels.subarray(0, 100)).size).toBe(10)
    // Real pictures, not zeros: the mean pixel of Fashion-MNIST is about 73.
    const mean = ds.train.images.reduce((s, v) => s + v, 0) / ds.train.images.length
    expect(mean).toBeGreaterThan(60)
    expect(mean).toBeLessThan(85)
    // Same bytes on a second load, and fresh (unshared) arrays.
    const again = loadBuiltinSample()
    expect(Buffer.from(again.train.images).equals(Buffer.from(ds.train.images))).toBe(true)
    expect(Buffer.from(again.validation.labels).equals(Buffer.from(ds.validation.labels))).toBe(
      true
    )
    expect(again.train.images === ds.train.images).toBe(false)
  })

  it('holds each image under its true class, no image in both splits (checked against the package for class 8)', () => {
    const ds = loadBuiltinSample()
    const pool = new Set(readFashionMnistClass(8).map((img) => Buffer.from(img).toString('base64')))
    const key = (split: typeof ds.train, i: number) =>
      Buffer.from(split.images.subarray(i * 784, (i + 1) * 784)).toString('base64')
    const trainKeys = new Set<string>()
    for (let i = 0; i < ds.train.count; i++) {
      if (ds.train.labels[i] !== 8) continue
      expect(pool.has(key(ds.train, i))).toBe(true)
      trainKeys.add(key(ds.train, i))
    }
    for (let i = 0; i < ds.validation.count; i++) {
      if (ds.validation.labels[i] !== 8) continue
      expect(pool.has(key(ds.validation, i))).toBe(true)
      expect(trainKeys.has(key(ds.validation, i))).toBe(false)
    }
  })

  it('finds resources/ at the project root, honours ORTHOLENS_RESOURCES, and names a corrupt file', () => {
    expect(resourcesDir()).toBe(join(process.cwd(), 'resources'))
    const { dir, cleanup } = makeTempDir('resources')
    try {
      process.env.ORTHOLENS_RESOURCES = dir
      expect(builtinSamplePath()).toBe(join(dir, 'fashion-mnist-sample.olds.gz'))
      expect(() => loadBuiltinSample()).toThrow(/run `npm run sample`/)
      writeFileSync(builtinSamplePath(), Buffer.from('not gzip at all'))
      expect(() => loadBuiltinSample()).toThrow(DatasetFileError)
      expect(() => loadBuiltinSample()).toThrow(builtinSamplePath())
      delete process.env.ORTHOLENS_RESOURCES
      copyFileSync(builtinSamplePath(), join(dir, 'copy.olds.gz'))
      expect(loadBuiltinSample(join(dir, 'copy.olds.gz')).train.count).toBe(24000)
    } finally {
      cleanup()
    }
  })
})

describe('balancedSample', () => {
  const pools = [0, 1, 2].map((c) => Array.from({ length: 9 }, (_, i) => Uint8Array.from([c, i])))
  const opts = {
    name: 't',
    classNames: ['a', 'b', 'c'],
    height: 1,
    width: 2,
    channels: 1,
    trainPerClass: 4,
    validationPerClass: 2,
    seed: 99,
    source: 'synthetic'
  }

  it('draws distinct images per class into balanced, shuffled splits, with labels matching pixels', () => {
    const ds = balancedSample(pools, opts)
    expect(classCounts(ds.train, 3)).toEqual([4, 4, 4])
    expect(classCounts(ds.validation, 3)).toEqual([2, 2, 2])
    const seen = new Set<string>()
    for (const split of [ds.train, ds.validation]) {
      for (let i = 0; i < split.count; i++) {
        expect(split.images[i * 2]).toBe(split.labels[i])
        seen.add(`${split.images[i * 2]}-${split.images[i * 2 + 1]}`)
      }
    }
    expect(seen.size).toBe(18)
    expect(Array.from(ds.train.labels)).not.toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
  })

  it('is deterministic to the byte for a seed and changes with it', () => {
    const a = encodeDatasetFile(balancedSample(pools, opts))
    expect(encodeDatasetFile(balancedSample(pools, opts)).equals(a)).toBe(true)
    expect(encodeDatasetFile(balancedSample(pools, { ...opts, seed: 100 })).equals(a)).toBe(false)
    expect(() => balancedSample(pools, { ...opts, trainPerClass: 8 })).toThrow(
      /9 images, 10 needed/
    )
  })
})
