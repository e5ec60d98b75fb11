/**
 * CIFAR-10 binary version (cifar-10-batches-bin/): data_batch_1..5.bin and test_batch.bin,
 * each record 1 label byte + 3,072 pixel bytes as three 32x32 planes R, G, B (CHW), and
 * batches.meta.txt with the class names, one a line.
 */
import { basename, dirname, join } from 'node:path'
import { readFileBoundedAsync, regularFileSize } from '../../io/bounded'
import { ConfinedFolder } from '../../io/confined'
import { ImportError, importErrorFrom } from '../errors'
import { conformImage } from '../imageOps'
import {
  assembleDataset,
  BadFilePolicy,
  checkMemoryBudget,
  checkOptions,
  checkpoint,
  PackedImages
} from './assemble'
import { isDirectory, listDir } from './fsProbe'
import type { DatasetImporter, ImportOptions } from './types'

const SIDE = 32
const PLANE = SIDE * SIDE
const RECORD = 1 + 3 * PLANE
const TRAIN_FILE = /^data_batch_(\d+)\.bin$/
const TEST_FILE = 'test_batch.bin'
const META_FILE = 'batches.meta.txt'
/** batches.meta.txt is ten short lines; anything larger is not it. */
const MAX_META_BYTES = 64 * 1024

export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck'
]

interface CifarLayout {
  dir: string
  train: string[]
  test?: string
  meta?: string
}

/** Finds the batch files at `path`: the folder itself, its cifar-10-batches-bin/, or a batch file's folder. */
async function locate(path: string): Promise<CifarLayout | undefined> {
  const candidates = (await isDirectory(path))
    ? [path, join(path, 'cifar-10-batches-bin')]
    : TRAIN_FILE.test(basename(path)) || basename(path) === TEST_FILE
      ? [dirname(path)]
      : []
  for (const dir of candidates) {
    const entries = (await listDir(dir)).filter((e) => !e.dir).map((e) => e.name)
    const train = entries
      .filter((n) => TRAIN_FILE.test(n))
      .sort((a, b) => Number(TRAIN_FILE.exec(a)?.[1]) - Number(TRAIN_FILE.exec(b)?.[1]))
      .map((n) => join(dir, n))
    const test = entries.includes(TEST_FILE) ? join(dir, TEST_FILE) : undefined
    if (train.length > 0 || test) {
      return {
        dir,
        train,
        test,
        meta: entries.includes(META_FILE) ? join(dir, META_FILE) : undefined
      }
    }
  }
  return undefined
}

async function readClassNames(layout: CifarLayout, options: ImportOptions): Promise<string[]> {
  if (options.classNames) return options.classNames.slice()
  if (!layout.meta) return CIFAR10_CLASSES.slice()
  const meta = layout.meta
  let text: string
  try {
    text = (
      await readFileBoundedAsync(meta, { maxBytes: MAX_META_BYTES, what: 'a class-name list' })
    ).toString('utf8')
  } catch (err) {
    throw importErrorFrom(meta, err)
  }
  const names = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
  if (names.length < 2 || names.length > 256) {
    throw new ImportError(meta, `expected 2 to 256 class names, one a line, found ${names.length}`)
  }
  return names
}

/** Reads one batch file into `out`, converting CHW planes to HWC and conforming the shape. */
function readBatch(
  file: string,
  bytes: Uint8Array,
  classNames: string[],
  target: { height: number; width: number; channels: number; resample?: ImportOptions['resample'] },
  out: PackedImages,
  policy: BadFilePolicy
): void {
  if (bytes.length === 0) throw new ImportError(file, 'empty file, no CIFAR-10 records')
  const full = Math.floor(bytes.length / RECORD)
  const rest = bytes.length % RECORD
  if (rest !== 0) {
    // The partial record is the bad one; under 'skip' the full ones before it are kept.
    policy.handle(
      new ImportError(
        file,
        `truncated CIFAR-10 batch: ${bytes.length} bytes is ${full} records of ${RECORD} bytes plus ${rest}`
      )
    )
  }
  for (let r = 0; r < full; r++) {
    const base = r * RECORD
    const label = bytes[base] as number
    if (label >= classNames.length) {
      policy.handle(
        new ImportError(
          file,
          `record ${r}: label ${label} is outside the ${classNames.length} classes`
        )
      )
      continue
    }
    const hwc = new Uint8Array(3 * PLANE)
    for (let p = 0; p < PLANE; p++) {
      hwc[p * 3] = bytes[base + 1 + p] as number
      hwc[p * 3 + 1] = bytes[base + 1 + PLANE + p] as number
      hwc[p * 3 + 2] = bytes[base + 1 + 2 * PLANE + p] as number
    }
    const image =
      target.height === SIDE && target.width === SIDE && target.channels === 3
        ? hwc
        : conformImage({ height: SIDE, width: SIDE, channels: 3, data: hwc }, target)
    out.push(image, label)
  }
}

export const cifar10Importer: DatasetImporter = {
  id: 'cifar10-binary',
  label: 'CIFAR-10 (binary batches)',

  async match(path: string): Promise<boolean> {
    return (await locate(path)) !== undefined
  },

  async open(path: string, options: ImportOptions = {}) {
    checkOptions(options, path)
    const layout = await locate(path)
    if (!layout) throw new ImportError(path, 'no data_batch_*.bin or test_batch.bin found')
    const classNames = await readClassNames(layout, options)
    const target = {
      height: options.size?.height ?? SIDE,
      width: options.size?.width ?? SIDE,
      channels: options.channels ?? 3,
      resample: options.resample
    }
    const size = target.height * target.width * target.channels
    const policy = new BadFilePolicy(options.onBadFile)
    const files = [...layout.train, ...(layout.test ? [layout.test] : [])]
    const guard = async <T>(file: string, fn: () => Promise<T> | T): Promise<T> => {
      try {
        return await fn()
      } catch (err) {
        throw importErrorFrom(file, err)
      }
    }
    // Regular files inside the folder only (no link out of it, no device), and the memory the
    // records will need, from the file sizes, before any is read.
    const folder = await guard(layout.dir, () => new ConfinedFolder(layout.dir))
    const sizes: number[] = []
    for (const file of files) {
      await guard(file, () => folder.resolveFound(file))
      sizes.push(await guard(file, () => regularFileSize(file)))
    }
    const records = sizes.reduce((n, b) => n + Math.floor(b / RECORD), 0)
    checkMemoryBudget(options, layout.dir, records, target, Math.max(...sizes))
    const train = new PackedImages(size)
    const test = new PackedImages(size)
    for (const [i, file] of files.entries()) {
      checkpoint(options, i / files.length, file)
      const bytes = await guard(file, () =>
        readFileBoundedAsync(file, { maxBytes: sizes[i]! + RECORD })
      )
      readBatch(file, bytes, classNames, target, file === layout.test ? test : train, policy)
    }
    checkpoint(options, 1, files[files.length - 1] as string)
    const hasBoth = layout.train.length > 0 && layout.test !== undefined
    return assembleDataset({
      importer: cifar10Importer.id,
      source: layout.dir,
      classNames,
      ...target,
      train: (hasBoth || layout.train.length > 0 ? train : test).toSplit(),
      validation: hasBoth ? test.toSplit() : undefined,
      shuffleSourceSplit: false,
      options: { ...options, name: options.name ?? 'CIFAR-10' },
      skipped: policy.skipped,
      extra: { files: files.map((f) => basename(f)) }
    })
  }
}
