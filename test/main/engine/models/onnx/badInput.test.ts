/**
 * Bad input: every refusal says what is wrong and where, allocates nothing the file does not
 * hold, and leaves no tensors behind. Files are written with the engine's own writer (or
 * damaged copies of a PyTorch fixture).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../../src/main/engine/backend'
import {
  importOnnxModel,
  OnnxImportError,
  onnxModelFromStored
} from '../../../../../src/main/engine/models/onnx'
import {
  encodeOnnx,
  floatTensor,
  type ModelSpec
} from '../../../../../src/main/engine/models/onnx/writer'
import { tf, type Tensor4D } from '../../../../../src/main/engine/tf'
import { FIXTURE_DIR } from './fixtureData'
import { tinyConv, values } from './tinyModels'

let root: string
beforeAll(async () => {
  await initBackend('cpu')
  root = mkdtempSync(join(tmpdir(), 'ortholens-onnx-bad-'))
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

let counter = 0
function write(bytes: Uint8Array | string, name = `m${counter++}.onnx`, dir = root): string {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, name)
  writeFileSync(path, bytes)
  return path
}

/** The import's error, checking that it is an OnnxImportError and that no tensor was left behind. */
function refusal(path: string, options = {}): string {
  const before = tf.memory().numTensors
  let error: unknown
  try {
    importOnnxModel(path, options)
  } catch (err) {
    error = err
  }
  expect(tf.memory().numTensors).toBe(before)
  expect(error).toBeInstanceOf(OnnxImportError)
  return (error as Error).message
}

describe('ONNX import refuses bad files clearly', () => {
  it('imports the tiny model itself (the baseline the damaged copies start from)', () => {
    const imported = importOnnxModel(write(encodeOnnx(tinyConv())))
    expect(imported.architecture.numClasses).toBe(4)
    expect(imported.architecture.inputShape).toEqual([5, 5, 2])
  })

  it('a file that is not ONNX: JSON, PNG bytes, text, empty', () => {
    expect(refusal(write('{"format": "layers-model", "modelTopology": {}}', 'model.onnx'))).toMatch(
      /model\.onnx is not (a readable )?(an )?ONNX model/
    )
    const png = Uint8Array.from([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0,
      1
    ])
    expect(refusal(write(png, 'picture.onnx'))).toMatch(
      /picture\.onnx is not (a readable )?(an )?ONNX model/
    )
    expect(refusal(write('hello world, not a model\n', 'notes.onnx'))).toMatch(/notes\.onnx is not/)
    expect(refusal(write(new Uint8Array(0), 'empty.onnx'))).toMatch(/empty\.onnx is empty/)
  })

  it('a truncated PyTorch export: names the file and the corruption', () => {
    const bytes = readFileSync(join(FIXTURE_DIR, 'resnet18-opset17.onnx'))
    for (const fraction of [0.1, 0.5, 0.97]) {
      const message = refusal(
        write(bytes.subarray(0, Math.floor(bytes.length * fraction)), `cut-${fraction}.onnx`)
      )
      expect(message).toMatch(new RegExp(`cut-${fraction}\\.onnx`))
      expect(message).toMatch(/truncated|corrupt/)
    }
  })

  it('an opset newer or older than supported', () => {
    expect(refusal(write(encodeOnnx(tinyConv({ opset: 22 })), 'new.onnx'))).toMatch(
      /new\.onnx uses opset 22, newer than Ortholens supports \(9–21\)/
    )
    expect(refusal(write(encodeOnnx(tinyConv({ opset: 7 })), 'old.onnx'))).toMatch(
      /old\.onnx uses opset 7, older than Ortholens supports/
    )
  })

  it('an unsupported operator names the operator, the node and the opset', () => {
    const spec = tinyConv()
    spec.nodes[1] = { op: 'Erf', name: 'strange_activation', inputs: ['c'], outputs: ['r'] }
    const message = refusal(write(encodeOnnx(spec)))
    expect(message).toMatch(
      /Operator Erf is not supported: node 'strange_activation' \(Erf, opset 17\)/
    )
    expect(message).toMatch(/Conv/) // the supported list follows
    const custom = tinyConv()
    custom.nodes[1] = {
      op: 'FusedRelu',
      domain: 'com.microsoft',
      name: 'ms',
      inputs: ['c'],
      outputs: ['r']
    }
    expect(refusal(write(encodeOnnx(custom)))).toMatch(/com\.microsoft\.FusedRelu.*node 'ms'/)
  })

  it('wrong input rank, two inputs, non-float input', () => {
    const flat = tinyConv({ inputs: [{ name: 'input', dims: ['N', 50] }] })
    expect(refusal(write(encodeOnnx(flat), 'flat.onnx'))).toMatch(
      /flat\.onnx: input 'input' has rank 2 \(\[N, 50\]\); Ortholens needs a batch of images/
    )
    const two = tinyConv({
      inputs: [
        { name: 'input', dims: ['N', 2, 5, 5] },
        { name: 'mask', dims: ['N', 1] }
      ]
    })
    expect(refusal(write(encodeOnnx(two)))).toMatch(/has 2 inputs \(input, mask\)/)
    const ints = tinyConv({ inputs: [{ name: 'input', dims: ['N', 2, 5, 5], elemType: 7 }] })
    expect(refusal(write(encodeOnnx(ints)))).toMatch(/input 'input' is INT64/)
  })

  it('NaN weights name the initializer and the element', () => {
    const spec = tinyConv()
    const w = values(54, 1)
    w[17] = Number.NaN
    spec.initializers[0] = floatTensor('W', [3, 2, 3, 3], w)
    expect(refusal(write(encodeOnnx(spec), 'nan.onnx'))).toMatch(
      /initializer 'W' of nan\.onnx holds a non-finite value \(NaN at element 17\)/
    )
  })

  it('declared sizes are checked against the bytes present before allocating', () => {
    const spec = tinyConv()
    spec.initializers[0] = {
      name: 'W',
      dims: [3, 2, 3, 3],
      data_type: 1,
      raw_data: new Uint8Array(100)
    }
    expect(refusal(write(encodeOnnx(spec)))).toMatch(
      /initializer 'W'.* declares 216 bytes of data but holds 100/
    )
    const huge = tinyConv()
    huge.initializers[0] = {
      name: 'W',
      dims: [100000, 100000, 1000],
      data_type: 1,
      raw_data: new Uint8Array(8)
    }
    expect(refusal(write(encodeOnnx(huge)))).toMatch(
      /initializer 'W'.* declares 10000000000000 elements/
    )
    const typed = tinyConv()
    typed.initializers[1] = { name: 'B', dims: [3], data_type: 1, float_data: [1, 2] }
    expect(refusal(write(encodeOnnx(typed)))).toMatch(
      /initializer 'B'.* declares 3 elements \[3\] but its float_data holds 2/
    )
  })

  it('external data: read inside the model folder only, bounded by the file', () => {
    const dir = join(root, 'external')
    mkdirSync(dir, { recursive: true })
    const w = values(54, 1)
    const padded = new Uint8Array(16 + 216)
    padded.set(new Uint8Array(w.buffer), 16)
    writeFileSync(join(dir, 'weights.bin'), padded)
    const withExternal = (location: string, offset?: number, length?: number): ModelSpec => {
      const spec = tinyConv()
      spec.initializers[0] = floatTensor('W', [3, 2, 3, 3], w, { location, offset, length })
      return spec
    }
    const good = importOnnxModel(
      write(encodeOnnx(withExternal('weights.bin', 16, 216)), 'good.onnx', dir)
    )
    const inline = importOnnxModel(write(encodeOnnx(tinyConv()), 'inline.onnx', dir))
    expect(Array.from(good.weights.data)).toEqual(Array.from(inline.weights.data))

    expect(refusal(write(encodeOnnx(withExternal('missing.bin')), 'm.onnx', dir))).toMatch(
      /initializer 'W' of m\.onnx: external data location "missing\.bin" does not exist next to the model/
    )
    expect(refusal(write(encodeOnnx(withExternal('../secret.bin')), 'up.onnx', dir))).toMatch(
      /leaves the model's folder/
    )
    expect(refusal(write(encodeOnnx(withExternal('/etc/passwd')), 'abs.onnx', dir))).toMatch(
      /is an absolute path/
    )
    writeFileSync(join(root, 'outside.bin'), padded)
    symlinkSync(join(root, 'outside.bin'), join(dir, 'link.bin'))
    expect(refusal(write(encodeOnnx(withExternal('link.bin', 16, 216)), 'link.onnx', dir))).toMatch(
      /leads out of the model's folder through a symbolic link/
    )
    expect(
      refusal(write(encodeOnnx(withExternal('weights.bin', 100, 216)), 'short.onnx', dir))
    ).toMatch(/weights\.bin" is 232 bytes, too short for 216 bytes at offset 100/)
    expect(refusal(write(encodeOnnx(withExternal('weights.bin', 0)), 'len.onnx', dir))).toMatch(
      /holds 232 bytes, the tensor needs 216/
    )
  })

  it('a model whose output is not [batch, classes], or a class-name list of the wrong length', () => {
    const spec = tinyConv()
    spec.nodes = spec.nodes.slice(0, 2)
    spec.nodes[1]!.outputs = ['logits']
    expect(refusal(write(encodeOnnx(spec), 'map.onnx'))).toMatch(
      /map\.onnx: the model outputs shape \[N, 3, 5, 5\]/
    )
    expect(
      refusal(write(encodeOnnx(tinyConv()), 'names.onnx'), {
        preprocessing: { classNames: ['a', 'b'] }
      })
    ).toMatch(/2 class names for a model with 4 outputs/)
  })

  it('preprocessing that contradicts the file names the field', () => {
    const path = write(encodeOnnx(tinyConv()), 'pre.onnx')
    expect(refusal(path, { preprocessing: { size: [7, 7] } })).toMatch(
      /pre\.onnx: preprocessing: declared size 7x7 differs from the model's input 5x5/
    )
    expect(refusal(path, { preprocessing: { mean: [0.5, 0.5, 0.5] } })).toMatch(
      /mean needs 1 or 2 values/
    )
    expect(refusal(path, { preprocessing: { std: [0, 1] } })).toMatch(/std must be positive/)
    expect(refusal(path, { preprocessing: { channelOrder: 'BGR' } })).toMatch(
      /BGR order needs 3 channels/
    )
  })

  it('predicting on a tensor of the wrong rank or channel count is refused with the expected shape', () => {
    const imported = importOnnxModel(write(encodeOnnx(tinyConv())))
    const model = onnxModelFromStored(imported.architecture, imported.weights, {
      id: 't',
      name: 'tiny'
    })
    try {
      expect(() => model.predictLogits(tf.zeros([5, 5, 2]) as unknown as Tensor4D)).toThrow(
        /Model "tiny" takes a batch of images \[N, 5, 5, 2\] \(NHWC\), got a tensor of rank 3/
      )
      expect(() => model.predictLogits(tf.zeros([1, 5, 5, 3]) as Tensor4D)).toThrow(
        /takes 2-channel images, got 3 channels/
      )
    } finally {
      model.dispose()
    }
  })
})
