/**
 * Hostile ONNX files: a small valid graph (input [N, 2, 5, 5] → Conv → GlobalAveragePool →
 * Gemm → 4 logits, written with the engine's own ONNX writer) damaged or made malicious in
 * the ways a file from elsewhere can be: cut short, bits flipped, garbage, external data that
 * escapes the model's folder or lies about its size, tensors claiming astronomic shapes, NaN
 * weights, an unknown operator, a cycle, an opset from the future. A valid control is kept.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  encodeOnnx,
  floatTensor,
  type ModelSpec
} from '../../../src/main/engine/models/onnx/writer'
import { tinyConv, values } from '../../main/engine/models/onnx/tinyModels'
import { pick, rng } from './imageFamilies'
import type { Family, HostileCase } from './types'

const int = (r: () => number, lo: number, hi: number): number =>
  lo + Math.floor(r() * (hi - lo + 1))

/** The conv weights (3×2×3×3) as external data at `location`, the rest inline. */
function withExternal(location: string, length?: number): ModelSpec {
  const spec = tinyConv()
  spec.initializers[0] = floatTensor('W', [3, 2, 3, 3], values(54, 1), {
    location,
    ...(length !== undefined ? { length } : {})
  })
  return spec
}

export const onnxFamilies: Family[] = [
  {
    name: 'model-onnx-hostile',
    kind: 'model',
    count: 80,
    make(dir, seed, { outside }) {
      const r = rng(seed)
      const how = pick(r, [
        'truncated',
        'bit-flips',
        'random-bytes',
        'text',
        'empty',
        'external-dotdot',
        'external-absolute',
        'external-link-out',
        'external-device',
        'external-short',
        'huge-dims',
        'negative-dims',
        'nan-weights',
        'unknown-op',
        'cycle',
        'opset-future',
        'valid-control'
      ])
      const root = join(dir, 'model')
      mkdirSync(root, { recursive: true })
      // A name unique to the case, so that a message naming the file by its name is clear.
      const name = `hostile-${seed}.onnx`
      const path = join(root, name)
      let expect: HostileCase['expect'] = 'refuse'
      let bytes: Uint8Array | string = encodeOnnx(tinyConv())
      const good = bytes
      const secret = join(outside, `onnx-weights-${seed}.bin`)
      writeFileSync(secret, Buffer.from(values(54, 1).buffer))
      switch (how) {
        case 'truncated':
          bytes = good.subarray(0, int(r, 1, good.length - 1))
          break
        case 'bit-flips': {
          // A flip inside a weight's bytes leaves a valid model: either outcome is right.
          expect = 'either'
          const b = Uint8Array.from(good)
          for (let k = 0; k < int(r, 1, 12); k++) b[int(r, 0, b.length - 1)]! ^= 1 << int(r, 0, 7)
          bytes = b
          break
        }
        case 'random-bytes':
          bytes = Uint8Array.from({ length: int(r, 1, 4000) }, () => int(r, 0, 255))
          break
        case 'text':
          bytes = 'this is a model, trust me\n'.repeat(int(r, 1, 50))
          break
        case 'empty':
          bytes = ''
          break
        case 'external-dotdot':
          bytes = encodeOnnx(withExternal(`../../../outside/onnx-weights-${seed}.bin`))
          break
        case 'external-absolute':
          bytes = encodeOnnx(withExternal(pick(r, ['/etc/passwd', '/dev/zero', secret])))
          break
        case 'external-link-out':
          symlinkSync(secret, join(root, 'w.bin'))
          bytes = encodeOnnx(withExternal('w.bin'))
          break
        case 'external-device':
          symlinkSync('/dev/zero', join(root, 'w.bin'))
          bytes = encodeOnnx(withExternal('w.bin', 216))
          break
        case 'external-short':
          writeFileSync(join(root, 'w.bin'), Buffer.alloc(int(r, 0, 215)))
          bytes = encodeOnnx(withExternal('w.bin', 216))
          break
        case 'huge-dims': {
          const spec = tinyConv()
          spec.initializers[0] = floatTensor(
            'W',
            pick(r, [
              [2 ** 20, 2 ** 20, 3, 3],
              [3, 2, 100_000, 100_000],
              [2 ** 31, 2, 3, 3]
            ]),
            values(54, 1)
          )
          bytes = encodeOnnx(spec)
          break
        }
        case 'negative-dims': {
          const spec = tinyConv()
          spec.initializers[0] = floatTensor('W', [3, -2, 3, 3], values(54, 1))
          bytes = encodeOnnx(spec)
          break
        }
        case 'nan-weights': {
          const spec = tinyConv()
          const w = values(54, 1)
          w[int(r, 0, 53)] = pick(r, [NaN, Infinity, -Infinity])
          spec.initializers[0] = floatTensor('W', [3, 2, 3, 3], w)
          bytes = encodeOnnx(spec)
          break
        }
        case 'unknown-op': {
          const spec = tinyConv()
          spec.nodes[1] = {
            ...spec.nodes[1]!,
            op: pick(r, ['FancyRelu', 'Loop', 'If', 'ScatterND'])
          }
          bytes = encodeOnnx(spec)
          break
        }
        case 'cycle': {
          const spec = tinyConv()
          // relu reads the pool's output, which needs relu's: no order can run them.
          spec.nodes[1] = { ...spec.nodes[1]!, inputs: ['g'] }
          spec.nodes[2] = { ...spec.nodes[2]!, inputs: ['r'] }
          bytes = encodeOnnx(spec)
          break
        }
        case 'opset-future':
          bytes = encodeOnnx(tinyConv({ opset: int(r, 22, 999) }))
          break
        case 'valid-control':
          expect = 'accept'
          break
      }
      writeFileSync(path, bytes)
      return {
        family: this.name,
        id: `${this.name}-${seed}`,
        kind: 'model',
        format: 'onnx',
        path,
        culprits: [path, name],
        expect,
        note: how
      }
    }
  }
]
