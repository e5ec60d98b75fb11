/**
 * Export of a model trained in the app (a Network: the zoo's cnn, VGG, ResNet, and imported
 * Layers models) as an ONNX ModelProto, opset 17: NCHW input in [0, 1] (no normalisation),
 * logits out, weights as initializers. TensorFlow's 'same' padding becomes explicit
 * (asymmetric where TF pads more at the end); a Flatten of an NHWC map first transposes to
 * NHWC order so the dense weights apply unchanged. Before the file is written, it is parsed
 * and imported again and must predict what the network predicts.
 */
import { renameSync, writeFileSync } from 'node:fs'
import { basename, dirname } from 'node:path'
import { tf, type Tensor4D } from '../../tf'
import type { LayerDef } from '../architecture'
import type { Network } from '../network'
import { OnnxImportError } from './errors'
import { importParsed } from './import'
import { OnnxModel } from './model'
import { parseOnnxBytes } from './parse'
import type { OnnxPreprocessing } from './preprocessing'
import { attr, encodeOnnx, floatTensor, intTensor, type NodeSpec } from './writer'

export const EXPORT_OPSET = 17
/** Logit agreement demanded of an export (float32 reassociation only). */
const EXPORT_TOLERANCE = 1e-4

export interface OnnxExportOptions {
  classNames?: string[]
  producer?: string
}

export interface ExportedOnnxModel {
  file: string
  bytes: number
  /** Largest |logit difference| between the re-imported file and the network, on random images. */
  maxAbsDiff: number
}

/** TensorFlow 'same' padding of one axis: [begin, end], the extra pixel at the end. */
function samePads(n: number, k: number, s: number): [number, number] {
  const total = Math.max((Math.ceil(n / s) - 1) * s + k - n, 0)
  const begin = Math.floor(total / 2)
  return [begin, total - begin]
}

type Shape = number[] // [h, w, c] or [n]

class GraphBuilder {
  readonly nodes: NodeSpec[] = []
  readonly initializers: Record<string, unknown>[] = []
  private count = 0

  constructor(private readonly net: Network) {}

  weight(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push(floatTensor(name, dims, data))
    return name
  }

  ints(name: string, values: number[]): string {
    this.initializers.push(intTensor(name, [values.length], values))
    return name
  }

  node(
    op: string,
    name: string,
    inputs: string[],
    attributes: NodeSpec['attributes'] = []
  ): string {
    const output = `${name}:${this.count++}`
    this.nodes.push({ op, name, inputs, outputs: [output], attributes })
    return output
  }

  /** A parameter of the network, permuted by `perm` (tf layout → ONNX layout). */
  param(name: string, perm?: number[], reshape?: number[]): { dims: number[]; data: Float32Array } {
    return tf.tidy(() => {
      let t: tf.Tensor = this.net.param(name)
      if (perm) t = tf.transpose(t, perm)
      if (reshape) t = tf.reshape(t, reshape)
      return { dims: t.shape, data: Float32Array.from(t.dataSync() as Float32Array) }
    })
  }

  paramInit(name: string, perm?: number[], reshape?: number[]): string {
    const p = this.param(name, perm, reshape)
    return this.weight(name.replace('/', '.'), p.dims, p.data)
  }

  layers(list: LayerDef[], x: string, shape: Shape): { x: string; shape: Shape } {
    for (const l of list) ({ x, shape } = this.layer(l, x, shape))
    return { x, shape }
  }

  private windowAttrs(
    shape: Shape,
    k: number,
    s: number,
    padding: 'same' | 'valid'
  ): NodeSpec['attributes'] {
    const [h, w] = shape as [number, number, number]
    const [t, b] = padding === 'same' ? samePads(h, k, s) : [0, 0]
    const [l, r] = padding === 'same' ? samePads(w, k, s) : [0, 0]
    return [
      attr.ints('kernel_shape', [k, k]),
      attr.ints('strides', [s, s]),
      attr.ints('pads', [t, l, b, r])
    ]
  }

  private out(n: number, k: number, s: number, padding: 'same' | 'valid'): number {
    return padding === 'same' ? Math.ceil(n / s) : Math.floor((n - k) / s) + 1
  }

  private layer(l: LayerDef, x: string, shape: Shape): { x: string; shape: Shape } {
    const [h, w, c] = shape as [number, number, number]
    switch (l.kind) {
      case 'conv': {
        const inputs = [x, this.paramInit(`${l.name}/kernel`, [3, 2, 0, 1])]
        if (l.bias) inputs.push(this.paramInit(`${l.name}/bias`))
        const y = this.node(
          'Conv',
          l.name,
          inputs,
          this.windowAttrs(shape, l.kernel, l.stride, l.padding)
        )
        return {
          x: y,
          shape: [
            this.out(h, l.kernel, l.stride, l.padding),
            this.out(w, l.kernel, l.stride, l.padding),
            l.filters
          ]
        }
      }
      case 'depthwise':
      case 'separable': {
        const k = l.kernel
        const m = l.multiplier
        // tf [k, k, c, m] → ONNX [c·m, 1, k, k]: output channel ci·m + j, as tf orders them.
        const dw = this.paramInit(`${l.name}/depthwise_kernel`, [2, 3, 0, 1], [c * m, 1, k, k])
        const inputs = [x, dw]
        if (l.kind === 'depthwise' && l.bias) inputs.push(this.paramInit(`${l.name}/bias`))
        let y = this.node('Conv', l.name, inputs, [
          ...this.windowAttrs(shape, k, l.stride, l.padding)!,
          attr.int('group', c)
        ])
        const outShape = [
          this.out(h, k, l.stride, l.padding),
          this.out(w, k, l.stride, l.padding),
          c * m
        ]
        if (l.kind === 'depthwise') return { x: y, shape: outShape }
        const pw = [y, this.paramInit(`${l.name}/pointwise_kernel`, [3, 2, 0, 1])]
        if (l.bias) pw.push(this.paramInit(`${l.name}/bias`))
        y = this.node('Conv', `${l.name}_pointwise`, pw, [attr.ints('kernel_shape', [1, 1])])
        return { x: y, shape: [outShape[0]!, outShape[1]!, l.filters] }
      }
      case 'dense': {
        const inputs = [x, this.paramInit(`${l.name}/kernel`)]
        if (l.bias) inputs.push(this.paramInit(`${l.name}/bias`))
        return { x: this.node('Gemm', l.name, inputs), shape: [l.units] }
      }
      case 'relu':
        return { x: this.node('Relu', l.name, [x]), shape }
      case 'activation':
        return { x: this.activation(l, x), shape }
      case 'batchnorm': {
        const inputs = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((p) =>
          this.paramInit(`${l.name}/${p}`)
        )
        return {
          x: this.node(
            'BatchNormalization',
            l.name,
            [x, ...inputs],
            [attr.float('epsilon', l.epsilon)]
          ),
          shape
        }
      }
      case 'maxpool':
      case 'avgpool': {
        const padding = l.padding ?? 'valid'
        const attrs = this.windowAttrs(shape, l.size, l.stride, padding)!
        if (l.kind === 'avgpool') attrs.push(attr.int('count_include_pad', 0))
        const y = this.node(l.kind === 'maxpool' ? 'MaxPool' : 'AveragePool', l.name, [x], attrs)
        return {
          x: y,
          shape: [this.out(h, l.size, l.stride, padding), this.out(w, l.size, l.stride, padding), c]
        }
      }
      case 'zeropad': {
        const [t, b, left, r] = l.pads
        const pads = this.ints(`${l.name}.pads`, [0, 0, t, left, 0, 0, b, r])
        return {
          x: this.node('Pad', l.name, [x, pads], [attr.string('mode', 'constant')]),
          shape: [h + t + b, w + left + r, c]
        }
      }
      case 'gap':
      case 'gmp': {
        const pooled = this.node(l.kind === 'gap' ? 'GlobalAveragePool' : 'GlobalMaxPool', l.name, [
          x
        ])
        return { x: this.node('Flatten', `${l.name}_flatten`, [pooled]), shape: [c] }
      }
      case 'flatten': {
        // Ortholens flattens NHWC maps: bring the NCHW tensor to NHWC order first.
        const ordered =
          shape.length === 3 && h * w > 1
            ? this.node('Transpose', `${l.name}_nhwc`, [x], [attr.ints('perm', [0, 2, 3, 1])])
            : x
        return {
          x: this.node('Flatten', l.name, [ordered]),
          shape: [shape.reduce((a, b) => a * b, 1)]
        }
      }
      case 'residual': {
        const body = this.layers(l.body, x, shape)
        const short = this.layers(l.shortcut, x, shape)
        return { x: this.node('Add', l.name, [body.x, short.x]), shape: body.shape }
      }
    }
  }

  private activation(l: Extract<LayerDef, { kind: 'activation' }>, x: string): string {
    switch (l.fn) {
      case 'tanh':
        return this.node('Tanh', l.name, [x])
      case 'sigmoid':
        return this.node('Sigmoid', l.name, [x])
      case 'relu6':
        return this.node('Clip', l.name, [
          x,
          this.weight(`${l.name}.min`, [], Float32Array.of(0)),
          this.weight(`${l.name}.max`, [], Float32Array.of(6))
        ])
      case 'leaky_relu':
        return this.node('LeakyRelu', l.name, [x], [attr.float('alpha', l.alpha ?? 0.3)])
      case 'hard_sigmoid':
        return this.node(
          'HardSigmoid',
          l.name,
          [x],
          [attr.float('alpha', 0.2), attr.float('beta', 0.5)]
        )
      case 'elu':
        return this.node('Elu', l.name, [x], [attr.float('alpha', 1)])
      case 'softplus':
        return this.node('Softplus', l.name, [x])
      case 'swish':
        return this.node('Mul', l.name, [x, this.node('Sigmoid', `${l.name}_sigmoid`, [x])])
    }
  }
}

/** The preprocessing an Ortholens export declares: NCHW, [0, 1], no normalisation. */
function exportPreprocessing(net: Network, classNames?: string[]): OnnxPreprocessing {
  const [h, w, c] = net.inputShape
  const p: OnnxPreprocessing = {
    layout: 'NCHW',
    size: [h, w],
    channels: c,
    channelOrder: 'RGB',
    valueScale: 1,
    mean: [0],
    std: [1]
  }
  if (classNames) p.classNames = classNames
  return p
}

/** The network as ONNX bytes (opset 17). */
export function networkToOnnx(net: Network, options: OnnxExportOptions = {}): Uint8Array {
  const [h, w, c] = net.inputShape
  const g = new GraphBuilder(net)
  const out = g.layers(net.architecture.layers, 'input', [h, w, c])
  if (out.shape.length !== 1 || out.shape[0] !== net.numClasses) {
    throw new OnnxImportError(
      `Exporting "${net.name}": the layers end with shape [${out.shape}], not ${net.numClasses} logits`
    )
  }
  g.nodes[g.nodes.length - 1]!.outputs = ['logits']
  return encodeOnnx({
    opset: EXPORT_OPSET,
    irVersion: 8,
    producer: options.producer ?? 'Ortholens',
    graphName: net.name,
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [{ name: 'input', dims: ['batch', c, h, w] }],
    outputs: [{ name: 'logits', dims: ['batch', net.numClasses] }],
    metadata: {
      'ortholens.preprocessing': JSON.stringify(exportPreprocessing(net, options.classNames)),
      'ortholens.model': JSON.stringify({
        name: net.name,
        arch: net.architecture.arch,
        inputRange: [0, 1],
        outputs: 'logits'
      })
    }
  })
}

/**
 * Writes `net` to `file` as ONNX, after importing the bytes again and checking that they
 * predict the network's logits on random images (a mapping error never reaches the disk).
 */
export function exportOnnxModel(
  net: Network,
  file: string,
  options: OnnxExportOptions = {}
): ExportedOnnxModel {
  const bytes = networkToOnnx(net, options)
  const imported = importParsed(
    parseOnnxBytes(bytes, { modelDir: dirname(file), file: basename(file) }),
    basename(file)
  )
  const model = new OnnxModel(imported.architecture, imported.weights, 'export-check', net.name)
  let maxAbsDiff: number
  try {
    maxAbsDiff = tf.tidy(() => {
      const x = tf.randomUniform([2, ...net.inputShape], 0, 1, 'float32', 17) as Tensor4D
      const ours = net.predictLogits(x)
      const theirs = model.predictLogits(x)
      const scale = tf.max(tf.abs(ours)).dataSync()[0]!
      const diff = tf.max(tf.abs(tf.sub(ours, theirs))).dataSync()[0]!
      if (!(diff <= EXPORT_TOLERANCE * Math.max(1, scale))) {
        throw new OnnxImportError(
          `The ONNX export of "${net.name}" disagrees with it (max |logit difference| ${diff})`
        )
      }
      return diff
    })
  } finally {
    model.dispose()
  }
  const tmp = `${file}.partial`
  writeFileSync(tmp, bytes)
  renameSync(tmp, file)
  return { file, bytes: bytes.length, maxAbsDiff }
}
