/**
 * The compact dataset file format (`.olds.gz`) used for the built-in sample:
 *
 *   gzip(
 *     'OLDS'                      4 bytes, magic
 *     version                     uint32 LE (1)
 *     headerLength                uint32 LE
 *     header                      UTF-8 JSON, see DatasetFileHeader
 *     train images                trainCount * h * w * c bytes, HWC
 *     train labels                trainCount bytes
 *     validation images, labels   likewise
 *   )
 *
 * Raw bytes rather than PNGs because decoding 30,000 tiny PNGs costs more than gunzipping one
 * buffer, and gzip of raw 28x28 images is about as small as PNG anyway.
 */
import { gzipSync } from 'node:zlib'
import { inflateBounded } from '../io/bounded'
import { FileAccessError } from '../io/errors'
import { DatasetFileError } from './errors'
import type { ImageDataset, ImageSplit } from './types'
import { imageSize } from './types'

export const DATASET_FILE_MAGIC = 'OLDS'
export const DATASET_FILE_VERSION = 1
const PREAMBLE_BYTES = 12
/** A header is a few hundred bytes; anything huge means the length field is garbage. */
const MAX_HEADER_BYTES = 1 << 20
/** The largest payload unpacked (a gzip bomb stops here instead of exhausting memory). */
const MAX_PAYLOAD_BYTES = 2 ** 31 - 1

export interface DatasetFileHeader {
  name: string
  classNames: string[]
  /** [height, width, channels] */
  shape: [number, number, number]
  counts: { train: number; validation: number }
  splitSeed: number | null
  source: string
  provenance: Record<string, unknown>
}

/** Serialises a dataset (gzip level 9: the file is written once and read often). */
export function encodeDatasetFile(ds: ImageDataset): Buffer {
  const splitSeed = ds.provenance.splitSeed
  const header: DatasetFileHeader = {
    name: ds.name,
    classNames: ds.classNames,
    shape: [ds.height, ds.width, ds.channels],
    counts: { train: ds.train.count, validation: ds.validation.count },
    splitSeed: typeof splitSeed === 'number' ? splitSeed : null,
    source: typeof ds.provenance.source === 'string' ? ds.provenance.source : '',
    provenance: ds.provenance
  }
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8')
  const preamble = Buffer.alloc(PREAMBLE_BYTES)
  preamble.write(DATASET_FILE_MAGIC, 0, 'ascii')
  preamble.writeUInt32LE(DATASET_FILE_VERSION, 4)
  preamble.writeUInt32LE(headerBytes.length, 8)
  const raw = Buffer.concat([
    preamble,
    headerBytes,
    ds.train.images,
    ds.train.labels,
    ds.validation.images,
    ds.validation.labels
  ])
  return gzipSync(raw, { level: 9 })
}

/**
 * Parses and validates a dataset file. `file` is only used in error messages. Every check
 * that a truncated download or a wrong file would fail is made here, so that a bad file
 * fails at load with its name rather than later as NaNs in training.
 */
export function decodeDatasetFile(compressed: Uint8Array, file: string): ImageDataset {
  let raw: Buffer
  try {
    raw = inflateBounded(compressed, {
      maxBytes: MAX_PAYLOAD_BYTES,
      format: 'gzip',
      file,
      what: 'its gzip stream'
    })
  } catch (err) {
    const e = err as FileAccessError
    throw new DatasetFileError(
      file,
      `not a valid dataset file: ${e.reason ?? 'its gzip stream is corrupt'}`,
      {
        cause: err,
        detail: e.detail
      }
    )
  }
  if (raw.length < PREAMBLE_BYTES || raw.toString('ascii', 0, 4) !== DATASET_FILE_MAGIC) {
    throw new DatasetFileError(
      file,
      `not an Ortholens dataset file (magic is not ${DATASET_FILE_MAGIC})`
    )
  }
  const version = raw.readUInt32LE(4)
  if (version !== DATASET_FILE_VERSION) {
    throw new DatasetFileError(
      file,
      `dataset file version ${version} is not supported (this build reads version ${DATASET_FILE_VERSION})`
    )
  }
  const headerLength = raw.readUInt32LE(8)
  if (headerLength > MAX_HEADER_BYTES || PREAMBLE_BYTES + headerLength > raw.length) {
    throw new DatasetFileError(
      file,
      `header length ${headerLength} is out of range (file truncated?)`
    )
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(raw.toString('utf8', PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength))
  } catch (err) {
    throw new DatasetFileError(file, 'header is not valid JSON', { cause: err })
  }
  const header = checkHeader(parsed, file)
  const [height, width, channels] = header.shape
  const size = imageSize({ height, width, channels })
  const { train: nTrain, validation: nVal } = header.counts
  const expected = PREAMBLE_BYTES + headerLength + (nTrain + nVal) * (size + 1)
  if (raw.length !== expected) {
    throw new DatasetFileError(
      file,
      `payload is ${raw.length} bytes, header promises ${expected} (file truncated or corrupt)`
    )
  }
  let offset = PREAMBLE_BYTES + headerLength
  const take = (n: number): Uint8Array => {
    // Copy out of the big buffer so that a dataset does not pin it (and can be mutated freely).
    const out = new Uint8Array(raw.subarray(offset, offset + n))
    offset += n
    return out
  }
  const readSplit = (count: number, which: string): ImageSplit => {
    const images = take(count * size)
    const labels = take(count)
    const bad = labels.findIndex((l) => l >= header.classNames.length)
    if (bad >= 0) {
      throw new DatasetFileError(
        file,
        `${which} label ${labels[bad]} at index ${bad} is outside the ${header.classNames.length} classes`
      )
    }
    return { images, labels, count }
  }
  const train = readSplit(nTrain, 'train')
  const validation = readSplit(nVal, 'validation')
  return {
    name: header.name,
    classNames: header.classNames,
    height,
    width,
    channels,
    train,
    validation,
    provenance: header.provenance
  }
}

function checkHeader(value: unknown, file: string): DatasetFileHeader {
  const fail = (what: string): never => {
    throw new DatasetFileError(file, `header field ${what} is missing or invalid`)
  }
  if (typeof value !== 'object' || value === null) return fail('(root)')
  const h = value as Partial<DatasetFileHeader>
  if (typeof h.name !== 'string') fail('name')
  if (
    !Array.isArray(h.classNames) ||
    h.classNames.length === 0 ||
    h.classNames.length > 256 ||
    !h.classNames.every((n) => typeof n === 'string')
  ) {
    fail('classNames')
  }
  const isPositiveInt = (n: unknown): boolean => Number.isInteger(n) && (n as number) > 0
  if (!Array.isArray(h.shape) || h.shape.length !== 3 || !h.shape.every(isPositiveInt))
    fail('shape')
  const isCount = (n: unknown): boolean => Number.isInteger(n) && (n as number) >= 0
  if (!h.counts || !isCount(h.counts.train) || !isCount(h.counts.validation)) fail('counts')
  if (typeof h.provenance !== 'object' || h.provenance === null) fail('provenance')
  return h as DatasetFileHeader
}
