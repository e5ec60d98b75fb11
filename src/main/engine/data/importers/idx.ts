/**
 * IDX files as MNIST and Fashion-MNIST ship them: `<prefix>-images-idx3-ubyte` (magic
 * 0x00000803, then big-endian uint32 count, rows, cols, then the pixels) and
 * `<prefix>-labels-idx1-ubyte` (magic 0x00000801, count, labels), each optionally gzipped.
 * A `train` pair becomes the training split, a `t10k`/`test` pair the validation split.
 */
import { readFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { constants, gunzipSync } from 'node:zlib'
import { ImportError } from '../errors'
import { conformImage } from '../imageOps'
import { assembleDataset, BadFilePolicy, checkOptions, checkpoint, PackedImages } from './assemble'
import { isDirectory, listDir, readHead } from './fsProbe'
import type { DatasetImporter, ImportOptions } from './types'

export const IDX_IMAGES_MAGIC = 0x00000803
export const IDX_LABELS_MAGIC = 0x00000801
/** Both the canonical `train-images-idx3-ubyte` and the `train-images.idx3-ubyte` of some mirrors. */
const IMAGES_FILE = /^(.*?)[-.]images[-.]idx3[-.]ubyte(\.gz)?$/i
const LABELS_FILE = /^(.*?)[-.]labels[-.]idx1[-.]ubyte(\.gz)?$/i

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

/** The magic of an IDX file, looking through gzip, from its first bytes only. */
async function peekMagic(path: string): Promise<number | undefined> {
  let head = await readHead(path, 512)
  if (isGzip(head)) {
    try {
      // Z_SYNC_FLUSH returns what the partial stream decodes to instead of failing at its end.
      head = gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH })
    } catch {
      return undefined
    }
  }
  return head.length >= 4 ? u32(head, 0) : undefined
}

async function findPairs(dir: string): Promise<{ pairs: IdxPair[]; unpaired: string[] }> {
  const names = (await listDir(dir)).filter((e) => !e.dir).map((e) => e.name)
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

async function readMaybeGzip(file: string): Promise<Uint8Array> {
  const bytes = await readFile(file).catch((err: Error) => {
    throw new ImportError(file, `cannot read (${err.message})`)
  })
  if (!isGzip(bytes)) return bytes
  try {
    return gunzipSync(bytes)
  } catch (err) {
    throw new ImportError(file, `corrupt gzip stream (${(err as Error).message})`)
  }
}

interface IdxImages {
  count: number
  rows: number
  cols: number
  pixels: Uint8Array
}

function parseImages(file: string, bytes: Uint8Array): IdxImages {
  if (bytes.length < 16)
    throw new ImportError(file, `too short for an IDX image header (${bytes.length} bytes)`)
  const magic = u32(bytes, 0)
  if (magic !== IDX_IMAGES_MAGIC) {
    throw new ImportError(
      file,
      `IDX magic 0x${magic.toString(16).padStart(8, '0')} is not 0x00000803 (unsigned byte images, 3 dimensions)`
    )
  }
  const count = u32(bytes, 4)
  const rows = u32(bytes, 8)
  const cols = u32(bytes, 12)
  if (rows === 0 || cols === 0) throw new ImportError(file, `image size ${rows}x${cols} is empty`)
  const expected = 16 + count * rows * cols
  if (bytes.length !== expected) {
    throw new ImportError(
      file,
      `size mismatch: header promises ${count} images of ${rows}x${cols} (${expected} bytes), file has ${bytes.length}` +
        (bytes.length < expected ? ' (truncated)' : '')
    )
  }
  return { count, rows, cols, pixels: bytes.subarray(16) }
}

function parseLabels(file: string, bytes: Uint8Array): Uint8Array {
  if (bytes.length < 8)
    throw new ImportError(file, `too short for an IDX label header (${bytes.length} bytes)`)
  const magic = u32(bytes, 0)
  if (magic !== IDX_LABELS_MAGIC) {
    throw new ImportError(
      file,
      `IDX magic 0x${magic.toString(16).padStart(8, '0')} is not 0x00000801 (unsigned byte labels, 1 dimension)`
    )
  }
  const count = u32(bytes, 4)
  if (bytes.length !== 8 + count) {
    throw new ImportError(
      file,
      `size mismatch: header promises ${count} labels (${8 + count} bytes), file has ${bytes.length}` +
        (bytes.length < 8 + count ? ' (truncated)' : '')
    )
  }
  return bytes.subarray(8)
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
    const { pairs, unpaired } = await findPairs(dir)
    if (pairs.length === 0) {
      throw new ImportError(
        unpaired[0] ?? path,
        unpaired.length > 0
          ? 'IDX images without a matching *-labels-idx1-ubyte file'
          : 'no *-images-idx3-ubyte / *-labels-idx1-ubyte pair found'
      )
    }
    const policy = new BadFilePolicy(options.onBadFile)
    const parsed: { pair: IdxPair; images: IdxImages; labels: Uint8Array }[] = []
    for (const [i, pair] of pairs.entries()) {
      checkpoint(options, (0.5 * i) / pairs.length, pair.images)
      const images = parseImages(pair.images, await readMaybeGzip(pair.images))
      checkpoint(options, (0.5 * i + 0.25) / pairs.length, pair.labels)
      const labels = parseLabels(pair.labels, await readMaybeGzip(pair.labels))
      if (labels.length !== images.count) {
        throw new ImportError(
          pair.labels,
          `${labels.length} labels for ${images.count} images in ${basename(pair.images)}`
        )
      }
      const first = parsed[0]?.images
      if (first && (first.rows !== images.rows || first.cols !== images.cols)) {
        throw new ImportError(
          pair.images,
          `images are ${images.rows}x${images.cols}, ${basename(parsed[0]?.pair.images ?? '')} has ${first.rows}x${first.cols}`
        )
      }
      parsed.push({ pair, images, labels })
    }
    let maxLabel = 0
    for (const p of parsed) for (const l of p.labels) maxLabel = Math.max(maxLabel, l)
    const classNames =
      options.classNames?.slice() ?? Array.from({ length: maxLabel + 1 }, (_, i) => String(i))

    const { rows, cols } = (parsed[0] as (typeof parsed)[number]).images
    const target = {
      height: options.size?.height ?? rows,
      width: options.size?.width ?? cols,
      channels: options.channels ?? 1,
      resample: options.resample
    }
    const size = target.height * target.width * target.channels
    const same = target.height === rows && target.width === cols && target.channels === 1
    const train = new PackedImages(size)
    const validation = new PackedImages(size)
    for (const [i, { pair, images, labels }] of parsed.entries()) {
      checkpoint(options, 0.5 + (0.5 * i) / parsed.length, pair.images)
      const out = pair.role === 'validation' ? validation : train
      const pixels = rows * cols
      for (let k = 0; k < images.count; k++) {
        const label = labels[k] as number
        if (label >= classNames.length) {
          policy.handle(
            new ImportError(
              pair.labels,
              `label ${label} of image ${k} is outside the ${classNames.length} classes`
            )
          )
          continue
        }
        const raw = images.pixels.slice(k * pixels, (k + 1) * pixels)
        out.push(
          same ? raw : conformImage({ height: rows, width: cols, channels: 1, data: raw }, target),
          label
        )
        if (k % 5000 === 4999) options.signal?.throwIfAborted()
      }
    }
    checkpoint(options, 1, (parsed[parsed.length - 1] as (typeof parsed)[number]).pair.images)

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
