import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import {
  loadNativeKernels,
  nativeKernelStatus,
  setNativeKernels
} from '../../../../src/main/engine/kernels/nativeKernels'
import { cpuBufferPoolFreeBytes } from '../../../../src/main/engine/kernels/cpuBufferPool'
import { maxRelError } from '../../../helpers/compare'
import { withNativeKernelsOff } from '../../../helpers/nativeSwitch'

/** fn's result with the native kernels on and off (the stock cpu kernels), as arrays. */
function bothWays(fn: () => tf.Tensor): {
  native: Float32Array
  stock: Float32Array
  shape: number[]
} {
  const run = (): { v: Float32Array; shape: number[] } => {
    const t = tf.tidy(fn)
    const v = t.dataSync() as Float32Array
    const shape = t.shape
    t.dispose()
    return { v, shape }
  }
  const native = run()
  const stock = withNativeKernelsOff(run)
  expect(native.shape).toEqual(stock.shape)
  return { native: native.v, stock: stock.v, shape: native.shape }
}

// Seeds start at 1: tfjs takes a seed of 0 as none (a fresh random draw).
const rnd = (shape: number[], seed: number): tf.Tensor =>
  tf.randomNormal(shape, 0, 1, 'float32', seed)

// Skipped where the native kernels are not built or are switched off (ORTHOLENS_NATIVE_KERNELS=0).
describe.skipIf(!nativeKernelStatus().active)(
  'native cpu kernels equal the stock cpu kernels',
  () => {
    beforeAll(async () => {
      await initBackend('cpu')
    })
    afterAll(() => {
      setNativeKernels(true)
    })

    it('add, subtract, multiply, divide, maximum, minimum: equal shapes, per-channel and per-image operands either side, and other broadcasts', () => {
      const pairs: [number[], number[]][] = [
        [
          [2, 5, 7, 3],
          [2, 5, 7, 3]
        ],
        [[1031], [1031]],
        [[4, 6, 6, 16], [16]],
        [[16], [4, 6, 6, 16]],
        [
          [3, 5, 33],
          [1, 1, 33]
        ],
        [
          [5, 4],
          [5, 1]
        ],
        [[6, 7], []],
        [[], [3, 4, 2]],
        [
          [1, 1],
          [2, 9]
        ],
        [
          [2, 1, 3],
          [2, 4, 3]
        ],
        // Per image and channel (global average pooling's gradient), either side.
        [
          [3, 1, 1, 16],
          [3, 5, 4, 16]
        ],
        [
          [4, 6, 6, 8],
          [4, 1, 1, 8]
        ],
        [
          [2, 7, 5],
          [2, 1, 5]
        ],
        // One value per image (a row norm), either side; odd and large images.
        [
          [6, 3072],
          [6, 1]
        ],
        [
          [3, 7, 5],
          [3, 1, 1]
        ],
        [
          [2, 1, 1, 1],
          [2, 5, 6, 3]
        ],
        [
          [4, 32, 32, 16],
          [4, 1, 1, 1]
        ],
        [
          [4, 32, 32, 16],
          [4, 32, 32, 16]
        ]
      ]
      pairs.forEach(([sa, sb], i) => {
        for (const op of [tf.add, tf.sub, tf.mul, tf.div, tf.maximum, tf.minimum]) {
          const r = bothWays(() => op(rnd(sa, 10 * i + 1), rnd(sb, 10 * i + 2)))
          expect(maxRelError(r.native, r.stock), `${op.name} [${sa}] [${sb}]`).toBeLessThan(1e-6)
        }
      })
    })

    it('maximum and minimum pass NaN through from either operand, as the stock kernels do', () => {
      const a = [1, Number.NaN, 3, -2, Number.NaN]
      const b = [Number.NaN, 2, -1, 5, Number.NaN]
      for (const op of [tf.maximum, tf.minimum]) {
        const r = bothWays(() => op(tf.tensor1d(a), tf.tensor1d(b)))
        expect(Array.from(r.native), op.name).toEqual(Array.from(r.stock))
      }
    })

    it('sum over every axis but the last or the spatial axes (keepDims or not), and over other axes', () => {
      const cases: [number[], number | number[], boolean][] = [
        [[2, 700, 5], [0, 1], false],
        [[3, 6, 6, 16], [2, 0, 1], true],
        [[4, 9], 0, false],
        [[3, 6, 6, 16], [1, 2], false],
        [[3, 4], -1, false]
      ]
      cases.forEach(([shape, axis, keepDims], i) => {
        const r = bothWays(() => tf.sum(rnd(shape, 50 + i), axis, keepDims))
        expect(maxRelError(r.native, r.stock), `sum [${shape}] axis ${String(axis)}`).toBeLessThan(
          1e-5
        )
      })
    })

    it('mean over every axis but the last and over the spatial axes (keepDims or not), and others', () => {
      const cases: [number[], number | number[], boolean][] = [
        [[3, 6, 5, 16], [1, 2], false],
        [[3, 6, 5, 16], [2, 1], true],
        [[2, 9, 7], 1, false],
        [[4, 300, 6], [0, 1], false],
        [[3, 6, 5, 16], [0, 1, 2], true],
        [[3, 6, 5, 16], [0, 3], false]
      ]
      cases.forEach(([shape, axis, keepDims], i) => {
        const r = bothWays(() => tf.mean(rnd(shape, 90 + i), axis, keepDims))
        expect(maxRelError(r.native, r.stock), `mean [${shape}] axis ${String(axis)}`).toBeLessThan(
          1e-5
        )
      })
    })

    it('fill: float32 into pooled memory, every element written; other types by the stock kernel', () => {
      const shape = [64, 1024] // over the pool's minimum
      const bytes = 64 * 1024 * 4
      tf.fill(shape, 3).dispose() // never read, so its array goes back to the pool
      const freeBefore = cpuBufferPoolFreeBytes()
      expect(freeBefore).toBeGreaterThanOrEqual(bytes)
      const b = tf.fill(shape, -1.5, 'float32')
      expect(cpuBufferPoolFreeBytes()).toBe(freeBefore - bytes) // the recycled array
      const v = b.dataSync()
      expect(v.every((x) => x === -1.5)).toBe(true)
      b.dispose()
      const ints = tf.fill([3], 7, 'int32')
      expect(ints.dtype).toBe('int32')
      expect(Array.from(ints.dataSync())).toEqual([7, 7, 7])
      expect(tf.fill([2], 'a', 'string').arraySync()).toEqual(['a', 'a'])
      expect(Array.from(tf.fill([2, 2], NaN).dataSync())).toEqual([NaN, NaN, NaN, NaN])
    })

    it('relu, NaN included', () => {
      const r = bothWays(() =>
        tf.relu(tf.concat([rnd([2, 3, 5], 7).reshape([30]), tf.tensor1d([NaN, -0, 0, 2])]))
      )
      expect(Array.from(r.native.slice(30))).toEqual([NaN, 0, 0, 2])
      expect(maxRelError(r.native.slice(0, 30), r.stock.slice(0, 30))).toBe(0)
    })

    it('matMul with and without transposes, on rows that do and do not split, the same at 1 and 2 threads', () => {
      const native = loadNativeKernels()!
      const initial = native.info().threads
      const results: Float32Array[][] = [[], []]
      for (const threads of [1, 2]) {
        native.configure({ threads })
        const dims: [number, number, number][] = [
          [64, 300, 40],
          [7, 5, 3],
          [33, 17, 10],
          // At.B sums over 128 rows cut into 16 parts.
          [12, 128, 10],
          // Square: a mix-up of rows and columns keeps the shapes valid, so only values catch it.
          [16, 16, 16]
        ]
        dims.forEach(([m, k, n], i) => {
          for (const [ta, tb] of [
            [false, false],
            [true, false],
            [false, true],
            [true, true]
          ] as const) {
            const r = bothWays(() =>
              tf.matMul(
                rnd(ta ? [k, m] : [m, k], 70 + i),
                rnd(tb ? [n, k] : [k, n], 80 + i),
                ta,
                tb
              )
            )
            expect(r.shape).toEqual([m, n])
            expect(
              maxRelError(r.native, r.stock),
              `matMul ${m}x${k}x${n} ${ta} ${tb} on ${threads}`
            ).toBeLessThan(1e-5)
            results[threads - 1]!.push(r.native)
          }
        })
      }
      native.configure({ threads: initial })
      // Bit for bit: the rows are cut by shape, not by thread count (reproducible training).
      results[1]!.forEach((v, i) => expect(v, `product ${i}`).toEqual(results[0]![i]))
    })
  }
)
