import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ImageDataset } from '../../../src/main/engine/data/types'

/** A fresh temp directory; call the returned cleanup in afterEach. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ortholens-store-'))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

/** The -wal / -shm / -journal files beside `path` that exist. */
export function sidecars(path: string): string[] {
  return ['-wal', '-shm', '-journal'].map((s) => path + s).filter((p) => existsSync(p))
}

/** Deterministic pseudo-random bytes (xorshift32), so expected values are exact. */
export function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed >>> 0 || 1
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out[i] = x & 0xff
  }
  return out
}

export function floats(n: number, seed: number): Float32Array {
  const b = bytes(n, seed)
  return Float32Array.from(b, (v, i) => (v - 128) / 37 + i * 1e-3)
}

/** A dataset with `train` + `validation` images of h x w x c and labels over 3 classes. */
export function makeDataset(
  train: number,
  validation: number,
  shape: [number, number, number] = [4, 5, 3],
  seed = 7
): ImageDataset {
  const [height, width, channels] = shape
  const size = height * width * channels
  const labels = (n: number, s: number) => Uint8Array.from(bytes(n, s), (v) => v % 3)
  return {
    name: `ds-${seed}`,
    classNames: ['cat', 'dog', 'ship'],
    height,
    width,
    channels,
    train: { images: bytes(train * size, seed), labels: labels(train, seed + 1), count: train },
    validation: {
      images: bytes(validation * size, seed + 2),
      labels: labels(validation, seed + 3),
      count: validation
    },
    provenance: { importer: 'test', seed }
  }
}
