/**
 * IDX files as MNIST and Fashion-MNIST ship them: `<prefix>-images-idx3-ubyte` (magic
 * 0x00000803, then big-endian uint32 count, rows, cols, then the pixels) and
 * `<prefix>-labels-idx1-ubyte` (magic 0x00000801, count, labels), each optionally gzipped.
 * A `train` pair becomes the training split, a `t10k`/`test` pair the validation split.
 */
import { basename, dirname, join, resolve } from 'node:path'
import { constants, gunzipSync } from 'node:zlib'
import { inflateBounded, readFileBoundedAsync, regularFileSize } from '../../io/bounded'
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
import { isDirectory, listDir, readHead } from './fsProbe'
import type { DatasetImporter, ImportOptions } from './types'

export const IDX_IMAGES_MAGIC = 0x00000803
export const IDX_LABELS_MAGIC = 0x00000801
/** Both the canonical `train-images-idx3-ubyte` and the `train-images.idx3-ubyte` of some mirrors. */
const IMAGES_FILE = /^(.*?)[-.]images[-.]idx3[-.]ubyte(\.gz)?$/i
const LABELS_FILE = /^(.*?)[-.]labels[-.]idx1[-.]ubyte(\.gz)?$/i
const IMAGES_HEADER = 16
const LABELS_HEADER = 8

interface IdxPair {
  prefix: string
  images: string
  labels: string
  role: 'train' | 'validation'
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x1f && bytes[1] === 0x8b
}

/** Big-endian uint32 (IDX is big-endian whatever the machine). */
function u32(bytes: Uint8Array, offset: number): number {
  return (
    (((bytes[offset] as number) << 24) |
      ((bytes[offset + 1] as number) << 16) |
      ((bytes[offset + 2] as number) << 8) |
      (bytes[offset + 3] as number)) >>>
    0
  )
}

/**
 * The first bytes of an IDX file, looking through gzip; reads at most 512 bytes of it.
 * `gzipError` is set when even those bytes do not unpack.
 */
async function peekHeader(
  path: string
): Promise<{ head: Uint8Array; gzipped: boolean; gzipError?: string }> {
  const raw = await readHead(path, 512)
  if (!isGzip(raw)) return { head: raw, gzipped: false }
  // Z_SYNC_FLUSH returns what the partial stream decodes to instead of failing at its end; a
  // small file is whole in `raw`, and a damaged trailer (CRC) must not hide its header: the
  // whole read later reports the trailer.
  let error = ''
  for (const bytes of [raw, raw.subarray(0, Math.max(0, raw.length - 8))]) {
    try {
      return { head: gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }), gzipped: true }
    } catch (err) {
      error ||= (err as Error).message
    }
  }
  return { head: new Uint8Array(0), gzipped: true, gzipError: error }
}

async function peekMagic(path: string): Promise<number | undefined> {
  const { head } = await peekHeader(path)
  return head.length >= 4 ? u32(head, 0) : undefined
}

async function findPairs(
  dir: string,
  only?: readonly string[]
): Promise<{ pairs: IdxPair[]; unpaired: string[] }> {
  const allowed = only && new Set(only.map((f) => basename(f)))
  const names = (await listDir(dir))
    .filter((e) => !e.dir && (!allowed || allowed.has(e.name)))
    .map((e) => e.name)
  const labelsByPrefix = new Map<string, string>()
  for (const n of names) {
    const m = LABELS_FILE.exec(n)
    // Prefer the uncompressed file when both exist (same content, cheaper to read).
    if (m && (!labelsByPrefix.has(m[1] as string) || !m[2])) labelsByPrefix.set(m[1] as string, n)
  }
  const pairs = new Map<string, IdxPair>()
  const unpaired: string[] = []
  for (const n of names) {
    const m = IMAGES_FILE.exec(n)
    if (!m) continue
    const prefix = m[1] as string
    const labels = labelsByPrefix.get(prefix)
    if (!labels) {
      unpaired.push(join(dir, n))
      continue
    }
    if (pairs.has(prefix) && m[2]) continue
    const role = /^(t10k|test)/i.test(prefix) ? 'validation' : 'train'
    pairs.set(prefix, { prefix, images: join(dir, n), labels: join(dir, labels), role })
  }
  return { pairs: [...pairs.values()], unpaired }
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`

interface IdxHeader {
  magic: number
  count: number
  rows: number
  cols: number
  gzipped: boolean
  /** Bytes the whole (inflated) file must have. */
  expected: number
}

/**
 * Reads and checks a pair's headers, from at most 512 bytes of each file, before anything is
 * read whole: magic numbers (with a plain word when the two files are swapped), sizes, counts.
 */
async function readPairHeaders(pair: IdxPair): Promise<{ images: IdxHeader; labels: IdxHeader }> {
  const [img, lab] = [await peekHeader(pair.images), await peekHeader(pair.labels)]
  const imgMagic = img.head.length >= 4 ? u32(img.head, 0) : undefined
  const labMagic = lab.head.length >= 4 ? u32(lab.head, 0) : undefined
  if (imgMagic === IDX_LABELS_MAGIC && labMagic === IDX_IMAGES_MAGIC) {
    throw new ImportError(
      pair.images,
      `the images and labels files look swapped: this file holds labels and ${basename(pair.labels)} holds images; rename them`,
      {
        detail: `${basename(pair.images)} magic ${hex(imgMagic)}, ${basename(pair.labels)} magic ${hex(labMagic)}`
      }
    )
  }
  if (imgMagic === IDX_LABELS_MAGIC) {
    throw new ImportError(
      pair.images,
      'this file holds labels, not images (the images and labels files look swapped or misnamed)',
      { detail: `magic ${hex(imgMagic)}, expected ${hex(IDX_IMAGES_MAGIC)}` }
    )
  }
  if (labMagic === IDX_IMAGES_MAGIC) {
    throw new ImportError(
      pair.labels,
      'this file holds images, not labels (the images and labels files look swapped or misnamed)',
      { detail: `magic ${hex(labMagic)}, expected ${hex(IDX_LABELS_MAGIC)}` }
    )
  }
  for (const [file, peek] of [
    [pair.images, img],
    [pair.labels, lab]
  ] as const) {
    if (peek.gzipError !== undefined) {
      throw new ImportError(file, 'corrupt gzip stream: its start cannot be unpacked', {
        detail: peek.gzipError
      })
    }
  }
  if (img.head.length < IMAGES_HEADER) {
    throw new ImportError(
      pair.images,
      `too short for an IDX image file (${img.head.length} bytes, the header alone is ${IMAGES_HEADER})`
    )
  }
  if (imgMagic !== IDX_IMAGES_MAGIC) {
    throw new ImportError(
      pair.images,
      'not an IDX image file: it does not start with the marker of 8-bit images',
      {
        detail: `magic ${hex(imgMagic ?? 0)}, expected ${hex(IDX_IMAGES_MAGIC)}`
      }
    )
  }
  if (lab.head.length < LABELS_HEADER) {
    throw new ImportError(
      pair.labels,
      `too short for an IDX labels file (${lab.head.length} bytes, the header alone is ${LABELS_HEADER})`
    )
  }
  if (labMagic !== IDX_LABELS_MAGIC) {
    throw new ImportError(
      pair.labels,
      'not an IDX labels file: it does not start with the marker of 8-bit labels',
      {
        detail: `magic ${hex(labMagic ?? 0)}, expected ${hex(IDX_LABELS_MAGIC)}`
      }
    )
  }
  const count = u32(img.head, 4)
  const rows = u32(img.head, 8)
  const cols = u32(img.head, 12)
  if (rows === 0 || cols === 0)
    throw new ImportError(pair.images, `its header gives an empty image size ${rows}×${cols}`)
  if (count === 0) throw new ImportError(pair.images, 'its header says it holds no images')
  const labelCount = u32(lab.head, 4)
  if (labelCount !== count) {
    throw new ImportError(
      pair.labels,
      `${labelCount} labels for ${count} images in ${basename(pair.images)}`
    )
  }
  return {
    images: {
      magic: IDX_IMAGES_MAGIC,
      count,
      rows,
      cols,
      gzipped: img.gzipped,
      expected: IMAGES_HEADER + count * rows * cols
    },
    labels: {
      magic: IDX_LABELS_MAGIC,
      count,
      rows: 1,
      cols: 1,
      gzipped: lab.gzipped,
      expected: LABELS_HEADER + count
    }
  }
}

/** Reads a whole IDX file, plain or gzipped, refusing it unless it holds exactly `h.expected` bytes. */
async function readWhole(file: string, h: IdxHeader, what: string): Promise<Uint8Array> {
  const describe = (): string =>
    what === 'images' ? `${h.count} images of ${h.rows}x${h.cols}` : `${h.count} labels`
  const mismatch = (actual: number): ImportError =>
    new ImportError(
      file,
      `size mismatch: header promises ${describe()} (${h.expected} bytes), file has ${actual}` +
        (actual < h.expected ? ' (truncated)' : ''),
      { detail: `expected ${h.expected} bytes${h.gzipped ? ' after gunzip' : ''}, found ${actual}` }
    )
  if (!h.gzipped) {
    const size = await regularFileSize(file)
    if (size !== h.expected) throw mismatch(size)
    return readFileBoundedAsync(file, { maxBytes: h.expected })
  }
  // The compressed file can be no larger than what it unpacks to, plus gzip's framing.
  const packed = await readFileBoundedAsync(file, {
    maxBytes: h.expected + 1024 + Math.ceil(h.expected / 100)
  })
  let bytes: Uint8Array
  try {
    bytes = inflateBounded(packed, {
      maxBytes: h.expected,
      format: 'gzip',
      file,
      what: 'the gzip stream'
    })
  } catch (err) {
    const e = importErrorFrom(file, err)
    if (/more than/.test(e.reason)) throw mismatch(h.expected + 1)
    throw new ImportError(
      file,
      `corrupt gzip stream: ${e.reason.replace(/^the gzip stream /, '')}`,
      { detail: e.detail, cause: err }
    )
  }
  if (bytes.length !== h.expected) throw mismatch(bytes.length)
  return bytes
}

/**
 * Class count from the labels when no class names are given: the labels must cover 0..K-1
 * without a gap. A label past the first unused one (255 among 0..9) is a corrupt byte, not a
 * class: it would otherwise create up to 256 classes, most of them empty.
 */
function inferClassCount(all: { file: string; labels: Uint8Array }[]): {
  count: number
  firstGap: number
} {
  const seen = new Uint8Array(256)
  for (const { labels } of all) for (const l of labels) seen[l] = 1
  let firstGap = 0
  while (firstGap < 256 && seen[firstGap] === 1) firstGap++
  return { count: firstGap, firstGap }
}

export const idxImporter: DatasetImporter = {
  id: 'idx',
  label: 'MNIST / Fashion-MNIST (IDX files)',

  async match(path: string): Promise<boolean> {
    if (await isDirectory(path)) return (await findPairs(path)).pairs.length > 0
    const magic = await peekMagic(path)
    return magic === IDX_IMAGES_MAGIC || magic === IDX_LABELS_MAGIC
  },

  /** `path` is the folder, or any IDX file in it (the whole folder is imported). */
  async open(path: string, options: ImportOptions = {}) {
    checkOptions(options, path)
    const dir = (await isDirectory(path)) ? path : dirname(path)
    // With `files` (the files the user picked), only those are read, never their neighbours.
    if (options.files?.some((f) => resolve(dirname(f)) !== resolve(dir))) {
      throw new ImportError(path, 'the IDX files must all be in one folder')
    }
    const { pairs, unpaired } = await findPairs(dir, options.files)
    if (pairs.length === 0) {
      // With picked files, say what to pick as well (the folder takes every pair in it).
      const pick = options.files ? '; pick it as well, or the whole folder' : ''
      throw new ImportError(
        unpaired[0] ?? path,
        unpaired.length > 0
          ? `IDX images without a matching *-labels-idx1-ubyte file${pick}`
          : options.files
            ? `no *-images-idx3-ubyte file picked with these labels${pick}`
            : 'no *-images-idx3-ubyte / *-labels-idx1-ubyte pair found'
      )
    }
    const policy = new BadFilePolicy(options.onBadFile)
    const guard = async <T>(file: string, fn: () => Promise<T> | T): Promise<T> => {
      try {
        return await fn()
      } catch (err) {
        throw importErrorFrom(file, err)
      }
    }
    // Every file must be a regular file inside the folder: no link out of it, no device.
    const folder = await guard(dir, () => new ConfinedFolder(dir))
    for (const pair of pairs) {
      for (const file of [pair.images, pair.labels])
        await guard(file, () => folder.resolveFound(file))
    }
    const headers: { pair: IdxPair; images: IdxHeader; labels: IdxHeader }[] = []
    for (const pair of pairs) {
      const h = await guard(pair.images, () => readPairHeaders(pair))
      const first = headers[0]?.images
      if (first && (first.rows !== h.images.rows || first.cols !== h.images.cols)) {
        throw new ImportError(
          pair.images,
          `images are ${h.images.rows}×${h.images.cols}, ${basename(headers[0]!.pair.images)} has ${first.rows}×${first.cols}`
        )
      }
      headers.push({ pair, ...h })
    }
    const { rows, cols } = headers[0]!.images
    const target = {
      height: options.size?.height ?? rows,
      width: options.size?.width ?? cols,
      channels: options.channels ?? 1,
      resample: options.resample
    }
    // From the headers alone, before any file is read whole.
    const total = headers.reduce((n, h) => n + h.images.count, 0)
    const largest = Math.max(...headers.map((h) => h.images.expected))
    checkMemoryBudget(options, dir, total, target, largest)

    const labelSets: { file: string; labels: Uint8Array }[] = []
    for (const [i, h] of headers.entries()) {
      checkpoint(options, (0.2 * i) / headers.length, h.pair.labels)
      const bytes = await guard(h.pair.labels, () => readWhole(h.pair.labels, h.labels, 'labels'))
      labelSets.push({ file: h.pair.labels, labels: bytes.subarray(LABELS_HEADER) })
    }
    const inferred = options.classNames ? undefined : inferClassCount(labelSets)
    const classNames =
      options.classNames?.slice() ?? Array.from({ length: inferred!.count }, (_, i) => String(i))
    const unused = (from: number, to: number): string => (to > from ? `${from}–${to}` : `${from}`)
    const outside = (label: number, k: number): string =>
      !inferred
        ? `label ${label} of record ${k} is outside the ${classNames.length} classes`
        : inferred.count === 0
          ? // Not one record is labelled 0: no class range can be inferred at all.
            `label ${label} of record ${k} cannot be a class: no record is labelled ${unused(0, label - 1)}, so the labels do not count classes from 0; give the class names if ${label + 1} classes are meant`
          : `label ${label} of record ${k} is outside the classes ${unused(0, inferred.count - 1)} the labels use (no record is labelled ${unused(inferred.firstGap, label - 1)}); give the class names if ${label + 1} classes are meant`

    const size = target.height * target.width * target.channels
    const same = target.height === rows && target.width === cols && target.channels === 1
    const train = new PackedImages(size)
    const validation = new PackedImages(size)
    for (const [i, { pair, images }] of headers.entries()) {
      checkpoint(options, 0.2 + (0.8 * i) / headers.length, pair.images)
      const pixelsFile = await guard(pair.images, () => readWhole(pair.images, images, 'images'))
      const labels = labelSets[i]!.labels
      const out = pair.role === 'validation' ? validation : train
      const pixels = rows * cols
      for (let k = 0; k < images.count; k++) {
        const label = labels[k] as number
        if (label >= classNames.length) {
          policy.handle(new ImportError(pair.labels, outside(label, k)))
          continue
        }
        const raw = pixelsFile.slice(IMAGES_HEADER + k * pixels, IMAGES_HEADER + (k + 1) * pixels)
        out.push(
          same ? raw : conformImage({ height: rows, width: cols, channels: 1, data: raw }, target),
          label
        )
        if (k % 5000 === 4999) options.signal?.throwIfAborted()
      }
    }
    checkpoint(options, 1, headers[headers.length - 1]!.pair.images)

    const hasSource = train.count > 0 && validation.count > 0
    return assembleDataset({
      importer: idxImporter.id,
      source: dir,
      classNames,
      ...target,
      train: (train.count > 0 ? train : validation).toSplit(),
      validation: hasSource ? validation.toSplit() : undefined,
      shuffleSourceSplit: false,
      options,
      skipped: policy.skipped,
      extra: {
        files: pairs.flatMap((p) => [basename(p.images), basename(p.labels)]),
        ...(unpaired.length > 0 ? { unpaired: unpaired.map((f) => basename(f)) } : {})
      }
    })
  }
}
