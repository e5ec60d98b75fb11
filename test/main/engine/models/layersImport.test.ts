import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/main/engine/backend'
import { buildModel, networkFromArchitecture } from '../../../../src/main/engine/models'
import {
  exportLayersModel,
  importLayersModel
} from '../../../../src/main/engine/models/layersFormat'
import { tf } from '../../../../src/main/engine/tf'

let root: string
beforeAll(async () => {
  await initBackend('cpu')
  root = mkdtempSync(join(tmpdir(), 'ortholens-layers-import-'))
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** Deterministic values in roughly [-0.5, 0.5]. */
function values(n: number, seed: number, offset = 0): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => offset + 0.5 * Math.sin(seed * 1.7 + i * 0.91))
}

// A Keras Sequential model written by hand, as tfjs / the Keras converter would save it:
// 6x6x2 -> Conv2D(4, 3x3, valid, relu) -> BatchNorm(center: false) -> MaxPool(2) -> Flatten
// -> Dropout -> Dense(3, softmax).
const WEIGHTS: { name: string; shape: number[]; data: Float32Array }[] = [
  { name: 'c1/kernel', shape: [3, 3, 2, 4], data: values(72, 1) },
  { name: 'c1/bias', shape: [4], data: values(4, 2) },
  { name: 'bn/gamma', shape: [4], data: values(4, 3, 1) },
  { name: 'bn/moving_mean', shape: [4], data: values(4, 4) },
  {
    name: 'bn/moving_variance',
    shape: [4],
    data: Float32Array.from(values(4, 5), (v) => 0.6 + Math.abs(v))
  },
  { name: 'out/kernel', shape: [16, 3], data: values(48, 6) },
  { name: 'out/bias', shape: [3], data: values(3, 7) }
]

function sequentialJson(): Record<string, unknown> {
  return {
    format: 'layers-model',
    generatedBy: 'hand',
    convertedBy: null,
    modelTopology: {
      class_name: 'Sequential',
      config: {
        name: 'tiny',
        layers: [
          {
            class_name: 'Conv2D',
            config: {
              name: 'c1',
              filters: 4,
              kernel_size: [3, 3],
              strides: [1, 1],
              padding: 'valid',
              data_format: 'channels_last',
              dilation_rate: [1, 1],
              activation: 'relu',
              use_bias: true,
              batch_input_shape: [null, 6, 6, 2],
              dtype: 'float32'
            }
          },
          {
            class_name: 'BatchNormalization',
            config: {
              name: 'bn',
              axis: -1,
              momentum: 0.99,
              epsilon: 0.001,
              center: false,
              scale: true
            }
          },
          {
            class_name: 'MaxPooling2D',
            config: {
              name: 'pool',
              pool_size: [2, 2],
              strides: [2, 2],
              padding: 'valid',
              data_format: 'channels_last'
            }
          },
          { class_name: 'Flatten', config: { name: 'flat' } },
          { class_name: 'Dropout', config: { name: 'drop', rate: 0.5 } },
          {
            class_name: 'Dense',
            config: { name: 'out', units: 3, activation: 'softmax', use_bias: true }
          }
        ]
      },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js'
    },
    weightsManifest: [
      {
        paths: ['group1-shard1of1.bin'],
        weights: WEIGHTS.map(({ name, shape }) => ({ name, shape, dtype: 'float32' }))
      }
    ]
  }
}

/** Writes the hand-made model into a fresh folder; `edit` may damage it. */
function writeTiny(
  name: string,
  edit?: (json: Record<string, unknown>, bin: Float32Array) => void
): string {
  const dir = join(root, name)
  mkdirSync(dir, { recursive: true })
  const json = sequentialJson()
  const bin = new Float32Array(WEIGHTS.reduce((n, w) => n + w.data.length, 0))
  let at = 0
  for (const w of WEIGHTS) {
    bin.set(w.data, at)
    at += w.data.length
  }
  edit?.(json, bin)
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json))
  writeFileSync(join(dir, 'group1-shard1of1.bin'), Buffer.from(bin.buffer))
  return dir
}

/** The same model built with tf.layers, its dense layer linear so that it outputs logits. */
function tinyWithTfLayers(activation: 'softmax' | 'linear'): tf.LayersModel {
  const m = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [6, 6, 2],
        filters: 4,
        kernelSize: 3,
        padding: 'valid',
        activation: 'relu',
        name: 'c1'
      }),
      tf.layers.batchNormalization({ center: false, epsilon: 0.001, name: 'bn' }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: 'pool' }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dropout({ rate: 0.5, name: 'drop' }),
      tf.layers.dense({ units: 3, activation, name: 'out' })
    ]
  })
  const t = (i: number) => tf.tensor(WEIGHTS[i]!.data, WEIGHTS[i]!.shape)
  const ws = [
    [t(0), t(1)],
    [t(2), t(3), t(4)],
    [t(5), t(6)]
  ]
  m.getLayer('c1').setWeights(ws[0]!)
  m.getLayer('bn').setWeights(ws[1]!)
  m.getLayer('out').setWeights(ws[2]!)
  tf.dispose(ws.flat())
  return m
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!)
}

describe('importLayersModel: a hand-written Sequential model.json', () => {
  it('imports BatchNorm(center: false) and predicts the logits of the same tf.layers model', async () => {
    const dir = writeTiny('tiny')
    const imported = await importLayersModel(join(dir, 'model.json'))
    expect(imported.architecture.arch).toBe('imported')
    expect(imported.architecture.inputShape).toEqual([6, 6, 2])
    expect(imported.architecture.numClasses).toBe(3)
    expect(imported.architecture.layers.map((l) => l.kind)).toEqual([
      'conv',
      'relu',
      'batchnorm',
      'maxpool',
      'flatten',
      'dense'
    ])
    expect(imported.warnings.join('\n')).toMatch(/softmax/)
    expect(imported.warnings.join('\n')).toMatch(/beta = 0/)
    expect(imported.warnings.join('\n')).toMatch(/drop: Dropout/)
    const net = networkFromArchitecture(imported.architecture, { id: 'tiny', name: 'tiny' })
    net.loadWeights(imported.weights)
    // The inserted beta is exactly zero, the momentum kept in Keras' convention.
    expect(Array.from(net.param('bn/beta').dataSync())).toEqual([0, 0, 0, 0])
    const bn = imported.architecture.layers[2]!
    expect(bn).toMatchObject({ kind: 'batchnorm', epsilon: 0.001, momentum: 0.99 })

    const x = tf.randomUniform([5, 6, 6, 2], 0, 1, 'float32', 3) as tf.Tensor4D
    const logits = net.predictLogits(x)
    const linear = tinyWithTfLayers('linear')
    expect(maxAbsDiff(logits, linear.predict(x) as tf.Tensor)).toBeLessThan(1e-5)
    // The file's own model (loaded by tfjs) outputs the softmax of our logits.
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'))
    const bin = readFileSync(join(dir, 'group1-shard1of1.bin'))
    const fromFiles = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength)
      })
    )
    const probs = fromFiles.predict(x) as tf.Tensor
    expect(maxAbsDiff(tf.softmax(logits), probs)).toBeLessThan(1e-6)
    expect(tf.tidy(() => tf.max(tf.abs(logits)).dataSync()[0]!)).toBeGreaterThan(0.05)

    // The tfjs trap: differentiating through Layers' BatchNormalization(center: false) throws;
    // the imported Network runs our own batch norm, so input gradients work.
    const g = tf.grad((inp: tf.Tensor) => tf.sum(net.predictLogits(inp as tf.Tensor4D)))(x)
    expect(g.shape).toEqual([5, 6, 6, 2])
    expect(tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]!)).toBeGreaterThan(0)
    tf.dispose([x, logits, probs, g])
    linear.dispose()
    fromFiles.dispose()
    net.dispose()
  })

  it('fills an open input size from the given shape, and refuses to guess without one', async () => {
    const dir = writeTiny('open', (json) => {
      const layers = (
        json.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }
      ).config.layers
      layers[0]!.config.batch_input_shape = [null, null, null, 2]
    })
    await expect(importLayersModel(dir)).rejects.toThrow(/input size is open.*against a dataset/)
    const imported = await importLayersModel(dir, { inputShape: [6, 6, 2] })
    expect(imported.architecture.inputShape).toEqual([6, 6, 2])
  })
})

describe('importLayersModel: damaged or unsupported files', () => {
  it('names the model.json that is not JSON', async () => {
    const dir = writeTiny('corrupt')
    writeFileSync(join(dir, 'model.json'), '{"format": "layers-model", "modelTopology": ')
    await expect(importLayersModel(dir)).rejects.toThrow(
      new RegExp(`${join(dir, 'model.json')} is not valid JSON`)
    )
  })

  it('names the missing weight shard', async () => {
    const dir = writeTiny('missing')
    unlinkSync(join(dir, 'group1-shard1of1.bin'))
    await expect(importLayersModel(dir)).rejects.toThrow(
      /Weight file .*missing\/group1-shard1of1\.bin .*is missing/
    )
  })

  it('names the truncated shard and both byte counts', async () => {
    const dir = writeTiny('truncated')
    const bin = readFileSync(join(dir, 'group1-shard1of1.bin'))
    writeFileSync(join(dir, 'group1-shard1of1.bin'), bin.subarray(0, bin.length - 8))
    const total = WEIGHTS.reduce((n, w) => n + w.data.length, 0) * 4
    await expect(importLayersModel(dir)).rejects.toThrow(
      new RegExp(
        `truncated/group1-shard1of1\\.bin holds ${total - 8} bytes, but model\\.json describes ${total} bytes \\(truncated\\)`
      )
    )
  })

  it('names the weight and file holding a NaN', async () => {
    const dir = writeTiny('nan', (_json, bin) => {
      bin[72 + 4 + 2] = Number.NaN // bn/gamma, element 2
    })
    await expect(importLayersModel(dir)).rejects.toThrow(
      /Weight "bn\/gamma" in .*nan\/group1-shard1of1\.bin holds a non-finite value \(NaN or Inf\) at element 2/
    )
  })

  it('lists every unsupported layer with its class', async () => {
    const dir = writeTiny('unsupported', (json) => {
      const layers = (json.modelTopology as { config: { layers: unknown[] } }).config.layers
      layers.splice(
        2,
        0,
        {
          class_name: 'AveragePooling2D',
          config: { name: 'avg', pool_size: [2, 2], padding: 'causal' }
        },
        {
          class_name: 'DepthwiseConv2D',
          config: { name: 'dw', kernel_size: [3, 3], dilation_rate: [2, 2] }
        },
        { class_name: 'Activation', config: { name: 'act', activation: 'gelu' } }
      )
    })
    const err = await importLayersModel(dir).then(
      () => undefined,
      (e: Error) => e
    )
    expect(err?.message).toMatch(/cannot import/)
    expect(err?.message).toMatch(/avg \(AveragePooling2D\): padding "causal"/)
    expect(err?.message).toMatch(/dw \(DepthwiseConv2D\): dilated/)
    expect(err?.message).toMatch(/act \(Activation\): activation "gelu"/)
    expect(err?.message).not.toMatch(/c1 \(Conv2D\)/)
  })

  it('refuses a graph model and a Rescaling to another input range, accepts Rescaling(1/255)', async () => {
    const graph = writeTiny('graph', (json) => {
      json.format = 'graph-model'
    })
    await expect(importLayersModel(graph)).rejects.toThrow(/graph model/)
    const addRescaling = (scale: number, offset: number) => (json: Record<string, unknown>) => {
      const layers = (
        json.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }
      ).config.layers
      const shape = layers[0]!.config.batch_input_shape
      delete layers[0]!.config.batch_input_shape
      layers.unshift({
        class_name: 'Rescaling',
        config: { name: 'rescale', scale, offset, batch_input_shape: shape }
      } as never)
    }
    await expect(
      importLayersModel(writeTiny('rescale-bad', addRescaling(1 / 127.5, -1)))
    ).rejects.toThrow(/rescale \(Rescaling\): Rescaling\(scale=0\.00784.*offset=-1\)/)
    const ok = await importLayersModel(writeTiny('rescale-ok', addRescaling(1 / 255, 0)))
    expect(ok.architecture.layers[0]!.kind).toBe('conv')
    expect(ok.architecture.inputShape).toEqual([6, 6, 2])
    expect(ok.warnings.join('\n')).toMatch(/Rescaling\(1\/255\) dropped/)
  })

  it('refuses a functional graph that branches without an Add', async () => {
    const dir = join(root, 'concat')
    mkdirSync(dir, { recursive: true })
    const inp = tf.input({ shape: [4, 4, 1], name: 'in' })
    const a = tf.layers
      .conv2d({ filters: 2, kernelSize: 1, name: 'a' })
      .apply(inp) as tf.SymbolicTensor
    const b = tf.layers
      .conv2d({ filters: 2, kernelSize: 1, name: 'b' })
      .apply(inp) as tf.SymbolicTensor
    const cat = tf.layers.concatenate({ name: 'cat' }).apply([a, b]) as tf.SymbolicTensor
    const out = tf.layers
      .dense({ units: 2, name: 'd' })
      .apply(tf.layers.flatten({ name: 'f' }).apply(cat)) as tf.SymbolicTensor
    const model = tf.model({ inputs: inp, outputs: out })
    await model.save(
      tf.io.withSaveHandler(async (art) => {
        const data = art.weightData as ArrayBuffer
        writeFileSync(
          join(dir, 'model.json'),
          JSON.stringify({
            format: 'layers-model',
            modelTopology: art.modelTopology,
            weightsManifest: [{ paths: ['w.bin'], weights: art.weightSpecs }]
          })
        )
        writeFileSync(join(dir, 'w.bin'), Buffer.from(data))
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
      })
    )
    model.dispose()
    await expect(importLayersModel(dir)).rejects.toThrow(/cat \(Concatenate\)/)
  })
})

describe('importLayersModel: the Keras 3 topology dialect', () => {
  it('reads Functional graphs wrapped in model_config, with keras_history inbound nodes and batch_shape', async () => {
    const net = buildModel('resnet20', [8, 8, 3], 3, { seed: 8 })
    const dir = join(root, 'keras3')
    const { modelJson } = await exportLayersModel(net, dir)
    const json = JSON.parse(readFileSync(modelJson, 'utf8'))
    const topo = json.modelTopology
    const tensor = (e: unknown[]) => ({
      class_name: '__keras_tensor__',
      config: { shape: null, dtype: 'float32', keras_history: [e[0], e[1], e[2]] }
    })
    for (const l of topo.config.layers) {
      l.inbound_nodes = l.inbound_nodes.map((node: unknown[][]) => ({
        args: node.length === 1 ? [tensor(node[0]!)] : [node.map(tensor)],
        kwargs: {}
      }))
      if (l.class_name === 'InputLayer') {
        l.config.batch_shape = l.config.batch_input_shape
        delete l.config.batch_input_shape
      }
    }
    topo.config.input_layers = topo.config.input_layers[0]
    topo.config.output_layers = topo.config.output_layers[0]
    json.modelTopology = {
      model_config: { class_name: 'Functional', config: topo.config },
      keras_version: '3.4.1'
    }
    writeFileSync(modelJson, JSON.stringify(json))

    const imported = await importLayersModel(dir)
    expect(imported.architecture.layers.filter((l) => l.kind === 'residual')).toHaveLength(9)
    const back = networkFromArchitecture(imported.architecture, { id: 'k3', name: 'k3' })
    back.loadWeights(imported.weights)
    const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 4) as tf.Tensor4D
    const a = net.predictLogits(x)
    const b = back.predictLogits(x)
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-4)
    tf.dispose([x, a, b])
    back.dispose()
    net.dispose()
  })
})
