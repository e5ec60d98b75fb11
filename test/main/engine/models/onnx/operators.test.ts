/**
 * Operator details the PyTorch fixtures do not reach, against loops written from the ONNX
 * definitions: average pooling with ceil_mode and both count_include_pad rules, SAME_UPPER /
 * SAME_LOWER convolutions with stride, grouped + dilated convolutions, edge padding, the
 * pre-opset-13 Softmax, ReduceMean with axes as an input (opset 18), pass-through operators;
 * plus the checked registry and the committed schema.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../../src/main/engine/backend'
import { ONNX_OPERATORS } from '../../../../../src/main/engine/models/onnx'
import { ConstantCache } from '../../../../../src/main/engine/models/onnx/context'
import { relayout } from '../../../../../src/main/engine/models/onnx/layout'
import { inputValue, weightMap } from '../../../../../src/main/engine/models/onnx/model'
import { parseOnnxBytes } from '../../../../../src/main/engine/models/onnx/parse'
import { Plan } from '../../../../../src/main/engine/models/onnx/plan'
import { OperatorRegistry } from '../../../../../src/main/engine/models/onnx/registry'
import {
  attr,
  encodeOnnx,
  floatTensor,
  intTensor,
  type NodeSpec
} from '../../../../../src/main/engine/models/onnx/writer'
import { tf } from '../../../../../src/main/engine/tf'
import { values } from './tinyModels'

beforeAll(async () => {
  await initBackend('cpu')
})

/** Runs `nodes` (reading 'input' [1, C, H, W], writing 'y') and returns y in ONNX layout. */
function run(
  nodes: NodeSpec[],
  inits: Record<string, unknown>[],
  input: Float32Array,
  dims: [number, number, number],
  opset = 17
): { data: number[]; dims: number[] } {
  const bytes = encodeOnnx({
    opset,
    nodes,
    initializers: inits,
    inputs: [{ name: 'input', dims: ['N', ...dims] }],
    outputs: [{ name: 'y', dims: [] }]
  })
  const parsed = parseOnnxBytes(bytes, { modelDir: '.', file: 'op.onnx' })
  const cache = new ConstantCache()
  try {
    const [c, h, w] = dims
    const plan = new Plan(
      {
        graph: parsed.graph,
        weights: weightMap(parsed.graph, parsed.weights, 'op'),
        cache,
        registry: ONNX_OPERATORS
      },
      inputValue({
        layout: 'NCHW',
        size: [h, w],
        channels: c,
        channelOrder: 'RGB',
        valueScale: 1,
        mean: [0],
        std: [1]
      })
    )
    return tf.tidy(() => {
      const x = tf.transpose(tf.tensor4d(input, [1, c, h, w]), [0, 2, 3, 1])
      const out = relayout(plan.execute(new Map([['input', x]]), 'y', 1), plan.value('y'), 'plain')
      return { data: Array.from(out.dataSync()), dims: out.shape }
    })
  } finally {
    cache.dispose()
  }
}

function close(a: number[], b: number[], tol = 1e-5): void {
  expect(a.length).toBe(b.length)
  a.forEach((v, i) =>
    expect(Math.abs(v - b[i]!), `element ${i}: ${v} vs ${b[i]}`).toBeLessThan(tol)
  )
}

/** AveragePool per PyTorch / ONNX: windows over [-pt, H + pb) clipped, ceil_mode drops windows starting in the padding. */
function avgPoolRef(
  x: Float32Array,
  [c, h, w]: number[],
  k: number,
  s: number,
  pad: number,
  ceil: boolean,
  countPad: boolean
): { data: number[]; dims: number[] } {
  const outSize = (n: number) => {
    let o = (ceil ? Math.ceil((n + 2 * pad - k) / s) : Math.floor((n + 2 * pad - k) / s)) + 1
    if (ceil && (o - 1) * s >= n + pad) o--
    return o
  }
  const [oh, ow] = [outSize(h!), outSize(w!)]
  const out: number[] = []
  for (let ch = 0; ch < c!; ch++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        const y0 = i * s - pad
        const x0 = j * s - pad
        const y1 = Math.min(y0 + k, h! + pad)
        const x1 = Math.min(x0 + k, w! + pad)
        const poolSize = (y1 - y0) * (x1 - x0)
        let sum = 0
        let count = 0
        for (let y = Math.max(y0, 0); y < Math.min(y1, h!); y++) {
          for (let xx = Math.max(x0, 0); xx < Math.min(x1, w!); xx++) {
            sum += x[ch * h! * w! + y * w! + xx]!
            count++
          }
        }
        out.push(sum / (countPad ? poolSize : count))
      }
    }
  }
  return { data: out, dims: [1, c!, oh, ow] }
}

/** Direct convolution with explicit pads [t, l, b, r], stride, dilation and groups. */
function convRef(
  x: Float32Array,
  [c, h, w]: number[],
  wt: Float32Array,
  [m, cg, kh, kw]: number[],
  s: number,
  [t, l, b, r]: number[],
  d = 1,
  group = 1
): { data: number[]; dims: number[] } {
  const oh = Math.floor((h! + t + b - ((kh! - 1) * d + 1)) / s) + 1
  const ow = Math.floor((w! + l + r - ((kw! - 1) * d + 1)) / s) + 1
  const out: number[] = []
  const perGroup = m! / group
  for (let o = 0; o < m!; o++) {
    const g = Math.floor(o / perGroup)
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        let sum = 0
        for (let ci = 0; ci < cg!; ci++) {
          for (let u = 0; u < kh!; u++) {
            for (let v = 0; v < kw!; v++) {
              const y = i * s - t + u * d
              const xx = j * s - l + v * d
              if (y < 0 || y >= h! || xx < 0 || xx >= w!) continue
              sum +=
                x[(g * cg! + ci) * h! * w! + y * w! + xx]! *
                wt[((o * cg! + ci) * kh! + u) * kw! + v]!
            }
          }
        }
        out.push(sum)
      }
    }
  }
  void c
  return { data: out, dims: [1, m!, oh, ow] }
}

describe('ONNX operators against their definitions', () => {
  const x = values(2 * 6 * 6, 5)

  it('AveragePool with ceil_mode and padding, count_include_pad 0 and 1', () => {
    for (const countPad of [0, 1]) {
      const got = run(
        [
          {
            op: 'AveragePool',
            inputs: ['input'],
            outputs: ['y'],
            attributes: [
              attr.ints('kernel_shape', [3, 3]),
              attr.ints('strides', [2, 2]),
              attr.ints('pads', [1, 1, 1, 1]),
              attr.int('ceil_mode', 1),
              attr.int('count_include_pad', countPad)
            ]
          }
        ],
        [],
        x,
        [2, 6, 6]
      )
      const want = avgPoolRef(x, [2, 6, 6], 3, 2, 1, true, countPad === 1)
      expect(got.dims).toEqual(want.dims)
      close(got.data, want.data)
    }
  })

  it('Conv with auto_pad SAME_UPPER and SAME_LOWER at stride 2 (asymmetric pads differ)', () => {
    const wt = values(3 * 2 * 3 * 3, 7)
    for (const [mode, pads] of [
      ['SAME_UPPER', [0, 0, 1, 1]],
      ['SAME_LOWER', [1, 1, 0, 0]]
    ] as const) {
      const got = run(
        [
          {
            op: 'Conv',
            inputs: ['input', 'W'],
            outputs: ['y'],
            attributes: [attr.string('auto_pad', mode), attr.ints('strides', [2, 2])]
          }
        ],
        [floatTensor('W', [3, 2, 3, 3], wt)],
        x,
        [2, 6, 6]
      )
      const want = convRef(x, [2, 6, 6], wt, [3, 2, 3, 3], 2, pads as unknown as number[])
      expect(got.dims).toEqual([1, 3, 3, 3])
      close(got.data, want.data)
    }
  })

  it('grouped, dilated Conv with a bias and a fused Relu', () => {
    const input = values(4 * 7 * 7, 3)
    const wt = values(6 * 2 * 3 * 3, 4)
    const bias = values(6, 6)
    const got = run(
      [
        {
          op: 'Conv',
          inputs: ['input', 'W', 'B'],
          outputs: ['c'],
          attributes: [
            attr.int('group', 2),
            attr.ints('dilations', [2, 2]),
            attr.ints('pads', [2, 1, 2, 1])
          ]
        },
        { op: 'Relu', inputs: ['c'], outputs: ['y'] }
      ],
      [floatTensor('W', [6, 2, 3, 3], wt), floatTensor('B', [6], bias)],
      input,
      [4, 7, 7]
    )
    const ref = convRef(input, [4, 7, 7], wt, [6, 2, 3, 3], 1, [2, 1, 2, 1], 2, 2)
    const per = ref.data.length / 6
    close(
      got.data,
      ref.data.map((v, i) => Math.max(0, v + bias[Math.floor(i / per)]!))
    )
  })

  it('Conv on maps so small that kernel taps meet padding (taps dropped, or one dense matrix)', () => {
    for (const [dims, stride, pads] of [
      [[4, 1, 1], 1, [1, 1, 1, 1]],
      [[4, 2, 2], 2, [1, 1, 1, 1]],
      [[4, 1, 3], 1, [2, 1, 0, 1]],
      [[4, 2, 2], 1, [1, 1, 1, 1]],
      [[4, 2, 3], 1, [1, 0, 1, 2]]
    ] as const) {
      const input = values(dims[0] * dims[1] * dims[2], 11)
      const wt = values(5 * 4 * 3 * 3, 12)
      const got = run(
        [
          {
            op: 'Conv',
            inputs: ['input', 'W'],
            outputs: ['y'],
            attributes: [
              attr.ints('strides', [stride, stride]),
              attr.ints('pads', pads as unknown as number[])
            ]
          }
        ],
        [floatTensor('W', [5, 4, 3, 3], wt)],
        input,
        dims as unknown as [number, number, number]
      )
      const want = convRef(
        input,
        dims as unknown as number[],
        wt,
        [5, 4, 3, 3],
        stride,
        pads as unknown as number[]
      )
      expect(got.dims).toEqual(want.dims)
      close(got.data, want.data)
    }
  })

  it('Pad edge and reflect modes', () => {
    const input = Float32Array.from([1, 2, 3, 4, 5, 6])
    const edge = run(
      [
        {
          op: 'Pad',
          inputs: ['input', 'p'],
          outputs: ['y'],
          attributes: [attr.string('mode', 'edge')]
        }
      ],
      [intTensor('p', [8], [0, 0, 1, 0, 0, 0, 0, 2])],
      input,
      [1, 2, 3]
    )
    expect(edge.dims).toEqual([1, 1, 3, 5])
    expect(edge.data).toEqual([1, 2, 3, 3, 3, 1, 2, 3, 3, 3, 4, 5, 6, 6, 6])
    const reflect = run(
      [
        {
          op: 'Pad',
          inputs: ['input', 'p'],
          outputs: ['y'],
          attributes: [attr.string('mode', 'reflect')]
        }
      ],
      [intTensor('p', [8], [0, 0, 0, 2, 0, 0, 0, 1])],
      input,
      [1, 2, 3]
    )
    expect(reflect.data).toEqual([3, 2, 1, 2, 3, 2, 6, 5, 4, 5, 6, 5])
  })

  it('Softmax before opset 13 normalises over all axes from `axis` on', () => {
    const got = run(
      [{ op: 'Softmax', inputs: ['input'], outputs: ['y'], attributes: [attr.int('axis', 1)] }],
      [],
      x,
      [2, 6, 6],
      11
    )
    const e = Array.from(x, Math.exp)
    const sum = e.reduce((a, b) => a + b, 0)
    close(
      got.data,
      e.map((v) => v / sum),
      1e-6
    )
    const after = run(
      [{ op: 'Softmax', inputs: ['input'], outputs: ['y'], attributes: [attr.int('axis', 1)] }],
      [],
      x,
      [2, 6, 6],
      13
    )
    for (let p = 0; p < 36; p++) expect(after.data[p]! + after.data[36 + p]!).toBeCloseTo(1, 5)
  })

  it('ReduceMean with axes as an input (opset 18), keepdims 0, and ReduceMax', () => {
    const got = run(
      [
        {
          op: 'ReduceMean',
          inputs: ['input', 'axes'],
          outputs: ['y'],
          attributes: [attr.int('keepdims', 0)]
        }
      ],
      [intTensor('axes', [1], [3])],
      x,
      [2, 6, 6],
      18
    )
    expect(got.dims).toEqual([1, 2, 6])
    const want: number[] = []
    for (let c = 0; c < 2; c++)
      for (let h = 0; h < 6; h++)
        want.push(
          Array.from(x.subarray(c * 36 + h * 6, c * 36 + h * 6 + 6)).reduce((a, b) => a + b, 0) / 6
        )
    close(got.data, want)
    const max = run(
      [
        {
          op: 'ReduceMax',
          inputs: ['input'],
          outputs: ['y'],
          attributes: [attr.ints('axes', [1]), attr.int('keepdims', 1)]
        }
      ],
      [],
      x,
      [2, 6, 6]
    )
    close(
      max.data,
      Array.from({ length: 36 }, (_, p) => Math.max(x[p]!, x[36 + p]!))
    )
  })

  it('Identity, Dropout (opset 12, ratio input) and Cast to float pass values through; Transpose composes with the layout', () => {
    const got = run(
      [
        { op: 'Identity', inputs: ['input'], outputs: ['a'] },
        { op: 'Dropout', inputs: ['a', 'ratio'], outputs: ['b'] },
        { op: 'Cast', inputs: ['b'], outputs: ['c'], attributes: [attr.int('to', 1)] },
        {
          op: 'Transpose',
          inputs: ['c'],
          outputs: ['y'],
          attributes: [attr.ints('perm', [0, 3, 2, 1])]
        }
      ],
      [floatTensor('ratio', [], Float32Array.of(0.5))],
      x,
      [2, 6, 6],
      13
    )
    expect(got.dims).toEqual([1, 6, 6, 2])
    const want: number[] = []
    for (let w = 0; w < 6; w++)
      for (let h = 0; h < 6; h++) for (let c = 0; c < 2; c++) want.push(x[c * 36 + h * 6 + w]!)
    close(got.data, want, 1e-12)
  })
})

describe('the operator registry', () => {
  it('holds every operator of the issue, and refuses a second registration', () => {
    const required =
      'Conv BatchNormalization Relu LeakyRelu PRelu Clip Sigmoid HardSigmoid HardSwish Tanh Softmax LogSoftmax MaxPool AveragePool GlobalAveragePool GlobalMaxPool Gemm MatMul Add Sub Mul Div Concat Flatten Reshape Transpose Squeeze Unsqueeze Pad Dropout Identity ReduceMean Shape Gather Slice Cast ConstantOfShape'
    for (const op of required.split(' ')) expect(ONNX_OPERATORS.has(op), op).toBe(true)
    const registry = new OperatorRegistry()
    registry.register('Relu', ONNX_OPERATORS.get('Relu')!)
    expect(() => registry.register('Relu', ONNX_OPERATORS.get('Relu')!)).toThrow(
      /ONNX operator Relu is registered twice/
    )
  })
})

describe('the ONNX schema', () => {
  it('schema.ts is what scripts/make-onnx-schema.mjs generates from the committed onnx.proto', async () => {
    const rootDir = join(import.meta.dirname, '..', '..', '..', '..', '..')
    const { schemaModule } = (await import(join(rootDir, 'scripts', 'make-onnx-schema.mjs'))) as {
      schemaModule: (text: string) => string
    }
    const proto = readFileSync(join(rootDir, 'scripts', 'onnx', 'onnx.proto'), 'utf8')
    expect(
      readFileSync(join(rootDir, 'src', 'main', 'engine', 'models', 'onnx', 'schema.ts'), 'utf8')
    ).toBe(schemaModule(proto))
  })
})
