/**
 * Hostile TensorFlow.js Layers models (model.json + weights) and damaged project files.
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pick, rng } from './imageFamilies'
import type { Family, HostileCase } from './types'

const int = (r: () => number, lo: number, hi: number): number =>
  lo + Math.floor(r() * (hi - lo + 1))

/** 6x6x2 -> Conv2D(4, 3x3) -> Flatten -> Dense(3): the smallest model the importer accepts. */
function modelJson(
  paths: string[],
  filters = 4,
  units = 3,
  shapes?: Record<string, number[]>
): Record<string, unknown> {
  const w = (name: string, shape: number[]) => ({
    name,
    shape: shapes?.[name] ?? shape,
    dtype: 'float32'
  })
  return {
    format: 'layers-model',
    modelTopology: {
      class_name: 'Sequential',
      config: {
        name: 'm',
        layers: [
          {
            class_name: 'Conv2D',
            config: {
              name: 'c1',
              filters,
              kernel_size: [3, 3],
              strides: [1, 1],
              padding: 'valid',
              activation: 'relu',
              use_bias: true,
              batch_input_shape: [null, 6, 6, 2]
            }
          },
          { class_name: 'Flatten', config: { name: 'flat' } },
          {
            class_name: 'Dense',
            config: { name: 'out', units, activation: 'linear', use_bias: true }
          }
        ]
      }
    },
    weightsManifest: [
      {
        paths,
        weights: [
          w('c1/kernel', [3, 3, 2, 4]),
          w('c1/bias', [4]),
          w('out/kernel', [64, 3]),
          w('out/bias', [3])
        ]
      }
    ]
  }
}

/** Bytes of the four weights above (72 + 4 + 192 + 3 floats). */
const WEIGHT_BYTES = (72 + 4 + 192 + 3) * 4

function weights(seed: number, n = WEIGHT_BYTES / 4): Buffer {
  const f = Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i * 0.7) * 0.3)
  return Buffer.from(f.buffer)
}

function modelCase(
  family: string,
  seed: number,
  dir: string,
  json: unknown,
  bin: Buffer | undefined,
  note: string,
  expect: HostileCase['expect'] = 'refuse'
): HostileCase {
  const root = join(dir, 'model')
  mkdirSync(root, { recursive: true })
  const modelJsonPath = join(root, 'model.json')
  writeFileSync(
    modelJsonPath,
    typeof json === 'string' || Buffer.isBuffer(json) ? json : JSON.stringify(json)
  )
  if (bin) writeFileSync(join(root, 'weights.bin'), bin)
  return {
    family,
    id: `${family}-${seed}`,
    kind: 'model',
    path: root,
    culprits: [modelJsonPath, join(root, 'weights.bin')],
    expect,
    note
  }
}

export const modelFamilies: Family[] = [
  {
    name: 'model-escaping-paths',
    kind: 'model',
    count: 50,
    make(dir, seed, { outside }) {
      const r = rng(seed)
      const how = pick(r, [
        'dotdot-dev-zero',
        'absolute-passwd',
        'dotdot-file',
        'windows-drive',
        'link-out',
        'link-device',
        'fifo',
        'folder',
        'nul-byte',
        'empty'
      ])
      const secret = join(outside, `weights-${seed}.bin`)
      writeFileSync(secret, weights(seed))
      const listed: Record<string, string> = {
        'dotdot-dev-zero': '../../../../../../dev/zero',
        'absolute-passwd': '/etc/passwd',
        'dotdot-file': `../../outside/weights-${seed}.bin`,
        'windows-drive': 'C:\\Windows\\win.ini',
        'link-out': 'link.bin',
        'link-device': 'dev.bin',
        fifo: 'pipe.bin',
        folder: 'sub',
        'nul-byte': 'weights.bin\0.txt',
        empty: ''
      }
      const c = modelCase(this.name, seed, dir, modelJson([listed[how]!]), weights(seed), how)
      if (how === 'link-out') symlinkSync(secret, join(c.path, 'link.bin'))
      if (how === 'link-device') symlinkSync('/dev/zero', join(c.path, 'dev.bin'))
      if (how === 'fifo') execFileSync('mkfifo', [join(c.path, 'pipe.bin')])
      if (how === 'folder') mkdirSync(join(c.path, 'sub'))
      return c
    }
  },
  {
    name: 'model-lying-shapes',
    kind: 'model',
    count: 50,
    make(dir, seed) {
      const r = rng(seed)
      const how = pick(r, [
        'bigger',
        'smaller',
        'negative',
        'fraction',
        'astronomic',
        'not-a-list',
        'dtype',
        'short-file',
        'long-file'
      ])
      const shapes: Record<string, number[] | unknown> = {
        bigger: { 'out/kernel': [64, int(r, 4, 5000)] },
        smaller: { 'c1/kernel': [3, 3, 2, int(r, 1, 3)] },
        negative: { 'c1/bias': [-4] },
        fraction: { 'c1/bias': [2.5] },
        astronomic: { 'out/kernel': [2 ** 30, 2 ** 30] },
        'not-a-list': { 'c1/bias': 'four' }
      }
      let bin = weights(seed)
      if (how === 'short-file') bin = bin.subarray(0, int(r, 0, bin.length - 1))
      if (how === 'long-file') bin = Buffer.concat([bin, Buffer.alloc(int(r, 1, 100))])
      const json = modelJson(
        ['weights.bin'],
        4,
        3,
        shapes[how] as Record<string, number[]> | undefined
      )
      if (how === 'dtype')
        (json.weightsManifest as { weights: { dtype: string }[] }[])[0]!.weights[0]!.dtype = pick(
          r,
          ['string', 'complex64', 'float64']
        )
      return modelCase(this.name, seed, dir, json, bin, how)
    }
  },
  {
    name: 'model-huge-layer',
    kind: 'model',
    count: 30,
    make(dir, seed) {
      const r = rng(seed)
      const how = pick(r, ['filters-1e6', 'units-1e7', 'input-huge'])
      const json = modelJson(
        ['weights.bin'],
        how === 'filters-1e6' ? 1_000_000 : 4,
        how === 'units-1e7' ? 10_000_000 : 3
      )
      if (how === 'input-huge') {
        const layers = (
          json.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }
        ).config.layers
        layers[0]!.config.batch_input_shape = [null, 100_000, 100_000, 2]
      }
      return modelCase(this.name, seed, dir, json, weights(seed), how)
    }
  },
  {
    name: 'model-json-garbage',
    kind: 'model',
    count: 40,
    make(dir, seed) {
      const r = rng(seed)
      const how = pick(r, [
        'random-bytes',
        'truncated',
        'deep-nesting',
        'wrong-types',
        'nan-weights',
        'valid-control'
      ])
      const good = JSON.stringify(modelJson(['weights.bin']))
      const json: Record<string, () => string | Buffer | unknown> = {
        'random-bytes': () =>
          Buffer.from(Array.from({ length: int(r, 0, 500) }, () => int(r, 0, 255))),
        truncated: () => good.slice(0, int(r, 0, good.length - 1)),
        'deep-nesting': () => '['.repeat(200_000) + ']'.repeat(200_000),
        'wrong-types': () =>
          pick(r, [
            'null',
            '[]',
            '42',
            '"model"',
            '{"modelTopology": 7}',
            '{"modelTopology": {}, "weightsManifest": [null]}',
            '{"modelTopology": {"class_name": "Sequential", "config": {"layers": "x"}}}'
          ]),
        'nan-weights': () => modelJson(['weights.bin']),
        'valid-control': () => modelJson(['weights.bin'])
      }
      let bin = weights(seed)
      if (how === 'nan-weights') {
        bin = Buffer.from(bin)
        bin.writeFloatLE(pick(r, [NaN, Infinity, -Infinity]), 4 * int(r, 0, WEIGHT_BYTES / 4 - 1))
      }
      return modelCase(
        this.name,
        seed,
        dir,
        json[how]!(),
        bin,
        how,
        how === 'valid-control' ? 'accept' : 'refuse'
      )
    }
  }
]

export const projectFamilies: Family[] = [
  {
    name: 'project-damaged',
    kind: 'project',
    count: 60,
    make(dir, seed, { template }) {
      const r = rng(seed)
      const path = join(dir, 'study.ortho')
      copyFileSync(template, path)
      const bytes = readFileSync(path)
      const how = pick(r, [
        'truncate',
        'truncate-page',
        'header-garbage',
        'random-flips',
        'zero-page',
        'app-id',
        'newer',
        'empty',
        'text',
        'stray-journal',
        'stray-wal'
      ])
      let expect: HostileCase['expect'] = 'refuse'
      let out: Buffer = bytes
      if (how === 'truncate') out = bytes.subarray(0, int(r, 1, bytes.length - 1))
      if (how === 'truncate-page')
        out = bytes.subarray(0, 4096 * int(r, 1, bytes.length / 4096 - 1))
      if (how === 'header-garbage')
        for (let k = 16; k < 100; k++) if (r() < 0.3) out[k] = int(r, 0, 255)
      if (how === 'random-flips') {
        // Bits flipped inside pages: quick_check finds most; one inside a blob's bytes is
        // invisible to any checker and the project may open.
        expect = 'either'
        for (let k = 0; k < int(r, 1, 20); k++)
          out[int(r, 100, out.length - 1)]! ^= 1 << int(r, 0, 7)
      }
      if (how === 'zero-page') {
        expect = 'either'
        const page = int(r, 1, out.length / 4096 - 1)
        out.fill(0, page * 4096, page * 4096 + 4096)
      }
      if (how === 'app-id') out.writeUInt32BE(int(r, 0, 0x4f52544b), 68)
      if (how === 'newer') out.writeUInt32BE(int(r, 11, 999), 60)
      if (how === 'empty') out = Buffer.alloc(0)
      if (how === 'text') out = Buffer.from('not a project\n'.repeat(int(r, 1, 500)))
      if (how === 'stray-journal' || how === 'stray-wal') {
        // Garbage beside an intact file: SQLite ignores a journal or WAL whose header is not
        // its own, so the project must open with everything in it.
        expect = 'accept'
        writeFileSync(
          path + (how === 'stray-journal' ? '-journal' : '-wal'),
          Buffer.from(Array.from({ length: int(r, 1, 9000) }, () => int(r, 0, 255)))
        )
      }
      writeFileSync(path, out)
      return {
        family: this.name,
        id: `${this.name}-${seed}`,
        kind: 'project',
        path,
        culprits: [path],
        expect,
        note: how
      }
    }
  }
]
