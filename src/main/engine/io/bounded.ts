/**
 * Reading user files with limits known before any allocation: the file must be a regular file
 * (not a device such as /dev/zero, a pipe that never ends, or a folder), its size is taken from
 * the open descriptor (no race between a check and the read) and compared with the caller's
 * limit, and exactly that many bytes are read. Compressed input is inflated with a bound on its
 * output, so a small gzip bomb cannot allocate gigabytes.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { gunzipSync, inflateSync } from 'node:zlib'
import { describeFileError, FileAccessError } from './errors'

/** O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)

/** "1.5 GB", "300 MB", "12,345 bytes": sizes in messages. */
export function formatBytes(n: number): string {
  if (n >= 1e12) return `${Math.round(n / 1e12).toLocaleString('en')} TB`
  if (n >= 1e9) return `${(n / 1e9).toFixed(n >= 1e10 ? 0 : 1)} GB`
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)} MB`
  return `${n.toLocaleString('en')} bytes`
}

function checkOpened(
  file: string,
  isFile: boolean,
  size: number,
  maxBytes: number,
  what: string
): void {
  if (!isFile) {
    throw new FileAccessError(
      'not-a-file',
      file,
      `it is not a regular file (a folder, a device or a pipe)`
    )
  }
  if (size > maxBytes) {
    throw new FileAccessError(
      'too-large',
      file,
      `${what} of ${formatBytes(size)} is larger than the ${formatBytes(maxBytes)} this import reads`
    )
  }
}

function accessError(file: string, err: unknown): FileAccessError {
  if (err instanceof FileAccessError) return err
  const d = describeFileError(err)
  return new FileAccessError(d.problem, file, d.reason, d.detail)
}

export interface BoundedReadOptions {
  /** Refuse files larger than this. */
  maxBytes: number
  /** What the file is, for the message ("a weight file"). Default "the file". */
  what?: string
  /** The path to show in messages when `path` is a resolved link. Default `path`. */
  shownAs?: string
}

/** Reads a whole regular file of at most `maxBytes` (synchronously). */
export function readFileBounded(path: string, options: BoundedReadOptions): Buffer {
  const shown = options.shownAs ?? path
  let fd: number | undefined
  try {
    fd = openSync(path, OPEN_FLAGS)
    const st = fstatSync(fd)
    checkOpened(shown, st.isFile(), st.size, options.maxBytes, options.what ?? 'the file')
    const out = Buffer.alloc(st.size)
    let at = 0
    while (at < out.length) {
      const n = readSync(fd, out, at, out.length - at, at)
      if (n === 0) break
      at += n
    }
    return at === out.length ? out : out.subarray(0, at)
  } catch (err) {
    throw accessError(shown, err)
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** Reads a whole regular file of at most `maxBytes`. */
export async function readFileBoundedAsync(
  path: string,
  options: BoundedReadOptions
): Promise<Buffer> {
  const shown = options.shownAs ?? path
  let handle
  try {
    handle = await open(path, OPEN_FLAGS)
    const st = await handle.stat()
    checkOpened(shown, st.isFile(), st.size, options.maxBytes, options.what ?? 'the file')
    const out = Buffer.alloc(st.size)
    let at = 0
    while (at < out.length) {
      const { bytesRead } = await handle.read(out, at, out.length - at, at)
      if (bytesRead === 0) break
      at += bytesRead
    }
    return at === out.length ? out : out.subarray(0, at)
  } catch (err) {
    throw accessError(shown, err)
  } finally {
    await handle?.close()
  }
}

/** The size of a regular file (links followed), refusing devices, pipes and folders; synchronous. */
export function regularFileSizeSync(path: string, shownAs = path): number {
  let fd: number | undefined
  try {
    fd = openSync(path, OPEN_FLAGS)
    const st = fstatSync(fd)
    checkOpened(shownAs, st.isFile(), st.size, Number.MAX_SAFE_INTEGER, 'the file')
    return st.size
  } catch (err) {
    throw accessError(shownAs, err)
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** The size of a regular file (links followed), refusing devices, pipes and folders. */
export async function regularFileSize(path: string): Promise<number> {
  let handle
  try {
    handle = await open(path, OPEN_FLAGS)
    const st = await handle.stat()
    checkOpened(path, st.isFile(), st.size, Number.MAX_SAFE_INTEGER, 'the file')
    return st.size
  } catch (err) {
    throw accessError(path, err)
  } finally {
    await handle?.close()
  }
}

/**
 * Inflates gzip (`format: 'gzip'`) or zlib data, refusing output beyond `maxBytes` and any
 * damaged, truncated or checksum-failing stream (node's zlib verifies CRC-32 / Adler-32).
 * Throws FileAccessError ('too-large') or an Error whose message says what is wrong in words,
 * with zlib's own text as `detail`.
 */
export function inflateBounded(
  bytes: Uint8Array,
  options: { maxBytes: number; format: 'gzip' | 'zlib'; file: string; what?: string }
): Buffer {
  try {
    const opts = { maxOutputLength: Math.max(1, Math.min(options.maxBytes, 2 ** 31 - 1)) }
    return options.format === 'gzip' ? gunzipSync(bytes, opts) : inflateSync(bytes, opts)
  } catch (err) {
    const code = String((err as { code?: unknown }).code ?? '')
    const detail = (err as Error).message
    if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new FileAccessError(
        'too-large',
        options.file,
        `${options.what ?? 'its compressed data'} unpacks to more than ${formatBytes(options.maxBytes)}`,
        detail
      )
    }
    const truncated = /unexpected end/i.test(detail)
    throw new FileAccessError(
      'unreadable',
      options.file,
      truncated
        ? `${options.what ?? 'its compressed data'} ends early (the file is truncated)`
        : `${options.what ?? 'its compressed data'} is corrupt (it fails to unpack or its checksum is wrong)`,
      detail
    )
  }
}
