/**
 * The TensorFlow.js Layers import widened to the ONNX operator families: tanh / sigmoid /
 * ReLU6 / leaky ReLU / ELU / swish activations, average pooling ('same' included), max pooling
 * that pads, depthwise and separable convolutions, zero padding, global max pooling. A model
 * built with tf.layers is saved, imported, and must predict what tf.layers predicts; its
 * input gradient must match finite differences (the 'same' average pool's border trap); and it
 * must export back to Layers files that tfjs loads, and to ONNX.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/main/engine/backend'
import { Network } from '../../../../src/main/engine/models'
import {
  exportLayersModel,
  importLayersModel
} from '../../../../src/main/engine/models/layersFormat'
import {
  writeLayersModelFiles,
  type LayersWeightSpec
} from '../../../../src/main/engine/models/layers/files'
import { exportOnnxModel, importOnnxModel } from '../../../../src/main/engine/models/onnx'
import { tf, type Tensor4D } from '../../../../src/main/engine/tf'

let root: string
beforeAll(async () => {
  await initBackend('cpu')
  root = mkdtempSync(join(tmpdir(), 'ortholens-layers-wide-'))
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** 9x9x3 → every newly supported layer → 4 logits; weights randomised with a seed. */
function wideModel(): tf.LayersModel {
  const input = tf.input({ shape: [9, 9, 3], name: 'image' })
  let x = tf.layers
    .conv2d({ name: 'c1', filters: 6, kernelSize: 3, padding: 'same', activation: 'tanh' })
    .apply(input) as tf.SymbolicTensor
  x = tf.layers
    .averagePooling2d({ name: 'avg', poolSize: 3, strides: 2, padding: 'same' })
    .apply(x) as tf.SymbolicTensor
  x = tf.layers
    .depthwiseConv2d({
      name: 'dw',
      kernelSize: 3,
      depthMultiplier: 2,
      padding: 'same',
      activation: 'relu6'
    })
    .apply(x) as tf.SymbolicTensor
  x = tf.layers.leakyReLU({ name: 'leaky', alpha: 0.2 }).apply(x) as tf.SymbolicTensor
  x = tf.layers
    .zeroPadding2d({
      name: 'zp',
      padding: [
        [1, 0],
        [0, 1]
      ]
    })
    .apply(x) as tf.SymbolicTensor
  const skip = x
  let y = tf.layers
    .separableConv2d({
      name: 'sep',
      filters: 12,
      kernelSize: 3,
      padding: 'same',
      activation: 'sigmoid'
    })
    .apply(x) as tf.SymbolicTensor
  y = tf.layers.activation({ name: 'sw', activation: 'swish' }).apply(y) as tf.SymbolicTensor
  x = tf.layers.add({ name: 'res' }).apply([y, skip]) as tf.SymbolicTensor
  x = tf.layers.elu({ name: 'elu' }).apply(x) as tf.SymbolicTensor
  x = tf.layers
    .maxPooling2d({ name: 'mp', poolSize: 2, strides: 2, padding: 'same' })
    .apply(x) as tf.SymbolicTensor
  x = tf.layers.globalMaxPooling2d({ name: 'gmp' }).apply(x) as tf.SymbolicTensor
  x = tf.layers
    .dense({ name: 'fc', units: 8, activation: 'hardSigmoid' })
    .apply(x) as tf.SymbolicTensor
  const out = tf.layers.dense({ name: 'logits', units: 4 }).apply(x) as tf.SymbolicTensor
  const model = tf.model({ inputs: input, outputs: out })
  model.layers.forEach((layer, i) => {
    const ws = layer
      .getWeights()
      .map((w, j) => tf.randomUniform(w.shape, -0.6, 0.6, 'float32', 100 + i * 10 + j))
    layer.setWeights(ws)
    tf.dispose(ws)
  })
  return model
}

async function save(model: tf.LayersModel, dir: string): Promise<void> {
  let captured: tf.io.ModelArtifacts | undefined
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      captured = a
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    })
  )
  const data = captured!.weightData as ArrayBuffer
  writeLayersModelFiles(
    dir,
    {
      modelTopology: captured!.modelTopology,
      weightSpecs: captured!.weightSpecs as LayersWeightSpec[],
      weightData: new Uint8Array(data)
    },
    { generatedBy: 'test' }
  )
}

describe('TF.js Layers import: the widened layer set', () => {
  it('predicts what tf.layers predicts, with finite-difference input gradients, and exports back', async () => {
    await initBackend('cpu')
    const model = wideModel()
    const dir = join(root, 'wide')
    await save(model, dir)
    const imported = await importLayersModel(dir)
    const kinds = new Set<string>()
    const walk = (ls: typeof imported.architecture.layers): void =>
      ls.forEach((l) => {
        kinds.add(l.kind === 'activation' ? `activation:${l.fn}` : l.kind)
        if (l.kind === 'residual') {
          walk(l.body)
          walk(l.shortcut)
        }
      })
    walk(imported.architecture.layers)
    for (const k of [
      'avgpool',
      'depthwise',
      'separable',
      'zeropad',
      'gmp',
      'maxpool',
      'activation:tanh',
      'activation:relu6',
      'activation:leaky_relu',
      'activation:sigmoid',
      'activation:swish',
      'activation:elu',
      'activation:hard_sigmoid'
    ]) {
      expect(kinds.has(k), k).toBe(true)
    }
    const net = new Network(imported.architecture, 'wide', 'wide', 0)
    net.loadWeights(imported.weights)
    try {
      const x = tf.randomUniform([3, 9, 9, 3], 0, 1, 'float32', 5) as Tensor4D
      const ours = net.predictLogits(x)
      const theirs = model.predict(x) as tf.Tensor
      const diff = tf.max(tf.abs(tf.sub(ours, theirs))).dataSync()[0]!
      expect(diff).toBeLessThan(1e-5)
      expect(tf.max(tf.abs(theirs)).dataSync()[0]!).toBeGreaterThan(0.05)

      // Input gradient against central differences, at border pixels (where a wrong 'same'
      // average-pool gradient shows) and inside.
      const one = x.slice([0, 0, 0, 0], [1, 9, 9, 3]) as Tensor4D
      const f = (t: tf.Tensor): tf.Scalar =>
        tf.sum(tf.mul(net.predictLogits(t as Tensor4D), tf.tensor1d([1, -2, 0.5, 3])))
      const g = tf.grad(f)(one).dataSync()
      const base = one.dataSync()
      for (const i of [0, 2, 3 * 8, 3 * 9 * 8 + 26, 3 * 40 + 1, 242]) {
        const eps = 1e-2
        const up = base.slice()
        up[i]! += eps
        const dn = base.slice()
        dn[i]! -= eps
        const fd =
          (f(tf.tensor4d(up, [1, 9, 9, 3])).dataSync()[0]! -
            f(tf.tensor4d(dn, [1, 9, 9, 3])).dataSync()[0]!) /
          (2 * eps)
        expect(Math.abs(fd - g[i]!)).toBeLessThan(2e-3 + 2e-2 * Math.abs(fd))
      }

      const out = await exportLayersModel(net, join(root, 'wide-export'))
      const json = JSON.parse(readFileSync(out.modelJson, 'utf8'))
      const bin = readFileSync(join(dirname(out.modelJson), json.weightsManifest[0].paths[0]))
      const reloaded = await tf.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: json.modelTopology,
          weightSpecs: json.weightsManifest[0].weights,
          weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength)
        })
      )
      expect(
        tf.max(tf.abs(tf.sub(reloaded.predict(x) as tf.Tensor, theirs))).dataSync()[0]!
      ).toBeLessThan(1e-5)
      reloaded.dispose()

      // And to ONNX: every new stage maps to ONNX operators (the export re-imports and compares).
      const onnx = exportOnnxModel(net, join(root, 'wide.onnx'))
      expect(onnx.maxAbsDiff).toBeLessThan(1e-5)
      const ops = importOnnxModel(onnx.file).info.operators
      for (const op of [
        'AveragePool',
        'MaxPool',
        'Pad',
        'GlobalMaxPool',
        'Tanh',
        'Clip',
        'LeakyRelu',
        'Sigmoid',
        'Elu',
        'HardSigmoid',
        'Mul',
        'Add'
      ]) {
        expect(ops, op).toContain(op)
      }
    } finally {
      net.dispose()
      model.dispose()
    }
  })

  it('computes input gradients through depthwise and separable layers on wasm (no depthwise backprop kernel there)', async () => {
    const model = wideModel()
    const dir = join(root, 'wide-wasm')
    await save(model, dir)
    const imported = await importLayersModel(dir)
    model.dispose()
    const cpuGrad = (): Float32Array => {
      const net = new Network(imported.architecture, 'w', 'w', 0)
      net.loadWeights(imported.weights)
      try {
        const x = tf.randomUniform([2, 9, 9, 3], 0, 1, 'float32', 8) as Tensor4D
        return tf
          .grad((t) => tf.sum(net.predictLogits(t as Tensor4D)))(x)
          .dataSync() as Float32Array
      } finally {
        net.dispose()
      }
    }
    await initBackend('cpu')
    const onCpu = cpuGrad()
    await initBackend('wasm')
    const onWasm = cpuGrad()
    await initBackend('cpu')
    let worst = 0
    onCpu.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - onWasm[i]!))))
    expect(worst).toBeLessThan(1e-4)
    expect(Math.max(...Array.from(onCpu, Math.abs))).toBeGreaterThan(1e-3)
  })
})
