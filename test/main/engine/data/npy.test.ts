/**
 * The strict .npy reader against files NumPy wrote (scripts/make-npy-fixtures.py) and against
 * damaged copies: every refusal names the file and the fault, and nothing is allocated from a
 * size the file does not back.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { encodeNpy, NpyError, parseNpy, readNpyFile } from '../../../../src/main/engine/data/npy'

const DIR = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'npy')
const ONNX = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'onnx')

function floats(path: string): Float32Array {
  const b = readFileSync(path)
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))
}

function refusal(bytes: Uint8Array, where = 'x.npy'): string {
  try {
    parseNpy(bytes, where)
  } catch (err) {
    expect(err).toBeInstanceOf(NpyError)
    return (err as Error).message
  }
  throw new Error('expected a refusal')
}

describe('reading what NumPy writes', () => {
  it('np.save of a float32 NCHW batch: shape and every value, transposed back to the raw NHWC bytes', () => {
    const a = readNpyFile(join(DIR, 'cifar-opset17.nchw.npy'))
    expect(a.shape).toEqual([4, 3, 32, 32])
    const nhwc = floats(join(ONNX, 'cifar-opset17.input.bin'))
    // Element (n, c, y, x) of the NCHW file is element (n, y, x, c) of the NHWC bytes.
    for (const [n, c, y, x] of [
      [0, 0, 0, 0],
      [3, 2, 31, 31],
      [1, 1, 7, 20],
      [2, 0, 16, 3]
    ] as const) {
      expect(a.data[((n * 3 + c) * 32 + y) * 32 + x]).toBe(nhwc[((n * 32 + y) * 32 + x) * 3 + c])
    }
    expect(a.data.length).toBe(nhwc.length)
  })

  it('format 2.0 (4-byte header length) and a 0-d array', () => {
    const a = readNpyFile(join(DIR, 'opzoo-opset17.nhwc.npy'))
    expect(a.shape).toEqual([4, 28, 28, 1])
    expect(Array.from(a.data)).toEqual(Array.from(floats(join(ONNX, 'opzoo-opset17.input.bin'))))
    expect(readNpyFile(join(DIR, 'scalar.npy'))).toEqual({ shape: [], data: Float32Array.of(0.5) })
  })

  it('our writer writes byte for byte what np.save writes', () => {
    const path = join(DIR, 'cifar-opset17.nchw.npy')
    const a = readNpyFile(path)
    expect(Buffer.from(encodeNpy(a.shape, a.data)).equals(readFileSync(path))).toBe(true)
    const small = Float32Array.from({ length: 24 }, (_, i) => i / 23)
    expect(parseNpy(encodeNpy([2, 3, 4], small), 'w.npy')).toEqual({
      shape: [2, 3, 4],
      data: small
    })
  })
})

describe('refusals name the file and the fault', () => {
  it('dtypes other than little-endian float32, Fortran order', () => {
    const read = (name: string) => {
      try {
        readNpyFile(join(DIR, name))
      } catch (err) {
        return (err as Error).message
      }
      return 'read'
    }
    expect(read('float64.npy')).toMatch(
      /float64\.npy: dtype <f8; Ortholens reads little-endian float32/
    )
    expect(read('bigendian.npy')).toMatch(/dtype >f4/)
    expect(read('int32.npy')).toMatch(/dtype <i4/)
    expect(read('fortran.npy')).toMatch(/fortran\.npy: Fortran order; save a C-ordered array/)
  })

  it('not .npy, an unknown version, a truncated header or body, a header that lies', () => {
    const good = readFileSync(join(DIR, 'cifar-opset17.nchw.npy'))
    expect(refusal(new TextEncoder().encode('{"logits": []}'))).toMatch(
      /x\.npy is not a \.npy file/
    )
    const v9 = Uint8Array.from(good)
    v9[6] = 9
    expect(refusal(v9)).toMatch(/format version 9\.0 is not supported/)
    expect(refusal(good.subarray(0, 40))).toMatch(
      /truncated header \(118 bytes declared, 30 present\)/
    )
    expect(refusal(good.subarray(0, good.length - 4))).toMatch(
      /shape \(4, 3, 32, 32\) needs 49152 bytes of float32, the file holds 49148 \(truncated\?\)/
    )
    // A shape far larger than the bytes: refused from the header, before any allocation.
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 1000), }"
    const liar = encodeNpy([1], Float32Array.of(1))
    const text = header.padEnd(117, ' ') + '\n'
    const forged = new Uint8Array(10 + text.length + 4)
    forged.set(liar.subarray(0, 8))
    new DataView(forged.buffer).setUint16(8, text.length, true)
    forged.set(new TextEncoder().encode(text), 10)
    expect(refusal(forged)).toMatch(/needs 40000000000000 bytes of float32, the file holds 4/)
  })

  it('a header with other keys, no shape, or a non-size dimension', () => {
    const withHeader = (dict: string): Uint8Array => {
      const text = dict.padEnd(117, ' ') + '\n'
      const out = new Uint8Array(10 + text.length)
      out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0])
      new DataView(out.buffer).setUint16(8, text.length, true)
      out.set(new TextEncoder().encode(text), 10)
      return out
    }
    expect(
      refusal(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1, }"))
    ).toMatch(/must hold descr, fortran_order and shape, got descr, fortran_order, shape, x/)
    expect(refusal(withHeader("{'descr': '<f4', 'fortran_order': False, 'rows': 3, }"))).toMatch(
      /must hold descr, fortran_order and shape/
    )
    expect(
      refusal(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1), }"))
    ).toMatch(/shape \(2, -1\) holds "-1", not a size/)
    expect(refusal(withHeader('print("hello")'))).toMatch(/the header is not a dictionary/)
  })
})
