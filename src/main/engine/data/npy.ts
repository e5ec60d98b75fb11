/**
 * NumPy's .npy format (numpy.lib.format, versions 1.0–3.0), read strictly for one job: a
 * float32 batch of images handed over from Python (`np.save('x.npy', batch.astype('<f4'))`).
 * The header is a Python dict literal; only the three keys NumPy writes are accepted, with
 * dtype '<f4' (little-endian float32) in C order. Sizes are checked against the bytes present
 * before anything is allocated, and every refusal names the file and what is wrong.
 * Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import { readFileSync, statSync } from 'node:fs'
import { describeFileError } from '../io/errors'

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] // \x93NUMPY
/** NumPy itself refuses headers above this (numpy.lib.format._MAX_HEADER_SIZE). */
const MAX_HEADER_BYTES = 10_000
/** A batch for `ortholens predict` is images, not a data set: 2 GiB of float32 at most. */
const MAX_FILE_BYTES = 2 ** 31

export class NpyError extends Error {
  override readonly name = 'NpyError'
}

export interface NpyArray {
  shape: number[]
  /** C order, little-endian float32 decoded. */
  data: Float32Array
}

/** The dict literal's value for `key`, as raw text, or undefined. */
function field(header: string, key: string): string | undefined {
  const m = new RegExp(`['"]${key}['"]\\s*:\\s*(\\([^)]*\\)|'[^']*'|"[^"]*"|True|False)`).exec(
    header
  )
  return m?.[1]
}

function parseShape(text: string, where: string): number[] {
  const inner = text.slice(1, -1).trim()
  if (inner === '') return []
  const parts = inner.split(',').map((p) => p.trim())
  if (parts[parts.length - 1] === '') parts.pop()
  return parts.map((p) => {
    if (!/^\d+$/.test(p)) throw new NpyError(`${where}: shape ${text} holds "${p}", not a size`)
    return Number(p)
  })
}

/** Decodes .npy bytes; `where` names the source in messages. */
export function parseNpy(bytes: Uint8Array, where: string): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    throw new NpyError(`${where} is not a .npy file (it does not start with \\x93NUMPY)`)
  const major = bytes[6]!
  if (major < 1 || major > 3)
    throw new NpyError(
      `${where}: .npy format version ${major}.${bytes[7]} is not supported (1.0–3.0)`
    )
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const lengthBytes = major === 1 ? 2 : 4
  if (bytes.length < 8 + lengthBytes) throw new NpyError(`${where}: truncated header`)
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true)
  const start = 8 + lengthBytes
  if (headerLength > MAX_HEADER_BYTES)
    throw new NpyError(`${where}: a header of ${headerLength} bytes is larger than NumPy writes`)
  if (start + headerLength > bytes.length)
    throw new NpyError(
      `${where}: truncated header (${headerLength} bytes declared, ${bytes.length - start} present)`
    )
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(start, start + headerLength)
  )
  const dict = header.trim()
  if (!dict.startsWith('{') || !dict.endsWith('}'))
    throw new NpyError(
      `${where}: the header is not a dictionary: ${JSON.stringify(dict.slice(0, 80))}`
    )
  const keys = [...dict.matchAll(/['"](\w+)['"]\s*:/g)].map((m) => m[1])
  const extra = keys.filter((k) => !['descr', 'fortran_order', 'shape'].includes(k!))
  if (extra.length > 0 || keys.length !== 3)
    throw new NpyError(
      `${where}: the header must hold descr, fortran_order and shape, got ${keys.join(', ')}`
    )
  const descr = field(dict, 'descr')?.slice(1, -1)
  if (descr !== '<f4') {
    throw new NpyError(
      `${where}: dtype ${descr ?? '?'}; Ortholens reads little-endian float32 ('<f4': x.astype(np.float32))`
    )
  }
  if (field(dict, 'fortran_order') !== 'False')
    throw new NpyError(`${where}: Fortran order; save a C-ordered array (np.ascontiguousarray)`)
  const shapeText = field(dict, 'shape')
  if (!shapeText?.startsWith('(')) throw new NpyError(`${where}: the header has no shape tuple`)
  const shape = parseShape(shapeText, where)
  const count = shape.reduce((a, b) => a * b, 1)
  const offset = start + headerLength
  const present = bytes.length - offset
  if (!Number.isSafeInteger(count) || count * 4 !== present) {
    throw new NpyError(
      `${where}: shape (${shape.join(', ')}) needs ${count * 4} bytes of float32, the file holds ${present}` +
        (count * 4 > present ? ' (truncated?)' : '')
    )
  }
  // Copied out: the bytes need not be 4-byte aligned, and the caller may keep the array.
  const data = new Float32Array(count)
  for (let i = 0; i < count; i++) data[i] = view.getFloat32(offset + 4 * i, true)
  return { shape, data }
}

/** Reads a .npy file, refusing (before reading it) one larger than a batch could be. */
export function readNpyFile(path: string): NpyArray {
  let size: number
  try {
    size = statSync(path).size
  } catch (err) {
    throw new NpyError(`${path} cannot be read: ${describeFileError(err).reason}`, { cause: err })
  }
  if (size > MAX_FILE_BYTES)
    throw new NpyError(`${path} is ${size} bytes; a batch for prediction is at most 2 GiB`)
  return parseNpy(readFileSync(path), path)
}

/** A float32 array as .npy bytes (version 1.0, C order), as np.save writes it. */
export function encodeNpy(shape: readonly number[], data: Float32Array): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ')
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`
  // Padded with spaces and a newline so that the data starts on a 64-byte boundary.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64
  header = header.padEnd(total - 10 - 1, ' ') + '\n'
  const out = new Uint8Array(total + data.length * 4)
  out.set(MAGIC, 0)
  out[6] = 1
  out[7] = 0
  const view = new DataView(out.buffer)
  view.setUint16(8, header.length, true)
  out.set(new TextEncoder().encode(header), 10)
  for (let i = 0; i < data.length; i++) view.setFloat32(total + 4 * i, data[i]!, true)
  return out
}
