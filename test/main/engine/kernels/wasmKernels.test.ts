import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import { collapseSlice } from '../../../../src/main/engine/kernels/wasm/windowCopy'
import { collapseTranspose } from '../../../../src/main/engine/kernels/wasm/transposeCore'
import {
  installWasmKernels,
  wasmKernelsInstalled
} from '../../../../src/main/engine/kernels/wasm/shared'
import { ourKernels, wasmKernelNames } from '../../../../src/main/engine/kernels'
import { setSimdKernels, simdKernelsFor } from '../../../../src/main/engine/kernels/simdKernels'

/** Deterministic pseudo-random integers, so failures repeat. */
function rng(seed: number): () => number {
  let s = seed
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648
    return s / 2147483648
  }
}

/** Runs fn with the stock kernels and with ours; returns both outputs' values. */
function both(
  fn: () => tf.Tensor
): [
  Float32Array | Int32Array | Uint8Array,
  Float32Array | Int32Array | Uint8Array,
  number[],
  number[]
] {
  installWasmKernels(false)
  const stock = fn()
  installWasmKernels(true)
  const ours = fn()
  const out: [
    Float32Array | Int32Array | Uint8Array,
    Float32Array | Int32Array | Uint8Array,
    number[],
    number[]
  ] = [stock.dataSync() as Float32Array, ours.dataSync() as Float32Array, stock.shape, ours.shape]
  tf.dispose([stock, ours])
  return out
}

beforeAll(async () => {
  await initBackend('wasm')
})

afterAll(() => {
  installWasmKernels(true)
})

describe('wasm replacement kernels', () => {
  it('are installed by default and can be switched off and on', () => {
    expect(wasmKernelsInstalled()).toBe(true)
    expect(wasmKernelNames().sort()).toEqual([
      'Add',
      'BatchMatMul',
      'Cast',
      'Identity',
      'Mean',
      'Multiply',
      'PadV2',
      'RealDiv',
      'Reverse',
      'Slice',
      'Sub',
      'Sum',
      'Transpose',
      'Unpack'
    ])
    for (const name of wasmKernelNames()) expect(ourKernels()).toContain(`${name}@wasm`)
    // Ours shares the input's buffer (a new reference to the same data id); the stock kernel
    // copies it into a new one, so the data id tells which ran.
    const x = tf.tensor1d([1, 2, 3])
    const identityShares = () => {
      const y = tf.engine().runKernel('Identity', { x }) as tf.Tensor
      const shared = y.dataId === x.dataId
      y.dispose()
      return shared
    }
    expect(identityShares()).toBe(true)
    installWasmKernels(false)
    expect(identityShares()).toBe(false)
    installWasmKernels(true)
    expect(identityShares()).toBe(true)
    x.dispose()
  })

  it('collapse slices and transposes to their fewest axes', () => {
    expect(collapseSlice([64, 28, 28, 32], [0, 0, 0, 0], [64, 27, 27, 32])).toEqual({
      shape: [64, 28, 896],
      begin: [0, 0, 0],
      size: [64, 27, 864]
    })
    expect(collapseTranspose([64, 14, 14, 2, 2, 32], [0, 1, 3, 2, 4, 5])).toEqual({
      shape: [896, 14, 2, 64],
      perm: [0, 2, 1, 3]
    })
    expect(collapseTranspose([64, 28, 28, 32], [3, 1, 2, 0])).toEqual({
      shape: [64, 784, 32],
      perm: [2, 1, 0]
    })
    expect(collapseTranspose([1, 5, 1], [2, 1, 0])).toEqual({ shape: [5], perm: [0] })
  })

  it('Slice equals the stock kernel on 200 random slices of rank 1 to 6 (float, int, bool)', () => {
    const r = rng(7)
    for (let t = 0; t < 200; t++) {
      const rank = 1 + Math.floor(r() * 6)
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(r() * 5))
      const begin = shape.map((d) => Math.floor(r() * d))
      const size = shape.map((d, i) => (r() < 0.3 ? -1 : 1 + Math.floor(r() * (d - begin[i]!))))
      const dtype = (['float32', 'int32', 'bool'] as const)[t % 3]!
      const x = tf.tidy(() =>
        tf.cast(tf.mul(tf.randomUniform(shape, 0, 10, 'float32', t), 1), dtype)
      )
      const [a, b, sa, sb] = both(() => tf.slice(x, begin, size))
      expect(sb).toEqual(sa)
      expect(Array.from(b)).toEqual(Array.from(a))
      x.dispose()
    }
  })

  it('Transpose equals the stock kernel on 150 random permutations of rank 1 to 6', () => {
    const r = rng(11)
    for (let t = 0; t < 150; t++) {
      const rank = 1 + Math.floor(r() * 6)
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(r() * 4))
      const perm = [...Array(rank).keys()].sort(() => r() - 0.5)
      const dtype = t % 4 === 0 ? 'int32' : 'float32'
      const x = tf.tidy(() => tf.cast(tf.randomUniform(shape, -5, 5, 'float32', t), dtype))
      const [a, b, sa, sb] = both(() => tf.transpose(x, perm))
      expect(sb).toEqual(sa)
      expect(Array.from(b)).toEqual(Array.from(a))
      x.dispose()
    }
    // The layouts the training path produces, at full size.
    for (const [shape, perm] of [
      [
        [64, 14, 14, 2, 2, 32],
        [0, 1, 3, 2, 4, 5]
      ],
      [
        [64, 28, 28, 32],
        [3, 1, 2, 0]
      ],
      [
        [3136, 128],
        [1, 0]
      ]
    ] as [number[], number[]][]) {
      const x = tf.randomNormal(shape, 0, 1, 'float32', 3)
      const [a, b] = both(() => tf.transpose(x, perm))
      // (vitest's deep equality is too slow for 1.6M elements: count mismatches instead)
      let mismatches = 0
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) mismatches++
      expect(b.length).toBe(a.length)
      expect(mismatches).toBe(0)
      x.dispose()
    }
  })

  it('PadV2 equals the stock kernel on 150 random paddings of rank 1 to 5', () => {
    const r = rng(13)
    for (let t = 0; t < 150; t++) {
      const rank = 1 + Math.floor(r() * 5)
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(r() * 4))
      const paddings = shape.map(
        () => [Math.floor(r() * 3), Math.floor(r() * 3)] as [number, number]
      )
      const fill = t % 2 ? 0 : -3.5
      const dtype = t % 5 === 0 ? 'int32' : 'float32'
      const x = tf.tidy(() => tf.cast(tf.randomUniform(shape, -5, 5, 'float32', t), dtype))
      const [a, b, sa, sb] = both(() => tf.pad(x, paddings, fill))
      expect(sb).toEqual(sa)
      expect(Array.from(b)).toEqual(Array.from(a))
      x.dispose()
    }
  })

  it('Reverse equals the stock kernel on 100 random axis sets of rank 1 to 6', () => {
    const r = rng(19)
    for (let t = 0; t < 100; t++) {
      const rank = 1 + Math.floor(r() * 6)
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(r() * 4))
      const axes = [...Array(rank).keys()].filter(() => r() < 0.5)
      const x = tf.tidy(() =>
        tf.cast(tf.randomUniform(shape, -5, 5, 'float32', t), t % 3 ? 'float32' : 'int32')
      )
      const [a, b, sa, sb] = both(() => tf.reverse(x, axes))
      expect(sb).toEqual(sa)
      expect(Array.from(b)).toEqual(Array.from(a))
      x.dispose()
    }
  })

  it('Sum and Mean equal the stock kernels over leading, trailing and mixed axes', () => {
    const r = rng(17)
    for (let t = 0; t < 60; t++) {
      const rank = 1 + Math.floor(r() * 4)
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(r() * 6))
      const axes = [...Array(rank).keys()].filter(() => r() < 0.5)
      const prefix = [...Array(Math.floor(r() * rank)).keys()]
      const x = tf.randomNormal(shape, 0, 1, 'float32', t)
      for (const ax of [axes, prefix]) {
        const keep = r() < 0.5
        for (const reduce of [tf.sum, tf.mean]) {
          const [a, b, sa, sb] = both(() => reduce(x, ax.length ? ax : undefined, keep))
          expect(sb).toEqual(sa)
          const worst = Math.max(
            0,
            ...Array.from(a, (v, i) => Math.abs(v - b[i]!) / (1 + Math.abs(v)))
          )
          expect(worst).toBeLessThan(1e-5)
        }
      }
      x.dispose()
    }
    // The bias gradient of the cnn's first convolution, at full size.
    const dy = tf.randomNormal([64, 28, 28, 32], 0, 1, 'float32', 1)
    const [a, b] = both(() => tf.sum(dy, [0, 1, 2]))
    const worst = Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)))
    expect(worst).toBeLessThan(1e-2)
    expect(b.length).toBe(32)
    dy.dispose()
  })

  it('BatchMatMul with transposed operands equals the stock kernel', () => {
    const r = rng(5)
    for (let t = 0; t < 40; t++) {
      const [m, k, n] = [
        1 + Math.floor(r() * 40),
        1 + Math.floor(r() * 40),
        1 + Math.floor(r() * 40)
      ]
      const batch = t % 3 === 0 ? [2] : []
      const ta = r() < 0.5
      const tb = r() < 0.5
      const a = tf.randomNormal([...batch, ...(ta ? [k, m] : [m, k])], 0, 1, 'float32', t)
      const b = tf.randomNormal([...batch, ...(tb ? [n, k] : [k, n])], 0, 1, 'float32', t + 100)
      const [x, y, sx, sy] = both(() => tf.matMul(a, b, ta, tb))
      expect(sy).toEqual(sx)
      const worst = Math.max(...Array.from(x, (v, i) => Math.abs(v - y[i]!) / (1 + Math.abs(v))))
      expect(worst).toBeLessThan(1e-5)
      tf.dispose([a, b])
    }
  })

  it('Unpack equals the stock kernel along every axis of random shapes', () => {
    const r = rng(17)
    for (let k = 0; k < 40; k++) {
      const rank = 1 + Math.floor(r() * 5)
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(r() * 4))
      const axis = Math.floor(r() * rank) - (r() < 0.3 ? rank : 0)
      const x = tf.randomNormal(shape, 0, 1, 'float32', k)
      // Each piece, shifted by its index, so a piece in the wrong place changes the result.
      const [stock, ours, s1, s2] = both(() =>
        tf.tidy(() =>
          tf.stack(
            tf.unstack(x, axis).map((t, i) => tf.add(t, i * 100)),
            0
          )
        )
      )
      expect(s2, `shape ${shape} axis ${axis}`).toEqual(s1)
      expect(Array.from(ours), `shape ${shape} axis ${axis}`).toEqual(Array.from(stock))
      x.dispose()
    }
  })

  it('Identity shares the buffer without leaking it', () => {
    const x = tf.randomNormal([5, 7])
    const before = tf.memory().numTensors
    const c = tf.clone(x)
    expect(Array.from(c.dataSync())).toEqual(Array.from(x.dataSync()))
    x.dispose()
    // The clone still reads its values after the original is gone.
    expect(c.dataSync().length).toBe(35)
    c.dispose()
    expect(tf.memory().numTensors).toBe(before - 1)
  })

  it('Cast to the same dtype shares the buffer; a real cast still converts', () => {
    const x = tf.tensor1d([1.5, -2.25, 3])
    const before = tf.memory().numDataBuffers
    const same = tf.cast(x, 'float32')
    // No second buffer: the two tensors share x's.
    expect(tf.memory().numDataBuffers).toBe(before)
    x.dispose()
    expect(Array.from(same.dataSync())).toEqual([1.5, -2.25, 3])
    const ints = tf.cast(same, 'int32')
    expect(ints.dtype).toBe('int32')
    expect(Array.from(ints.dataSync())).toEqual([1, -2, 3])
    tf.dispose([same, ints])
  })

  it('binary ops broadcasting a small operand give the stock results, both operand orders', () => {
    const pairs: [number[], number[]][] = [
      [[4, 6, 6, 16], [16]],
      [
        [4, 6, 6, 16],
        [1, 1, 1, 16]
      ],
      [
        [3, 5, 7, 3],
        [7, 3]
      ],
      [[2, 9, 9, 64], [64]],
      [[129, 10], [10]],
      [
        [6, 7],
        [1, 7]
      ],
      // Not a trailing broadcast, or nothing to gain: the stock kernel answers.
      [
        [6, 7],
        [6, 1]
      ],
      [[6, 7], []],
      [
        [5, 5],
        [5, 5]
      ]
    ]
    const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
      ['mul', tf.mul],
      ['add', tf.add],
      ['sub', tf.sub],
      ['div', tf.div]
    ]
    let seed = 40
    for (const [bigShape, smallShape] of pairs) {
      const big = tf.randomNormal(bigShape, 0, 1, 'float32', seed++)
      // Away from zero, so division is well defined.
      const small = tf.add(tf.randomUniform(smallShape, 0.5, 2, 'float32', seed++), 0)
      for (const [name, op] of ops) {
        for (const [a, b] of [
          [big, small],
          [small, big]
        ] as const) {
          const [stock, ours, s1, s2] = both(() => op(a, b))
          expect(s2, `${name} ${a.shape} ${b.shape}`).toEqual(s1)
          expect(Array.from(ours), `${name} ${a.shape} ${b.shape}`).toEqual(Array.from(stock))
        }
      }
      tf.dispose([big, small])
    }
  })

  it('the SIMD kernels load on the backend memory and agree with the JavaScript loops', () => {
    expect(simdKernelsFor(tf.backend())).toBeDefined()
    /** fn's values with the SIMD kernels, then with the JavaScript loops. */
    const simdAndJs = (fn: () => tf.Tensor): [Float32Array, Float32Array] => {
      const out: Float32Array[] = []
      for (const on of [true, false]) {
        setSimdKernels(on)
        const t = fn()
        out.push(t.dataSync() as Float32Array)
        t.dispose()
      }
      setSimdKernels(true)
      return [out[0]!, out[1]!]
    }
    const mismatches = (a: Float32Array, b: Float32Array): number => {
      let n = a.length === b.length ? 0 : 1
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++
      return n
    }
    const r = rng(23)
    // Windows, pads and transposes of random shapes, and the training path's own at full size.
    for (let t = 0; t < 60; t++) {
      const rank = 1 + Math.floor(r() * 4)
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(r() * 12))
      const begin = shape.map((d) => Math.floor(r() * d))
      const size = shape.map((d, i) => 1 + Math.floor(r() * (d - begin[i]!)))
      const x = tf.randomNormal(shape, 0, 1, 'float32', t)
      expect(mismatches(...simdAndJs(() => tf.slice(x, begin, size)))).toBe(0)
      expect(
        mismatches(
          ...simdAndJs(() =>
            tf.pad(
              x,
              shape.map(() => [1 + (t % 2), t % 3] as [number, number]),
              0.5
            )
          )
        )
      ).toBe(0)
      if (rank === 2) expect(mismatches(...simdAndJs(() => tf.transpose(x)))).toBe(0)
      x.dispose()
    }
    const big = tf.randomNormal([512, 34, 34, 1], 0, 1, 'float32', 5)
    expect(mismatches(...simdAndJs(() => tf.slice(big, [0, 1, 2, 0], [512, 32, 32, 1])))).toBe(0)
    expect(
      mismatches(
        ...simdAndJs(() =>
          tf.pad(big, [
            [0, 0],
            [1, 1],
            [0, 3],
            [0, 0]
          ])
        )
      )
    ).toBe(0)
    for (const [rows, cols] of [
      [32768, 16],
      [1023, 37],
      [5, 3],
      [4096, 64],
      [70000, 10]
    ]) {
      const m = tf.randomNormal([rows!, cols!], 0, 1, 'float32', rows)
      expect(mismatches(...simdAndJs(() => tf.transpose(m)))).toBe(0)
      // Sums: same float64 accumulation, different order of float32 partial sums.
      const [a, b] = simdAndJs(() => tf.sum(m, 0))
      const worst = Math.max(
        ...Array.from(a, (v, i) => Math.abs(v - b[i]!) / (1 + Math.abs(b[i]!)))
      )
      expect(worst).toBeLessThan(1e-5)
      m.dispose()
    }
    big.dispose()
  })
})
