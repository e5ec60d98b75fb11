import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import {
  loadNativeKernels,
  nativeKernelStatus,
  setNativeKernels,
  type FilterGradAttrs
} from '../../../../src/main/engine/kernels/nativeKernels'
import { conv2dBackpropFilterOps } from '../../../../src/main/engine/kernels/convGradOps'
import { maxRelError } from '../../../helpers/compare'
import { withNativeKernelsOff } from '../../../helpers/nativeSwitch'
import { convLabel, type ConvCase } from '../../../helpers/convCases'

// Strides 1-2, same/valid/explicit padding, odd sizes, 1-70 channels (tails of every vector
// width), 1x1 to 5x5 filters, dilation 2: every tile shape and tail path of the kernels.
const cases: ConvCase[] = [
  { n: 2, h: 5, w: 5, ci: 1, co: 3, k: 3, s: 1, pad: 'same' },
  { n: 2, h: 7, w: 9, ci: 3, co: 5, k: 3, s: 1, pad: 'same' },
  { n: 3, h: 8, w: 8, ci: 4, co: 17, k: 3, s: 2, pad: 'same' },
  { n: 2, h: 9, w: 7, ci: 2, co: 33, k: 3, s: 2, pad: 'valid' },
  { n: 1, h: 11, w: 10, ci: 13, co: 70, k: 5, s: 2, pad: 'same' },
  { n: 2, h: 9, w: 9, ci: 5, co: 16, k: 3, s: 1, d: 2, pad: 'same' },
  { n: 1, h: 6, w: 6, ci: 64, co: 8, k: 3, s: 1, pad: 'same' },
  { n: 1, h: 5, w: 5, ci: 8, co: 64, k: 1, s: 2, pad: 'valid' },
  { n: 2, h: 5, w: 5, ci: 32, co: 1, k: 3, s: 1, pad: 'same' },
  // Few output channels: the dot-product kernels (channels padded to whole vectors).
  { n: 2, h: 7, w: 6, ci: 20, co: 3, k: 3, s: 1, pad: 'same' },
  { n: 2, h: 9, w: 8, ci: 13, co: 2, k: 3, s: 2, pad: 'valid' },
  { n: 1, h: 6, w: 6, ci: 64, co: 1, k: 3, s: 2, pad: 'same' },
  { n: 1, h: 8, w: 6, ci: 2, co: 5, k: 4, s: 2, pad: 'same' },
  {
    n: 1,
    h: 7,
    w: 6,
    ci: 2,
    co: 3,
    k: 3,
    s: 2,
    pad: [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0]
    ]
  },
  { n: 3, h: 28, w: 28, ci: 1, co: 32, k: 3, s: 1, pad: 'same' },
  { n: 2, h: 28, w: 28, ci: 32, co: 64, k: 3, s: 2, pad: 'same' },
  { n: 2, h: 16, w: 16, ci: 48, co: 48, k: 3, s: 1, pad: 'same' },
  { n: 2, h: 8, w: 8, ci: 64, co: 64, k: 3, s: 1, pad: 'same' },
  // Winograd F(2x2, 3x3) (3x3, stride 1, whole vectors of channels; forward from 32x32
  // channels): odd output sizes (half tiles), asymmetric explicit padding, and a map cut into
  // several blocks of tiles.
  { n: 2, h: 7, w: 9, ci: 32, co: 48, k: 3, s: 1, pad: 'valid' },
  {
    n: 1,
    h: 9,
    w: 6,
    ci: 32,
    co: 32,
    k: 3,
    s: 1,
    pad: [
      [0, 0],
      [2, 0],
      [0, 1],
      [0, 0]
    ]
  },
  { n: 1, h: 24, w: 24, ci: 64, co: 64, k: 3, s: 1, pad: 'same' },
  // VGG's deep end: 1x1 and 2x2 maps, hundreds of channels.
  { n: 2, h: 1, w: 1, ci: 256, co: 256, k: 3, s: 1, pad: 'same' },
  { n: 2, h: 2, w: 2, ci: 128, co: 256, k: 3, s: 1, pad: 'same' }
]

interface Data {
  x: tf.Tensor4D
  f: tf.Tensor4D
  dy: tf.Tensor4D
}

function data(c: ConvCase, seed: number): Data {
  const x = tf.randomNormal([c.n, c.h, c.w, c.ci], 0, 1, 'float32', seed) as tf.Tensor4D
  const f = tf.randomNormal([c.k, c.k, c.ci, c.co], 0, 1, 'float32', seed + 1) as tf.Tensor4D
  const y = tf.conv2d(x, f, c.s, c.pad, 'NHWC', c.d ?? 1)
  const dy = tf.randomNormal(y.shape, 0, 1, 'float32', seed + 2) as tf.Tensor4D
  y.dispose()
  return { x, f, dy }
}

/** The values of fn's tensor, which is then disposed (tidy must not return a typed array:
 * it walks every element of what it returns, looking for tensors). */
function values(fn: () => tf.Tensor): Float32Array {
  const t = tf.tidy(fn)
  const v = t.dataSync() as Float32Array
  t.dispose()
  return v
}

function forward(c: ConvCase, d: Data): Float32Array {
  return values(() => tf.conv2d(d.x, d.f, c.s, c.pad, 'NHWC', c.d ?? 1))
}

function filterGrad(c: ConvCase, d: Data): Float32Array {
  return values(() => conv2dBackpropFilterOps(d.x, d.dy, d.f.shape, c.s, c.pad, c.d ?? 1))
}

/** dL/dx through the Conv2DBackpropInput kernel (native when on, for undilated layers). */
function inputGrad(c: ConvCase, d: Data): Float32Array {
  return values(
    () =>
      tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: d.dy, filter: d.f }, {
        strides: c.s,
        pad: c.pad,
        dataFormat: 'NHWC',
        inputShape: d.x.shape
      } as unknown as tf.NamedAttrMap) as tf.Tensor
  )
}

function equalArrays(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]))
}

// The same compilers, in the same order, as scripts/build-native-kernels.mjs tries.
const hasCompiler = [process.env.CXX, 'c++', 'g++', 'clang++']
  .filter((c): c is string => Boolean(c))
  .some((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0)

describe('native convolution kernels', () => {
  it('are built and loaded wherever a C++ compiler is available', () => {
    const status = nativeKernelStatus()
    if (hasCompiler && process.env.ORTHOLENS_NATIVE_KERNELS !== '0') {
      expect(status, status.reason).toMatchObject({ active: true })
      expect(['avx512', 'avx2', 'base']).toContain(status.isa)
    } else {
      expect(status.active).toBe(false)
      expect(status.reason).toBeTruthy()
    }
  })
})

describe.skipIf(!loadNativeKernels())('native convolution kernels equal the stock ones', () => {
  const native = loadNativeKernels()!
  const isas = native.info().isas
  const initial = native.info()

  beforeAll(async () => {
    await initBackend('cpu')
  })
  afterAll(async () => {
    native.configure({ isa: initial.isa, threads: initial.threads, winograd: initial.winograd })
    setNativeKernels(true)
    await initBackend('cpu')
  })

  it('conv2d and its filter and input gradients, on every instruction set, on cpu and wasm', async () => {
    // References on the cpu backend with native off: its stock Conv2D (naive loops), and the
    // forward-convolution decomposition of the filter gradient (convGradOps.test checks it
    // against the stock Conv2DBackpropFilter, which has no dilation).
    const inputs = cases.map((c, i) => data(c, 10 + 3 * i))
    const refs = withNativeKernelsOff(() =>
      cases.map((c, i) => ({
        y: forward(c, inputs[i]!),
        dw: filterGrad(c, inputs[i]!),
        dx: c.d === undefined ? inputGrad(c, inputs[i]!) : undefined
      }))
    )
    for (const backend of ['cpu', 'wasm'] as const) {
      await initBackend(backend)
      const moved = inputs.map((d) => ({
        x: tf.tensor4d(d.x.dataSync(), d.x.shape),
        f: tf.tensor4d(d.f.dataSync(), d.f.shape),
        dy: tf.tensor4d(d.dy.dataSync(), d.dy.shape)
      }))
      for (const isa of isas) {
        native.configure({ isa })
        const before = tf.memory().numTensors
        cases.forEach((c, i) => {
          const what = `${backend} ${isa} ${convLabel(c)}`
          expect(maxRelError(forward(c, moved[i]!), refs[i]!.y), `y ${what}`).toBeLessThan(2e-6)
          expect(maxRelError(filterGrad(c, moved[i]!), refs[i]!.dw), `dW ${what}`).toBeLessThan(
            2e-6
          )
          if (refs[i]!.dx)
            expect(maxRelError(inputGrad(c, moved[i]!), refs[i]!.dx!), `dx ${what}`).toBeLessThan(
              2e-6
            )
        })
        expect(tf.memory().numTensors).toBe(before)
      }
      moved.forEach((d) => tf.dispose([d.x, d.f, d.dy]))
      await initBackend('cpu')
    }
    inputs.forEach((d) => tf.dispose([d.x, d.f, d.dy]))
  })

  it('give bit-identical results on 1, 2 and 3 threads (training is reproducible)', async () => {
    await initBackend('wasm')
    // Fewer images than the filter gradient's 16 groups, and more (uneven groups); both
    // filter-gradient forms (the dot form for few output channels); a layer so wide that its
    // partials allow only 4 groups.
    const cases: ConvCase[] = [
      { n: 7, h: 12, w: 12, ci: 16, co: 32, k: 3, s: 2, pad: 'same' },
      { n: 37, h: 9, w: 9, ci: 8, co: 16, k: 3, s: 1, pad: 'same' },
      { n: 21, h: 10, w: 10, ci: 16, co: 3, k: 3, s: 1, pad: 'valid' },
      { n: 10, h: 4, w: 4, ci: 256, co: 512, k: 3, s: 1, pad: 'same' },
      // Winograd, several blocks of tiles per image
      { n: 3, h: 40, w: 40, ci: 32, co: 32, k: 3, s: 1, pad: 'same' }
    ]
    for (const c of cases) {
      const d = data(c, 5)
      const runs = [1, 2, 3].map((threads) => {
        native.configure({ threads })
        expect(native.info().threads).toBe(threads)
        return [forward(c, d), filterGrad(c, d)]
      })
      for (const run of runs.slice(1)) {
        expect(run[0], `forward n=${c.n}`).toEqual(runs[0]![0])
        expect(run[1], `filter gradient n=${c.n}`).toEqual(runs[0]![1])
      }
      tf.dispose([d.x, d.f, d.dy])
    }
    native.configure({ threads: initial.threads })
  })

  it('give the same results when workers join late, join not at all, or outnumber the cores', async () => {
    await initBackend('wasm')
    // Two shapes in turn, so an item run against the wrong call would show. Re-making the
    // pool before each call starts workers that are not yet running when the call is handed
    // out; the call after it finds them spinning.
    const shapes: ConvCase[] = [
      { n: 8, h: 12, w: 12, ci: 16, co: 16, k: 3, s: 1, pad: 'same' },
      { n: 5, h: 10, w: 10, ci: 32, co: 24, k: 3, s: 2, pad: 'same' }
    ]
    const inputs = shapes.map((c, i) => data(c, 11 + i))
    native.configure({ threads: 1 })
    const expected = shapes.map((c, i) => [forward(c, inputs[i]!), filterGrad(c, inputs[i]!)])
    let mismatches = 0
    for (let round = 0; round < 150; round++) {
      const i = round % 2
      native.configure({ threads: 1 })
      native.configure({ threads: 2 + (round % 5) })
      for (let repeat = 0; repeat < 2; repeat++) {
        const f = forward(shapes[i]!, inputs[i]!)
        const g = filterGrad(shapes[i]!, inputs[i]!)
        if (!equalArrays(f, expected[i]![0]!) || !equalArrays(g, expected[i]![1]!)) mismatches++
      }
    }
    expect(mismatches).toBe(0)
    inputs.forEach((d) => tf.dispose([d.x, d.f, d.dy]))
    native.configure({ threads: initial.threads })
  })

  it('take the Winograd form for 3x3 stride-1 layers, as close to float64 sums as the direct form', () => {
    // 4,096 pixels per filter-gradient sum and 576 terms per output: the rounding of long sums.
    const [n, h, w, ci, co] = [1, 64, 64, 64, 64]
    const shape = Int32Array.of(n, h, w, ci, 3, 3, co, 1, 1, 1, 1, 1, 1, h, w)
    const random = (count: number, seed: number): Float32Array => {
      let state = seed
      return Float32Array.from({ length: count }, () => {
        state = (state * 1103515245 + 12345) % 2147483648
        return state / 2147483648 - 0.5
      })
    }
    const x = random(h * w * ci, 1)
    const f = random(9 * ci * co, 2)
    const dy = random(h * w * co, 3)
    // float64 references: y = conv(x, f) and dW = sum over pixels of x_patch dy ('same': pad 1)
    const yRef = new Float64Array(h * w * co)
    const dwRef = new Float64Array(9 * ci * co)
    for (let oy = 0; oy < h; oy++)
      for (let ox = 0; ox < w; ox++)
        for (let a = 0; a < 3; a++)
          for (let b = 0; b < 3; b++) {
            const iy = oy + a - 1
            const ix = ox + b - 1
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue
            for (let c = 0; c < ci; c++) {
              const xv = x[(iy * w + ix) * ci + c]!
              const fRow = ((a * 3 + b) * ci + c) * co
              const yRow = (oy * w + ox) * co
              for (let o = 0; o < co; o++) {
                yRef[yRow + o]! += xv * f[fRow + o]!
                dwRef[fRow + o]! += xv * dy[yRow + o]!
              }
            }
          }
    const run = (winograd: boolean): { y: Float32Array; dw: Float32Array } => {
      native.configure({ winograd })
      expect(native.info().winograd).toBe(winograd)
      const y = new Float32Array(h * w * co)
      const dw = new Float32Array(9 * ci * co)
      native.conv2d(x, f, y, shape)
      native.conv2dFilterGrad(x, dy, dw, shape)
      return { y, dw }
    }
    const direct = run(false)
    const winograd = run(true)
    // Another summation order: not the same bits, so the Winograd path did run.
    expect(winograd.y).not.toEqual(direct.y)
    expect(winograd.dw).not.toEqual(direct.dw)
    const yErr = [maxRelError(direct.y, yRef), maxRelError(winograd.y, yRef)]
    const dwErr = [maxRelError(direct.dw, dwRef), maxRelError(winograd.dw, dwRef)]
    // (measured: y 9.7e-7 off float64 by the direct form, 3.8e-7 by the Winograd form; dW
    // 2.3e-6 and 2.1e-6)
    expect(yErr[1], `y: direct ${yErr[0]}, winograd ${yErr[1]}`).toBeLessThan(5e-6)
    expect(dwErr[1], `dW: direct ${dwErr[0]}, winograd ${dwErr[1]}`).toBeLessThan(5e-6)
    expect(yErr[1]).toBeLessThan(4 * yErr[0]! + 1e-7)
    expect(dwErr[1]).toBeLessThan(4 * dwErr[0]! + 1e-7)
  })

  it('differentiate at second order (double backprop through the native filter gradient)', async () => {
    // penalty(x, t) = sum((dL/dW)^2) with L = <conv2d(x, W), t>: its gradients w.r.t. x and t
    // run through Conv2DBackpropFilter's own gradient. Compared with the all-ops route
    // (native off), which the finite-difference tests cover.
    await initBackend('wasm')
    const c: ConvCase = { n: 2, h: 9, w: 9, ci: 3, co: 5, k: 3, s: 2, pad: 'same' }
    const d = data(c, 21)
    const penaltyGrads = (): Float32Array[] =>
      tf.tidy(() => {
        const g = tf.grads((x: tf.Tensor, t: tf.Tensor) => {
          const dW = tf.grad((w: tf.Tensor) =>
            tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad), t))
          )(d.f)
          return tf.sum(tf.square(dW))
        })([d.x, d.dy])
        return g.map((t) => t.dataSync() as Float32Array)
      })
    const viaNative = penaltyGrads()
    const viaOps = withNativeKernelsOff(penaltyGrads)
    expect(maxRelError(viaNative[0]!, viaOps[0]!)).toBeLessThan(1e-5)
    expect(maxRelError(viaNative[1]!, viaOps[1]!)).toBeLessThan(1e-5)
    // Neither gradient is zero: the checks above are not vacuous.
    expect(Math.max(...viaNative[0]!.map(Math.abs))).toBeGreaterThan(1e-2)
    expect(Math.max(...viaNative[1]!.map(Math.abs))).toBeGreaterThan(1e-2)
    tf.dispose([d.x, d.f, d.dy])
  })

  it('refuse arrays that do not match the shape, and dy of the wrong shape', async () => {
    const shape = Int32Array.of(1, 4, 4, 2, 3, 3, 3, 1, 1, 1, 1, 1, 1, 4, 4)
    expect(() =>
      native.conv2d(new Float32Array(32), new Float32Array(54), new Float32Array(47), shape)
    ).toThrow(/sizes do not match/)
    expect(() =>
      native.conv2d(
        new Float32Array(32),
        new Float32Array(54),
        new Float32Array(48),
        new Int32Array(3)
      )
    ).toThrow(/15 values/)
    expect(() =>
      native.conv2d(
        new Float32Array(32),
        new Float32Array(54),
        new Float32Array(48),
        shape.map((v, i) => (i === 7 ? 0 : v))
      )
    ).toThrow(/invalid convolution shape/)
    await initBackend('wasm')
    const x = tf.zeros([1, 4, 4, 2])
    const dy = tf.zeros([1, 3, 3, 3])
    const attrs: FilterGradAttrs = {
      strides: 1,
      pad: 'same',
      dataFormat: 'NHWC',
      filterShape: [3, 3, 2, 3]
    }
    expect(() =>
      tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs as unknown as tf.NamedAttrMap)
    ).toThrow(/dy is \[1,3,3,3\], the convolution gives \[1,4,4,3\]/)
    tf.dispose([x, dy])
  })
})
