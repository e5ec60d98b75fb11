/**
 * Crash states of a project file, made deterministically in-process: copies of the file and its
 * sidecars taken while a writer holds them (what a kill -9 or a power cut at that moment would
 * leave), and a checkpoint cut half-way (what a kill or a full disk while SQLite copies pages
 * from the -wal into the file leaves: the new header, with its larger page count, already
 * written, the pages past the old end not yet).
 */
import { closeSync, copyFileSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs'

/** Copies `path` and its existing -wal/-journal (never -shm: a crash leaves it stale anyway). */
export function snapshotCrashState(path: string, target: string): void {
  copyFileSync(path, target)
  for (const suffix of ['-wal', '-journal']) {
    if (existsSync(path + suffix)) copyFileSync(path + suffix, target + suffix)
  }
}

interface WalPage {
  pgno: number
  data: Buffer
}

/**
 * The committed pages of a WAL file (the last version of each page up to the last commit
 * frame), in page order. See https://www.sqlite.org/fileformat2.html#walformat.
 */
export function committedWalPages(walPath: string): { pageSize: number; pages: WalPage[] } {
  const wal = readFileSync(walPath)
  const pageSize = wal.readUInt32BE(8)
  const frameSize = 24 + pageSize
  const latest = new Map<number, Buffer>()
  let pending = new Map<number, Buffer>()
  for (let at = 32; at + frameSize <= wal.length; at += frameSize) {
    const pgno = wal.readUInt32BE(at)
    const commitSize = wal.readUInt32BE(at + 4)
    pending.set(pgno, wal.subarray(at + 24, at + frameSize))
    if (commitSize > 0) {
      for (const [p, d] of pending) latest.set(p, d)
      pending = new Map()
    }
  }
  const pages = [...latest.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([pgno, data]) => ({ pgno, data }))
  return { pageSize, pages }
}

/**
 * Writes the first `fraction` of the committed WAL pages (page 1 first, as SQLite's
 * checkpoint does) into the main file, leaving the -wal as it is: a checkpoint interrupted
 * after `fraction` of its page writes. Returns the number of pages written.
 */
export function cutCheckpoint(path: string, fraction: number): number {
  const { pageSize, pages } = committedWalPages(`${path}-wal`)
  const n = Math.max(1, Math.floor(pages.length * fraction))
  const fd = openSync(path, 'r+')
  try {
    for (const page of pages.slice(0, n))
      writeSync(fd, page.data, 0, pageSize, (page.pgno - 1) * pageSize)
  } finally {
    closeSync(fd)
  }
  return n
}
