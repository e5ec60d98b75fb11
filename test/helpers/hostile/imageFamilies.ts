/**
 * Hostile image-folder cases: one broken PNG or JPEG among good images of two classes, lying
 * and huge headers, and folders whose links lead out or whose layout is wrong.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { deflateSync } from 'node:zlib'
import jpeg from 'jpeg-js'
import {
  chunk,
  encodePng,
  ihdr,
  listChunks,
  PNG_SIGNATURE,
  scanlines,
  type PngSpec
} from '../pngForge'
import type { Family, HostileCase } from './types'

/** xorshift32: the same case for the same seed. */
export function rng(seed: number): () => number {
  let x = (seed * 2654435761) >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 4294967296
  }
}

export const pick = <T>(r: () => number, list: readonly T[]): T =>
  list[Math.floor(r() * list.length)]!
const int = (r: () => number, lo: number, hi: number): number =>
  lo + Math.floor(r() * (hi - lo + 1))

function put(path: string, bytes: Uint8Array | string): string {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, bytes)
  return path
}

function goodSpec(r: () => number, size = 8): PngSpec {
  const colorType = pick(r, [0, 2, 6] as const)
  return {
    width: size,
    height: size,
    colorType,
    bitDepth: 8,
    interlace: r() < 0.3,
    sample: (x, y, s) => (x * 37 + y * 11 + s * 71 + 13) & 255,
    filter: (row) => row % 5
  }
}

export function goodPng(r: () => number, size = 8): Buffer {
  return encodePng(goodSpec(r, size))
}

export function goodJpeg(size = 16, seed = 1): Buffer {
  const data = Buffer.alloc(size * size * 4)
  for (let i = 0; i < data.length; i++) data[i] = i % 4 === 3 ? 255 : (i * 7 + seed * 13) & 255
  return Buffer.from(jpeg.encode({ width: size, height: size, data }, 90).data)
}

/** root/a/ and root/b/ with good images; the case adds its file to a/. */
function folderWith(
  dir: string,
  r: () => number,
  bad: Uint8Array,
  name: string
): { root: string; file: string } {
  const root = join(dir, 'images')
  for (const cls of ['a', 'b'])
    for (let i = 0; i < 2; i++) put(join(root, cls, `good${i}.png`), goodPng(r))
  return { root, file: put(join(root, 'a', name), bad) }
}

function imageCase(
  family: string,
  seed: number,
  dir: string,
  bad: Uint8Array,
  name: string,
  note: string,
  expect: HostileCase['expect'] = 'refuse'
): HostileCase {
  const { root, file } = folderWith(dir, rng(seed + 1), bad, name)
  return {
    family,
    id: `${family}-${seed}`,
    kind: 'dataset',
    source: 'imageFolder',
    path: root,
    culprits: [file],
    expect,
    acceptedImages: 5,
    note
  }
}

/** The chunk boundaries of a PNG and its zlib stream. */
function idatOf(png: Buffer): { at: number; length: number } {
  return listChunks(png).find((c) => c.name === 'IDAT')!
}

/** A PNG whose IDAT holds `z` (CRC correct), the rest as `spec`. */
function withIdat(
  spec: PngSpec,
  z: Uint8Array,
  header = ihdr(spec.width, spec.height, spec.bitDepth, spec.colorType, spec.interlace ? 1 : 0)
): Buffer {
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', z),
    chunk('IEND', Buffer.alloc(0))
  ])
}

export const imageFamilies: Family[] = [
  {
    name: 'png-truncated',
    kind: 'dataset',
    count: 60,
    make(dir, seed) {
      const r = rng(seed)
      const png = goodPng(r, int(r, 4, 24))
      const cut = int(r, 1, png.length - 1)
      return imageCase(
        this.name,
        seed,
        dir,
        png.subarray(0, cut),
        'cut.png',
        `cut at ${cut} of ${png.length} bytes`
      )
    }
  },
  {
    name: 'png-crc-mismatch',
    kind: 'dataset',
    count: 50,
    make(dir, seed) {
      const r = rng(seed)
      const png = Buffer.from(goodPng(r, int(r, 4, 16)))
      const c = pick(r, listChunks(png))
      const at = c.at + 4 + int(r, 0, c.length + 3)
      png[at] = png[at]! ^ (1 << int(r, 0, 7))
      return imageCase(this.name, seed, dir, png, 'flipped.png', `bit flipped in ${c.name}`)
    }
  },
  {
    name: 'png-broken-zlib',
    kind: 'dataset',
    count: 60,
    make(dir, seed) {
      const r = rng(seed)
      const spec = goodSpec(r, int(r, 4, 16))
      const z = Buffer.from(deflateSync(scanlines(spec)))
      const how = pick(r, ['flip', 'adler', 'cut', 'garbage', 'header'])
      if (how === 'flip')
        for (let k = 0; k < int(r, 1, 4); k++) z[int(r, 2, z.length - 5)]! ^= 1 << int(r, 0, 7)
      if (how === 'adler') z[z.length - int(r, 1, 4)]! ^= 0xff
      if (how === 'header') z[0] = 0x12
      const data =
        how === 'cut'
          ? z.subarray(0, int(r, 2, z.length - 1))
          : how === 'garbage'
            ? Buffer.from(Array.from({ length: z.length }, () => int(r, 0, 255)))
            : z
      return imageCase(
        this.name,
        seed,
        dir,
        withIdat(spec, data),
        'zlib.png',
        `zlib stream: ${how} (CRC valid)`
      )
    }
  },
  {
    name: 'png-short-idat',
    kind: 'dataset',
    count: 50,
    make(dir, seed) {
      const r = rng(seed)
      const spec = goodSpec(r, int(r, 4, 20))
      const raw = scanlines(spec)
      const keep = int(r, 0, raw.length - 1)
      const missing = r() < 0.15
      const png = missing
        ? Buffer.concat([
            PNG_SIGNATURE,
            chunk('IHDR', ihdr(spec.width, spec.height, 8, spec.colorType, spec.interlace ? 1 : 0)),
            chunk('IEND', Buffer.alloc(0))
          ])
        : withIdat(spec, deflateSync(raw.subarray(0, keep)))
      return imageCase(
        this.name,
        seed,
        dir,
        png,
        'short.png',
        missing ? 'no IDAT' : `IDAT inflates to ${keep} of ${raw.length} bytes`
      )
    }
  },
  {
    name: 'png-lying-header',
    kind: 'dataset',
    count: 50,
    make(dir, seed) {
      const r = rng(seed)
      const spec = goodSpec(r, int(r, 4, 16))
      const w = pick(r, [
        spec.width + int(r, 1, 9),
        Math.max(1, spec.width - int(r, 1, 3)),
        spec.width
      ])
      const h = w === spec.width ? spec.height + int(r, 1, 50) : spec.height
      const depth = r() < 0.2 ? 16 : 8
      return imageCase(
        this.name,
        seed,
        dir,
        withIdat(
          spec,
          deflateSync(scanlines(spec)),
          ihdr(w, h, depth, spec.colorType, spec.interlace ? 1 : 0)
        ),
        'lies.png',
        `IHDR says ${w}x${h}x${depth}bit, data is ${spec.width}x${spec.height}`
      )
    }
  },
  {
    name: 'png-huge-declared',
    kind: 'dataset',
    count: 40,
    make(dir, seed) {
      const r = rng(seed)
      const side = pick(r, [30000, 65535, 100000, 2147483647, 5000])
      const other = pick(r, [side, 1, 30000])
      const z = deflateSync(Buffer.alloc(int(r, 10, 400)))
      const png = Buffer.concat([
        PNG_SIGNATURE,
        chunk('IHDR', ihdr(side, other, 8, pick(r, [0, 2, 6]))),
        chunk('IDAT', z),
        chunk('IEND', Buffer.alloc(0))
      ])
      return imageCase(
        this.name,
        seed,
        dir,
        png,
        'huge.png',
        `${png.length}-byte PNG claiming ${side}x${other}`
      )
    }
  },
  {
    name: 'png-bad-filter-palette',
    kind: 'dataset',
    count: 40,
    make(dir, seed) {
      const r = rng(seed)
      if (r() < 0.5) {
        const spec = goodSpec(r, int(r, 4, 12))
        spec.interlace = false
        const raw = scanlines(spec)
        const stride = raw.length / spec.height
        raw[int(r, 0, spec.height - 1) * stride] = int(r, 5, 255)
        return imageCase(
          this.name,
          seed,
          dir,
          withIdat(spec, deflateSync(raw)),
          'filter.png',
          'a filter type byte > 4'
        )
      }
      const entries = int(r, 1, 4)
      const spec: PngSpec = {
        width: 6,
        height: 6,
        colorType: 3,
        bitDepth: 8,
        sample: (x, y) => (x + y) % (entries + 2),
        palette: Array.from({ length: entries }, (_, i) => [i, i, i])
      }
      const noPalette = r() < 0.3
      const png = noPalette ? withIdat(spec, deflateSync(scanlines(spec))) : encodePng(spec)
      return imageCase(
        this.name,
        seed,
        dir,
        png,
        'palette.png',
        noPalette ? 'palette image without PLTE' : `indices past a ${entries}-entry palette`
      )
    }
  },
  {
    name: 'png-chunk-garbage',
    kind: 'dataset',
    count: 40,
    make(dir, seed) {
      const r = rng(seed)
      const how = pick(r, [
        'random-body',
        'critical-chunk',
        'split-idat',
        'no-ihdr',
        'long-length',
        'excess-data'
      ])
      const spec = goodSpec(r, 8)
      const z = deflateSync(scanlines(spec))
      const head = chunk('IHDR', ihdr(8, 8, 8, spec.colorType, spec.interlace ? 1 : 0))
      const end = chunk('IEND', Buffer.alloc(0))
      const body: Record<string, () => Buffer> = {
        'random-body': () =>
          Buffer.concat([
            PNG_SIGNATURE,
            Buffer.from(Array.from({ length: int(r, 0, 300) }, () => int(r, 0, 255)))
          ]),
        'critical-chunk': () =>
          Buffer.concat([
            PNG_SIGNATURE,
            head,
            chunk('ABCD', Buffer.alloc(4)),
            chunk('IDAT', z),
            end
          ]),
        'split-idat': () =>
          Buffer.concat([
            PNG_SIGNATURE,
            head,
            chunk('IDAT', z.subarray(0, 5)),
            chunk('tEXt', Buffer.from('a\0b')),
            chunk('IDAT', z.subarray(5)),
            end
          ]),
        'no-ihdr': () => Buffer.concat([PNG_SIGNATURE, chunk('IDAT', z), end]),
        'long-length': () => {
          const png = Buffer.from(encodePng(spec))
          png.writeUInt32BE(0xfffffff0, idatOf(png).at)
          return png
        },
        'excess-data': () =>
          withIdat(
            spec,
            deflateSync(Buffer.concat([scanlines(spec), Buffer.alloc(int(r, 1, 999))]))
          )
      }
      return imageCase(this.name, seed, dir, body[how]!(), 'chunks.png', how)
    }
  },
  {
    name: 'jpeg-truncated',
    kind: 'dataset',
    count: 60,
    make(dir, seed) {
      const r = rng(seed)
      const jpg = goodJpeg(pick(r, [8, 16, 24]), seed)
      const cut = int(r, 2, jpg.length - 2)
      return imageCase(
        this.name,
        seed,
        dir,
        jpg.subarray(0, cut),
        'cut.jpg',
        `cut at ${cut} of ${jpg.length} bytes`
      )
    }
  },
  {
    name: 'jpeg-corrupt',
    kind: 'dataset',
    count: 60,
    make(dir, seed) {
      const r = rng(seed)
      const jpg = Buffer.from(goodJpeg(16, seed))
      const how = pick(r, [
        'segment-length',
        'garbage-between',
        'scan-bits',
        'sof-components',
        'no-eoi'
      ])
      let expect: HostileCase['expect'] = 'refuse'
      if (how === 'segment-length') jpg.writeUInt16BE(pick(r, [0, 1, 0xffff, int(r, 2, 0xfff0)]), 4)
      if (how === 'garbage-between') jpg[2] = 0x00
      if (how === 'sof-components') {
        const sof = jpg.indexOf(Buffer.from([0xff, 0xc0]))
        jpg[sof + 9] = pick(r, [0, 2, 7])
      }
      if (how === 'scan-bits') {
        // Entropy-coded data has no checksum: flipped bits may still decode (as any decoder
        // would) or fail; either is fine as long as nothing crashes or leaks.
        expect = 'either'
        const sos = jpg.indexOf(Buffer.from([0xff, 0xda]))
        for (let k = 0; k < int(r, 1, 6); k++) {
          const at = int(r, sos + 14, jpg.length - 3)
          if (jpg[at] !== 0xff && jpg[at - 1] !== 0xff) jpg[at] = jpg[at]! ^ (1 << int(r, 0, 6))
        }
      }
      const bytes = how === 'no-eoi' ? jpg.subarray(0, jpg.length - 2) : jpg
      return imageCase(this.name, seed, dir, bytes, 'bad.jpg', how, expect)
    }
  },
  {
    name: 'jpeg-huge-declared',
    kind: 'dataset',
    count: 30,
    make(dir, seed) {
      const r = rng(seed)
      const jpg = Buffer.from(goodJpeg(16, seed))
      const sof = jpg.indexOf(Buffer.from([0xff, 0xc0]))
      jpg.writeUInt16BE(pick(r, [30000, 65535, 20000]), sof + 5)
      jpg.writeUInt16BE(pick(r, [30000, 65535, 16]), sof + 7)
      return imageCase(this.name, seed, dir, jpg, 'huge.jpg', 'SOF claims a giant size')
    }
  },
  {
    name: 'folder-escape',
    kind: 'dataset',
    count: 40,
    make(dir, seed, { outside }) {
      const r = rng(seed)
      const root = join(dir, 'images')
      for (const cls of ['a', 'b']) put(join(root, cls, 'good.png'), goodPng(r))
      const how = pick(r, [
        'file-link-out',
        'dir-link-out',
        'device-link',
        'fifo',
        'link-loop',
        'dangling'
      ])
      const target = join(root, 'a', how === 'dir-link-out' ? 'more' : 'x.png')
      const secret = put(join(outside, `secret-${seed}.png`), goodPng(r))
      if (how === 'file-link-out') symlinkSync(secret, target)
      if (how === 'dir-link-out') symlinkSync(outside, target)
      if (how === 'device-link') symlinkSync('/dev/zero', target)
      if (how === 'fifo') execFileSync('mkfifo', [target])
      if (how === 'link-loop') symlinkSync(target, target)
      if (how === 'dangling') symlinkSync(join(dir, 'nowhere.png'), target)
      return {
        family: this.name,
        id: `${this.name}-${seed}`,
        kind: 'dataset',
        source: 'imageFolder',
        path: root,
        culprits: [target],
        expect: 'refuse',
        note: how
      }
    }
  },
  {
    name: 'folder-layout',
    kind: 'dataset',
    count: 20,
    make(dir, seed) {
      const r = rng(seed)
      const root = join(dir, 'images')
      const how = pick(r, ['one-class', 'one-class-train-val', 'only-text', 'empty-class'])
      if (how === 'one-class')
        for (let i = 0; i < 3; i++) put(join(root, 'cats', `${i}.png`), goodPng(r))
      if (how === 'one-class-train-val') {
        put(join(root, 'train', 'cats', '0.png'), goodPng(r))
        put(join(root, 'val', 'cats', '0.png'), goodPng(r))
      }
      if (how === 'only-text') {
        put(join(root, 'a', 'notes.txt'), 'x')
        put(join(root, 'b', 'notes.txt'), 'y')
      }
      if (how === 'empty-class') {
        put(join(root, 'a', '0.png'), goodPng(r))
        mkdirSync(join(root, 'b'), { recursive: true })
      }
      return {
        family: this.name,
        id: `${this.name}-${seed}`,
        kind: 'dataset',
        source: 'imageFolder',
        path: root,
        culprits: [root],
        expect: 'refuse',
        note: how
      }
    }
  },
  {
    name: 'images-valid-control',
    kind: 'dataset',
    count: 20,
    make(dir, seed) {
      // Controls: odd but valid files (16-bit, palette, Adam7, gray JPEG) must be accepted.
      const r = rng(seed)
      const spec: PngSpec = {
        ...goodSpec(r, int(r, 3, 17)),
        bitDepth: pick(r, [8, 16] as const),
        interlace: r() < 0.5
      }
      const max = spec.bitDepth === 16 ? 65535 : 255
      spec.sample = (x, y, s) => ((x * 977 + y * 131 + s * 7) * 2654435761) % (max + 1)
      const bytes = r() < 0.7 ? encodePng(spec, int(r, 1, 4)) : goodJpeg(pick(r, [8, 13, 16]), seed)
      return imageCase(
        this.name,
        seed,
        dir,
        bytes,
        bytes[0] === 0x89 ? 'odd.png' : 'odd.jpg',
        'valid control',
        'accept'
      )
    }
  }
]
