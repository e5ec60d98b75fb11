/** Cheap, non-throwing file-system probes for `match` (which must never consume or fail). */
import { constants } from 'node:fs'
import { open, readdir, stat } from 'node:fs/promises'

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}

export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

/** Entry names of a folder, sorted by code point (locale-free, so the order is the same everywhere); [] if unreadable. */
export async function listDir(path: string): Promise<{ name: string; dir: boolean }[]> {
  try {
    const entries = await readdir(path, { withFileTypes: true })
    return entries
      .map((e) => ({ name: e.name, dir: e.isDirectory() }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  } catch {
    return []
  }
}

/**
 * The first `n` bytes of a regular file (fewer if it is shorter; empty if unreadable or not a
 * regular file). O_NONBLOCK: opening a FIFO named like a dataset file must not wait forever.
 */
export async function readHead(path: string, n: number): Promise<Uint8Array> {
  let handle
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
    if (!(await handle.stat()).isFile()) return new Uint8Array(0)
    const buffer = new Uint8Array(n)
    const { bytesRead } = await handle.read(buffer, 0, n, 0)
    return buffer.subarray(0, bytesRead)
  } catch {
    return new Uint8Array(0)
  } finally {
    await handle?.close()
  }
}
