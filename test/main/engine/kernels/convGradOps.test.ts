import { afterAll, describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import {
  conv2dBackpropFilterOps,
  conv2dBackpropInputOps
} from '../../../../src/main/engine/kernels/convGradOps'
import {
  nativeKernelStatus,
  setNativeKernels
} from '../../../../src/main/engine/kernels/nativeKernels'
import { maxRelError } from '../../../helpers/compare'
import { convLabel, type ConvCase } from '../../../helpers/convCases'

/** The native kernels' settings to test under: off always, on where they are built. */
const nativeModes = nativeKernelStatus().active ? [false, true] : [false]

const shapes: ConvCase[] = [
  { n: 2, h: 5, w: 5, ci: 1, co: 3, k: 3, s: 1, pad: 'same' },
  { n: 2, h: 7, w: 7, ci: 3, co: 4, k: 3, s: 2, pad: 'same' },
  { n: 1, h: 8, w: 8, ci: 2, co: 2, k: 3, s: 2, pad: 'same' },
  { n: 1, h: 8, w: 6, ci: 2, co: 5, k: 4, s: 2, pad: 'same' },
  { n: 2, h: 9, w: 6, ci: 4, co: 5, k: 3, s: 2, pad: 'valid' },
  { n: 1, h: 7, w: 7, ci: 3, co: 2, k: 2, s: 2, pad: 'valid' },
  { n: 1, h: 6, w: 6, ci: 64, co: 8, k: 3, s: 1, pad: 'same' },
  { n: 1, h: 5, w: 5, ci: 8, co: 64, k: 1, s: 2, pad: 'valid' },
  { n: 1, h: 10, w: 9, ci: 3, co: 3, k: 5, s: 2, pad: 'same' },
  { n: 1, h: 6, w: 7, ci: 2, co: 3, k: 3, s: 1, pad: 'valid' },
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
  { n: 2, h: 28, w: 28, ci: 1, co: 32, k: 3, s: 1, pad: 'same' },
  { n: 1, h: 28, w: 28, ci: 32, co: 32, k: 3, s: 2, pad: 'same' },
  { n: 1, h: 14, w: 14, ci: 64, co: 64, k: 3, s: 2, pad: 'same' }
]

interface Data {
  x: Float32Array
  f: Float32Array
  dy: Float32Array
  dyShape: number[]
  dx: Float32Array
  dw: Float32Array
}

/** Reference gradients from the cpu backend's stock kernels (native kernels off). */
function reference(sh: ConvCase, seed: number): Data {
  setNativeKernels(false)
  try {
    return referenceData(sh, seed)
  } finally {
    setNativeKernels(true)
  }
}

function referenceData(sh: ConvCase, seed: number): Data {
  return tf.tidy(() => {
    const x = tf.randomNormal([sh.n, sh.h, sh.w, sh.ci], 0, 1, 'float32', seed) as tf.Tensor4D
    const f = tf.randomNormal([sh.k, sh.k, sh.ci, sh.co], 0, 1, 'float32', seed + 1) as tf.Tensor4D
    const y = tf.conv2d(x, f, sh.s, sh.pad)
    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', seed + 2) as tf.Tensor4D
    const attrs = { strides: sh.s, pad: sh.pad, dataFormat: 'NHWC', dimRoundingMode: undefined }
    const dx = tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: f }, {
      ...attrs,
      inputShape: x.shape
    } as unknown as tf.NamedAttrMap) as tf.Tensor
    const dw = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, {
      ...attrs,
      filterShape: f.shape
    } as unknown as tf.NamedAttrMap) as tf.Tensor
    return {
      x: x.dataSync() as Float32Array,
      f: f.dataSync() as Float32Array,
      dy: dy.dataSync() as Float32Array,
      dyShape: dy.shape,
      dx: dx.dataSync() as Float32Array,
      dw: dw.dataSync() as Float32Array
    }
  })
}

function ours(sh: ConvCase, d: Data): { dx: Float32Array; dw: Float32Array } {
  return tf.tidy(() => {
    const x = tf.tensor4d(d.x, [sh.n, sh.h, sh.w, sh.ci])
    const f = tf.tensor4d(d.f, [sh.k, sh.k, sh.ci, sh.co])
    const dy = tf.tensor4d(d.dy, d.dyShape as [number, number, number, number])
    const dx = conv2dBackpropInputOps(x.shape as number[], dy, f, sh.s, sh.pad)
    const dw = conv2dBackpropFilterOps(x, dy, f.shape, sh.s, sh.pad)
    expect(dx.shape).toEqual(x.shape)
    expect(dw.shape).toEqual(f.shape)
    return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array }
  })
}

describe('conv gradients as forward convolutions equal the stock cpu kernels', () => {
  afterAll(async () => {
    await initBackend('cpu')
  })

  it('on the cpu and wasm backends, for many shapes', async () => {
    await initBackend('cpu')
    const refs = shapes.map((sh, i) => reference(sh, 100 + i))
    for (const backend of ['cpu', 'wasm'] as const) {
      await initBackend(backend)
      for (const native of nativeModes) {
        setNativeKernels(native)
        const before = tf.memory().numTensors
        shapes.forEach((sh, i) => {
          const got = ours(sh, refs[i]!)
          const what = `${backend}${native ? ' native' : ''} ${convLabel(sh)}`
          expect(maxRelError(got.dx, refs[i]!.dx), `dx ${what}`).toBeLessThan(1e-5)
          expect(maxRelError(got.dw, refs[i]!.dw), `dW ${what}`).toBeLessThan(1e-5)
        })
        expect(tf.memory().numTensors).toBe(before)
      }
      setNativeKernels(true)
    }
  })

  it('tf.grad through conv2d uses them and agrees with the stock kernels', async () => {
    await initBackend('cpu')
    const sh = shapes[1]!
    const d = reference(sh, 7)
    await initBackend('wasm')
    const [gx, gw] = tf.tidy(() => {
      const x = tf.tensor4d(d.x, [sh.n, sh.h, sh.w, sh.ci])
      const f = tf.tensor4d(d.f, [sh.k, sh.k, sh.ci, sh.co])
      const dy = tf.tensor(d.dy, d.dyShape)
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, sh.s, sh.pad), dy))
      )([x, f])
      return g.map((t) => t.dataSync() as Float32Array)
    })
    expect(maxRelError(gx!, d.dx)).toBeLessThan(1e-5)
    expect(maxRelError(gw!, d.dw)).toBeLessThan(1e-5)
  })
})
