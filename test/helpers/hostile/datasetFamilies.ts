/**
 * Hostile IDX (MNIST) and CIFAR-10 cases: bad magic, swapped files, lying counts, huge
 * declared sizes, labels outside the classes, broken gzip, truncated batches, links out.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { pick, rng } from './imageFamilies'
import type { Family, HostileCase } from './types'

const int = (r: () => number, lo: number, hi: number): number =>
  lo + Math.floor(r() * (hi - lo + 1))

function put(path: string, bytes: Uint8Array | string): string {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, bytes)
  return path
}

const be32 = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]

function idxImages(count: number, rows: number, cols: number, declared = count): Buffer {
  const px = Buffer.alloc(count * rows * cols)
  for (let i = 0; i < px.length; i++) px[i] = (i * 31) & 255
  return Buffer.concat([
    Buffer.from([0, 0, 8, 3, ...be32(declared), ...be32(rows), ...be32(cols)]),
    px
  ])
}

function idxLabels(labels: number[], declared = labels.length): Buffer {
  return Buffer.concat([Buffer.from([0, 0, 8, 1, ...be32(declared)]), Buffer.from(labels)])
}

/** Labels cycling through 0..classes-1, so that every class is present. */
const cycle = (n: number, classes: number): number[] =>
  Array.from({ length: n }, (_, i) => i % classes)

function idxCase(
  family: string,
  seed: number,
  dir: string,
  images: Uint8Array,
  labels: Uint8Array,
  culprit: 'images' | 'labels' | 'folder',
  note: string,
  gz = false,
  expect: HostileCase['expect'] = 'refuse',
  acceptedImages?: number
): HostileCase {
  const root = join(dir, 'mnist')
  const suffix = gz ? '.gz' : ''
  const img = put(join(root, `train-images-idx3-ubyte${suffix}`), images)
  const lab = put(join(root, `train-labels-idx1-ubyte${suffix}`), labels)
  const culprits = culprit === 'images' ? [img] : culprit === 'labels' ? [lab] : [root]
  return {
    family,
    id: `${family}-${seed}`,
    kind: 'dataset',
    source: 'idx',
    path: root,
    culprits,
    expect,
    note,
    acceptedImages
  }
}

function cifarRecords(labels: number[]): Buffer {
  const out = Buffer.alloc(labels.length * 3073)
  labels.forEach((l, i) => {
    out[i * 3073] = l
    for (let p = 1; p < 3073; p++) out[i * 3073 + p] = (p * 7 + i) & 255
  })
  return out
}

export const datasetFamilies: Family[] = [
  {
    name: 'idx-bad-magic',
    kind: 'dataset',
    count: 40,
    make(dir, seed) {
      const r = rng(seed)
      const images = idxImages(6, 4, 4)
      const labels = idxLabels(cycle(6, 3))
      const which = pick(r, ['images', 'labels', 'swapped'] as const)
      const magic = pick(r, [0x00000801, 0x00000803, 0x00000c03, 0x0000080d, int(r, 0, 0xffffffff)])
      if (which === 'swapped')
        return idxCase(
          this.name,
          seed,
          dir,
          labels,
          images,
          'images',
          'images and labels files swapped'
        )
      const target = which === 'images' ? images : labels
      target.writeUInt32BE(magic, 0)
      const same =
        (which === 'images' && magic === 0x803) || (which === 'labels' && magic === 0x801)
      return idxCase(
        this.name,
        seed,
        dir,
        images,
        labels,
        which,
        `${which} magic 0x${magic.toString(16)}`,
        false,
        same ? 'accept' : 'refuse',
        6
      )
    }
  },
  {
    name: 'idx-lying-count',
    kind: 'dataset',
    count: 50,
    make(dir, seed) {
      const r = rng(seed)
      const n = int(r, 4, 12)
      const how = pick(r, [
        'images-more',
        'images-fewer',
        'labels-more',
        'labels-fewer',
        'cut-images',
        'cut-labels',
        'rows-zero'
      ])
      let images = idxImages(n, 5, 5)
      let labels = idxLabels(cycle(n, 3))
      if (how === 'images-more') images = idxImages(n, 5, 5, n + int(r, 1, 1000))
      if (how === 'images-fewer') images = idxImages(n, 5, 5, n - int(r, 1, n - 1))
      if (how === 'labels-more') labels = idxLabels(cycle(n, 3), n + int(r, 1, 9))
      if (how === 'labels-fewer') labels = idxLabels(cycle(n, 3), n - 1)
      if (how === 'cut-images') images = images.subarray(0, int(r, 0, images.length - 1))
      if (how === 'cut-labels') labels = labels.subarray(0, int(r, 0, labels.length - 1))
      if (how === 'rows-zero') images.writeUInt32BE(0, 8)
      const culprit = how.includes('labels') ? 'labels' : 'images'
      return idxCase(this.name, seed, dir, images, labels, culprit, how)
    }
  },
  {
    name: 'idx-huge-declared',
    kind: 'dataset',
    count: 30,
    make(dir, seed) {
      const r = rng(seed)
      const count = pick(r, [0xffffffff, 60000, 100_000_000, 1])
      const rows = pick(r, [28, 65535, 0x7fffffff])
      const images = Buffer.concat([
        Buffer.from([0, 0, 8, 3, ...be32(count), ...be32(rows), ...be32(rows)]),
        Buffer.alloc(int(r, 0, 64))
      ])
      const labels = idxLabels(cycle(8, 2), count)
      const gz = r() < 0.3
      return idxCase(
        this.name,
        seed,
        dir,
        gz ? gzipSync(images) : images,
        gz ? gzipSync(labels) : labels,
        'images',
        `header: ${count} images of ${rows}x${rows}`,
        gz
      )
    }
  },
  {
    name: 'idx-bad-labels',
    kind: 'dataset',
    count: 40,
    make(dir, seed) {
      const r = rng(seed)
      const n = int(r, 12, 30)
      const classes = int(r, 2, 10)
      const labels = cycle(n, classes)
      const how = pick(r, ['one-outlier', 'byte-255', 'all-one-class', 'two-outliers'])
      if (how === 'one-outlier') labels[int(r, 0, n - 1)] = int(r, classes + 1, 200)
      if (how === 'byte-255') labels[int(r, 0, n - 1)] = 255
      if (how === 'all-one-class') labels.fill(int(r, 0, 9))
      if (how === 'two-outliers') {
        labels[int(r, 0, n / 2 - 1)] = int(r, classes + 1, 254)
        labels[int(r, n / 2, n - 1)] = int(r, classes + 1, 254)
      }
      return idxCase(
        this.name,
        seed,
        dir,
        idxImages(n, 4, 4),
        idxLabels(labels),
        how === 'all-one-class' ? 'folder' : 'labels',
        how
      )
    }
  },
  {
    name: 'idx-broken-gzip',
    kind: 'dataset',
    count: 40,
    make(dir, seed) {
      const r = rng(seed)
      const images = Buffer.from(gzipSync(idxImages(8, 6, 6)))
      const labels = gzipSync(idxLabels(cycle(8, 2)))
      const how = pick(r, ['cut', 'crc', 'flip', 'bomb'])
      let bytes: Buffer = images
      if (how === 'cut') bytes = images.subarray(0, int(r, 3, images.length - 1))
      if (how === 'crc') images[images.length - int(r, 5, 8)]! ^= 0xff
      if (how === 'flip') images[int(r, 12, images.length - 9)]! ^= 1 << int(r, 0, 7)
      if (how === 'bomb') {
        // A header that promises 8 images, then 50 MB of zeros: far more than promised.
        bytes = gzipSync(
          Buffer.concat([idxImages(8, 6, 6).subarray(0, 16), Buffer.alloc(50_000_000)])
        )
      }
      return idxCase(
        this.name,
        seed,
        dir,
        bytes,
        labels,
        'images',
        how,
        true,
        how === 'flip' ? 'either' : 'refuse',
        8
      )
    }
  },
  {
    name: 'cifar-truncated',
    kind: 'dataset',
    count: 40,
    make(dir, seed) {
      const r = rng(seed)
      const root = join(dir, 'cifar')
      const full = cifarRecords(cycle(int(r, 2, 6), 10))
      const cut = int(r, 0, full.length - 1)
      const file = put(join(root, 'data_batch_1.bin'), full.subarray(0, cut))
      put(join(root, 'test_batch.bin'), cifarRecords(cycle(4, 10)))
      return {
        family: this.name,
        id: `${this.name}-${seed}`,
        kind: 'dataset',
        source: 'cifar10',
        path: root,
        culprits: [file],
        expect: 'refuse',
        note: `batch cut at ${cut} of ${full.length}`
      }
    }
  },
  {
    name: 'cifar-bad-labels-meta',
    kind: 'dataset',
    count: 40,
    make(dir, seed) {
      const r = rng(seed)
      const root = join(dir, 'cifar')
      const labels = cycle(int(r, 3, 8), 10)
      const how = pick(r, [
        'label-10',
        'label-255',
        'meta-one-class',
        'meta-binary',
        'meta-300',
        'all-one-class'
      ])
      if (how === 'label-10') labels[int(r, 0, labels.length - 1)] = 10
      if (how === 'label-255') labels[int(r, 0, labels.length - 1)] = 255
      if (how === 'all-one-class') labels.fill(3)
      const batch = put(join(root, 'data_batch_1.bin'), cifarRecords(labels))
      let culprit = batch
      if (how.startsWith('meta')) {
        const meta =
          how === 'meta-one-class'
            ? 'cat\n'
            : how === 'meta-300'
              ? Array.from({ length: 300 }, (_, i) => `c${i}`).join('\n')
              : Buffer.from(
                  Array.from({ length: 200 }, () => int(r, 0, 255)).map((b) => (b === 10 ? 11 : b))
                )
        culprit = put(join(root, 'batches.meta.txt'), meta)
      }
      return {
        family: this.name,
        id: `${this.name}-${seed}`,
        kind: 'dataset',
        source: 'cifar10',
        path: root,
        culprits: how === 'all-one-class' ? [root] : [culprit],
        expect: how === 'meta-binary' ? 'either' : 'refuse',
        acceptedImages: labels.length,
        note: how
      }
    }
  },
  {
    name: 'dataset-escape',
    kind: 'dataset',
    count: 30,
    make(dir, seed, { outside }) {
      const r = rng(seed)
      const cifar = r() < 0.5
      const root = join(dir, cifar ? 'cifar' : 'mnist')
      mkdirSync(root, { recursive: true })
      const name = cifar ? 'data_batch_1.bin' : 'train-images-idx3-ubyte'
      const file = join(root, name)
      const how = pick(r, ['link-out', 'device', 'fifo'])
      const secret = put(
        join(outside, `secret-${seed}.bin`),
        cifar ? cifarRecords(cycle(4, 10)) : idxImages(4, 3, 3)
      )
      if (how === 'link-out') symlinkSync(secret, file)
      if (how === 'device') symlinkSync('/dev/zero', file)
      if (how === 'fifo') execFileSync('mkfifo', [file])
      if (!cifar) put(join(root, 'train-labels-idx1-ubyte'), idxLabels(cycle(4, 2)))
      return {
        family: this.name,
        id: `${this.name}-${seed}`,
        kind: 'dataset',
        source: cifar ? 'cifar10' : 'idx',
        path: root,
        culprits: [file],
        expect: 'refuse',
        note: `${cifar ? 'CIFAR' : 'IDX'} ${how}`
      }
    }
  }
]
