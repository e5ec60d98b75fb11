/**
 * An imported ONNX model's max pools follow PyTorch's gradient rule at ties: the first maximum
 * of a window in scan order takes all of dy. The model (scripts/conformance/onnx-pool-ties.py)
 * is exported by PyTorch: an overlapping, padded MaxPool, a ceil-mode MaxPool and a
 * GlobalMaxPool, on images made of flat rectangles, with weights and pixels chosen so that
 * every tie is exact in float32 on both sides. The reference is PyTorch's float64 gradient.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BackendName } from '../../../../src/main/engine/backend'
import { initBackend } from '../../../../src/main/engine/backend'
import { setNativeKernels } from '../../../../src/main/engine/kernels/nativeKernels'
import { setMaxPoolTieRule } from '../../../../src/main/engine/kernels/poolGradOps'
import { importOnnxModel, onnxModelFromStored } from '../../../../src/main/engine/models/onnx'
import { softmaxCrossEntropy } from '../../../../src/main/engine/ops/crossEntropy'
import { tf, type Tensor4D } from '../../../../src/main/engine/tf'

const DIR = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'conformance')
const fixture = JSON.parse(readFileSync(join(DIR, 'onnx-pool-ties.json'), 'utf8')) as {
  operators: string[]
  inputShape: [number, number, number]
  images: number[][]
  labels: number[]
  logits: number[][]
  gradient: number[][]
}

/** The imported model's logits and d sum(CE) / d input, NHWC, one row per image. */
function run(): { logits: number[][]; gradient: number[][] } {
  const imported = importOnnxModel(join(DIR, 'onnx-pool-ties.onnx'), {
    preprocessing: { layout: 'NCHW', valueScale: 1, mean: [0], std: [1] }
  })
  const model = onnxModelFromStored(imported.architecture, imported.weights, {
    id: 'ties',
    name: 'ties'
  })
  try {
    return tf.tidy(() => {
      const [h, w, c] = fixture.inputShape
      const x = tf.tensor4d(fixture.images.flat(), [fixture.images.length, h, w, c])
      const labels = tf.tensor1d(fixture.labels, 'int32')
      const logits = model.predictLogits(x).arraySync()
      const g = tf.grad((input) =>
        tf.sum(softmaxCrossEntropy(model.predictLogits(input as Tensor4D), labels, 'none'))
      )(x)
      return { logits, gradient: g.reshape([fixture.images.length, -1]).arraySync() as number[][] }
    })
  } finally {
    model.dispose()
  }
}

/** Largest |a − b| over all entries, relative to the largest |b|. */
function worstRelative(a: number[][], b: number[][]): number {
  const scale = Math.max(...b.flat().map(Math.abs))
  return Math.max(...a.flat().map((v, i) => Math.abs(v - b.flat()[i]!))) / scale
}

describe('ONNX max pools at ties, against PyTorch', () => {
  afterEach(() => {
    setMaxPoolTieRule('first')
    setNativeKernels(true)
  })

  it('the fixture has MaxPool and GlobalMaxPool and images full of flat regions', () => {
    expect(fixture.operators).toEqual(expect.arrayContaining(['MaxPool', 'GlobalMaxPool']))
    for (const image of fixture.images) expect(new Set(image).size).toBeLessThanOrEqual(5)
  })

  for (const backend of ['cpu', 'wasm'] as BackendName[]) {
    for (const native of [true, false]) {
      it(`${backend}, native kernels ${native ? 'on' : 'off'}: logits and input gradients are PyTorch's`, async () => {
        await initBackend(backend)
        setNativeKernels(native)
        const { logits, gradient } = run()
        expect(worstRelative(logits, fixture.logits)).toBeLessThan(1e-6)
        // Exact ties, exact sums: only the final float32 roundings separate the two.
        expect(worstRelative(gradient, fixture.gradient)).toBeLessThan(1e-5)
      })
    }
  }

  it('the shared rule gives another gradient on the same model (the ties matter)', async () => {
    await initBackend('cpu')
    setMaxPoolTieRule('split')
    const { gradient } = run()
    expect(worstRelative(gradient, fixture.gradient)).toBeGreaterThan(0.1)
  })
})
