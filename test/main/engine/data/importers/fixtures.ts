/** Writers for the test fixtures: tiny PNG, JPEG, CIFAR-10 and IDX files in a temp folder. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { gzipSync } from 'node:zlib'
import jpeg from 'jpeg-js'
import { PNG } from 'pngjs'

export function makeTempDir(tag: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `ortholens-${tag}-`))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export function writeFile(path: string, bytes: Uint8Array | string): string {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, bytes)
  return path
}

/** Pixel value (0..255) of channel c at (x, y). */
export type PixelFn = (x: number, y: number, c: number) => number

/**
 * A PNG: 'gray' (colour type 0), 'rgb' (2) or 'rgba' (6; alpha = 37 + x so it is neither
 * opaque nor constant, to catch an importer that reads it as a colour).
 */
export function pngBytes(
  width: number,
  height: number,
  kind: 'gray' | 'rgb' | 'rgba',
  px: PixelFn
): Buffer {
  const png = new PNG({ width, height })
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4
      for (let c = 0; c < 3; c++) png.data[o + c] = kind === 'gray' ? px(x, y, 0) : px(x, y, c)
      png.data[o + 3] = kind === 'rgba' ? 37 + x : 255
    }
  }
  const colorType = kind === 'gray' ? 0 : kind === 'rgb' ? 2 : 6
  return PNG.sync.write(png, { colorType })
}

export function jpegBytes(width: number, height: number, px: PixelFn, quality = 95): Buffer {
  const data = Buffer.alloc(width * height * 4)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) data[(y * width + x) * 4 + c] = px(x, y, c)
      data[(y * width + x) * 4 + 3] = 255
    }
  }
  return jpeg.encode({ width, height, data }, quality).data
}

/** One CIFAR-10 record: label byte, then R, G, B planes of 32x32. */
export function cifarRecord(label: number, px: PixelFn): Uint8Array {
  const rec = new Uint8Array(3073)
  rec[0] = label
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) rec[1 + c * 1024 + y * 32 + x] = px(x, y, c)
  }
  return rec
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

function be32(n: number): number[] {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]
}

/** An IDX3 image file of `images` (each rows*cols bytes). */
export function idxImages(images: Uint8Array[], rows: number, cols: number): Uint8Array {
  return concat([
    Uint8Array.from([0, 0, 8, 3, ...be32(images.length), ...be32(rows), ...be32(cols)]),
    ...images
  ])
}

export function idxLabels(labels: number[]): Uint8Array {
  return concat([Uint8Array.from([0, 0, 8, 1, ...be32(labels.length)]), Uint8Array.from(labels)])
}

export const gzip = (bytes: Uint8Array): Uint8Array => gzipSync(bytes)
