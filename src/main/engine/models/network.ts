/**
 * A model built from a ModelArchitecture: its parameters are tf.Variables and its forward
 * pass is plain tf ops, so tf.grad can differentiate it twice (orthogonal training) as long
 * as every kernel on the path has a second-order-correct gradient (engine/gradients).
 */
import { tf, type Tensor, type Tensor2D, type Tensor4D, type Variable } from '../tf'
import type { LayerDef, ModelArchitecture } from './architecture'
import { batchNormTrain } from '../ops/batchNorm'
import { channelAffine } from '../ops/channelAffine'
import { convAffine } from '../ops/convAffine'
import { nativeKernelsActive } from '../kernels/nativeKernels'
import type { StagedClassifier } from './types'
import { applyActivationFn } from './activations'
import { depthwiseConvValid, samePadding } from './depthwise'
import {
  collectParams,
  containsKind,
  initialValue,
  ModelError,
  type ParamSpec,
  type Shape
} from './parameters'

export { architectureParameters, ModelError } from './parameters'

export interface WeightManifestEntry {
  name: string
  shape: number[]
}

/** Weights as stored in the project: a manifest and one float32 buffer, in manifest order. */
export interface SerializedWeights {
  manifest: WeightManifestEntry[]
  data: Float32Array
}

/** Batch statistics produced by a training-mode forward pass, applied after the step. */
export interface BatchNormUpdate {
  layer: string
  mean: Tensor
  variance: Tensor
  momentum: number
}

export interface ApplyOptions {
  training: boolean
  /** Training mode pushes each batch norm's batch statistics here (kept tensors). */
  bnUpdates?: BatchNormUpdate[]
}

type BatchNormLayer = Extract<LayerDef, { kind: 'batchnorm' }>

export class Network implements StagedClassifier {
  readonly inputShape: [number, number, number]
  readonly numClasses: number
  private readonly params = new Map<string, Variable>()
  private readonly trainable: Variable[] = []
  private readonly stageOutputShapes: Shape[] = []

  constructor(
    readonly architecture: ModelArchitecture,
    readonly id: string,
    readonly name: string,
    seed: number
  ) {
    this.inputShape = architecture.inputShape
    this.numClasses = architecture.numClasses
    const specs: ParamSpec[] = []
    let shape: Shape = [...architecture.inputShape]
    for (const layer of architecture.layers) {
      shape = collectParams(layer, shape, specs)
      this.stageOutputShapes.push(shape)
    }
    const last = shape
    if (last.length !== 1 || last[0] !== architecture.numClasses) {
      throw new ModelError(
        `Architecture ends with shape [${last.join(', ')}], expected [${architecture.numClasses}] logits`
      )
    }
    specs.forEach((spec, i) => {
      const value = tf.tidy(() => initialValue(spec, seed * 7919 + i))
      const variable = tf.variable(value, spec.trainable, `${id}/${spec.name}/${uniqueSuffix()}`)
      value.dispose()
      this.params.set(spec.name, variable)
      if (spec.trainable) this.trainable.push(variable)
    })
  }

  /** Variables the optimiser updates (kernels, biases, gamma, beta). */
  trainableVariables(): Variable[] {
    return this.trainable
  }

  parameterCount(): number {
    return this.trainable.reduce((n, v) => n + v.size, 0)
  }

  /** Logits for images in [0, 1]; inference mode unless options.training. */
  apply(x: Tensor4D, options: ApplyOptions = { training: false }): Tensor2D {
    return this.runLayers(this.architecture.layers, x, options) as Tensor2D
  }

  predictLogits(x: Tensor4D): Tensor2D {
    return this.apply(x, { training: false })
  }

  stageNames(): string[] {
    return this.architecture.layers.map((l) => l.name)
  }

  featureStages(): string[] {
    return this.architecture.layers
      .filter((_, i) => this.stageOutputShapes[i].length === 3)
      .map((l) => l.name)
  }

  forwardTo(stage: string, x: Tensor4D): Tensor {
    const end = this.stageIndex(stage)
    return this.runLayers(this.architecture.layers.slice(0, end + 1), x, { training: false })
  }

  forwardFrom(stage: string, activation: Tensor): Tensor2D {
    const start = this.stageIndex(stage)
    return this.runLayers(this.architecture.layers.slice(start + 1), activation, {
      training: false
    }) as Tensor2D
  }

  acceptsAnyInputSize(): boolean {
    return !containsKind(this.architecture.layers, 'flatten')
  }

  /** Folds the batch statistics of a training step into the moving averages, then frees them. */
  applyBatchNormUpdates(updates: BatchNormUpdate[]): void {
    for (const u of updates) {
      const mean = this.param(`${u.layer}/moving_mean`)
      const variance = this.param(`${u.layer}/moving_variance`)
      tf.tidy(() => {
        mean.assign(mean.mul(u.momentum).add(u.mean.mul(1 - u.momentum)))
        variance.assign(variance.mul(u.momentum).add(u.variance.mul(1 - u.momentum)))
      })
      u.mean.dispose()
      u.variance.dispose()
    }
    updates.length = 0
  }

  /** All parameters (trainable and moving statistics) in a stable order. */
  exportWeights(): SerializedWeights {
    const manifest: WeightManifestEntry[] = []
    let total = 0
    for (const [name, v] of this.params) {
      manifest.push({ name, shape: v.shape })
      total += v.size
    }
    const data = new Float32Array(total)
    let offset = 0
    for (const v of this.params.values()) {
      data.set(v.dataSync() as Float32Array, offset)
      offset += v.size
    }
    return { manifest, data }
  }

  /**
   * Replaces every parameter. The manifest must name exactly this architecture's weights with
   * the same shapes, and every value must be finite: a NaN weight is refused, not loaded.
   */
  loadWeights(weights: SerializedWeights): void {
    const expected = new Set(this.params.keys())
    let offset = 0
    const pending: [Variable, Float32Array, number[]][] = []
    for (const { name, shape } of weights.manifest) {
      const v = this.params.get(name)
      if (!v) throw new ModelError(`Weights name "${name}", which this architecture does not have`)
      if (v.shape.join('x') !== shape.join('x')) {
        throw new ModelError(
          `Weight "${name}" has shape [${shape}], the architecture needs [${v.shape}]`
        )
      }
      const size = shape.reduce((a, b) => a * b, 1)
      if (offset + size > weights.data.length)
        throw new ModelError('Weight data is shorter than its manifest')
      const slice = weights.data.subarray(offset, offset + size)
      for (let i = 0; i < slice.length; i++) {
        if (!Number.isFinite(slice[i]))
          throw new ModelError(`Weight "${name}" holds a non-finite value (NaN or Inf)`)
      }
      pending.push([v, slice, shape])
      expected.delete(name)
      offset += size
    }
    if (expected.size > 0) throw new ModelError(`Weights are missing: ${[...expected].join(', ')}`)
    if (offset !== weights.data.length)
      throw new ModelError('Weight data is longer than its manifest')
    for (const [v, slice, shape] of pending) {
      tf.tidy(() => v.assign(tf.tensor(slice, shape)))
    }
  }

  /** Copies every parameter from another network of the same architecture. */
  copyFrom(other: Network): void {
    this.loadWeights(other.exportWeights())
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose()
    this.params.clear()
    this.trainable.length = 0
  }

  param(name: string): Variable {
    const v = this.params.get(name)
    if (!v) throw new ModelError(`No parameter "${name}"`)
    return v
  }

  private stageIndex(stage: string): number {
    const i = this.architecture.layers.findIndex((l) => l.name === stage)
    if (i < 0)
      throw new ModelError(`No stage "${stage}"; stages are ${this.stageNames().join(', ')}`)
    return i
  }

  /**
   * Runs layers in order, fusing the chains that would each take a pass over the activations:
   *  - in inference, a batch norm and the ReLU after it as one per-channel affine + ReLU
   *    (ops/channelAffine); with the native kernels, a convolution takes the batch norm (and
   *    ReLU) after it, or its own bias and the ReLU after it, into its own output pass
   *    (ops/convAffine), a residual block's last convolution its batch norm, the shortcut's
   *    sum and the ReLU after the block, and a dense layer's bias and ReLU go together (scale
   *    1: x·1 is exact, so the bits are those of add then relu). The backward pass to the
   *    input, which attacks and explanations differentiate, stays one pass per layer;
   *  - in training, a batch norm and the ReLU after it (ops/batchNorm's relu; the ReLU's
   *    gradient then runs inside the batch norm's). Biases stay separate: fused, the bias's
   *    own gradient would take an extra pass.
   */
  private runLayers(layers: LayerDef[], x: Tensor, options: ApplyOptions): Tensor {
    let out = x
    const fuse = !options.training && nativeKernelsActive()
    for (let i = 0; i < layers.length; i++) {
      const layer = layers[i]!
      const next = layers[i + 1]
      const tail = layer.kind === 'residual' ? layer.body.slice(-2) : []
      if (
        fuse &&
        layer.kind === 'residual' &&
        next?.kind === 'relu' &&
        tail[0]?.kind === 'conv' &&
        !tail[0].bias &&
        tail[1]?.kind === 'batchnorm'
      ) {
        // A ResNet block: relu(bn(conv(body)) + shortcut) in the last convolution's own pass.
        const shortcut = this.runLayers(layer.shortcut, out, options)
        const body = this.runLayers(layer.body.slice(0, -2), out, options)
        const { scale, shift } = this.foldedBatchNorm(tail[1])
        out = this.convAffine(tail[0], body, scale, shift, true, shortcut)
        i++
      } else if (fuse && layer.kind === 'conv' && !layer.bias && next?.kind === 'batchnorm') {
        const relu = layers[i + 2]?.kind === 'relu'
        const { scale, shift } = this.foldedBatchNorm(next)
        out = this.convAffine(layer, out, scale, shift, relu)
        i += relu ? 2 : 1
      } else if (layer.kind === 'batchnorm' && options.training && next?.kind === 'relu') {
        out = this.batchNorm(layer, out, options, true)
        i++
      } else if (layer.kind === 'batchnorm' && !options.training && next?.kind === 'relu') {
        const { scale, shift } = this.foldedBatchNorm(layer)
        out = channelAffine(out, scale, shift, true)
        i++
      } else if (fuse && layer.kind === 'conv' && layer.bias && next?.kind === 'relu') {
        const bias = this.param(`${layer.name}/bias`)
        out = this.convAffine({ ...layer, bias: false }, out, tf.onesLike(bias), bias, true)
        i++
      } else if (fuse && layer.kind === 'dense' && layer.bias && next?.kind === 'relu') {
        const bias = this.param(`${layer.name}/bias`)
        out = channelAffine(
          this.runLayer({ ...layer, bias: false }, out, options),
          tf.onesLike(bias),
          bias,
          true
        )
        i++
      } else {
        out = this.runLayer(layer, out, options)
      }
    }
    return out
  }

  private convAffine(
    layer: Extract<LayerDef, { kind: 'conv' }>,
    x: Tensor,
    scale: Tensor,
    shift: Tensor,
    relu: boolean,
    residual?: Tensor
  ): Tensor {
    const kernel = this.param(`${layer.name}/kernel`) as Tensor4D
    const { stride, padding } = layer
    return convAffine(x as Tensor4D, kernel, stride, padding, scale, shift, relu, residual)
  }

  private runLayer(layer: LayerDef, x: Tensor, options: ApplyOptions): Tensor {
    switch (layer.kind) {
      case 'conv': {
        let y = tf.conv2d(
          x as Tensor4D,
          this.param(`${layer.name}/kernel`) as Tensor4D,
          layer.stride,
          layer.padding
        )
        if (layer.bias) y = tf.add(y, this.param(`${layer.name}/bias`))
        return y
      }
      case 'dense': {
        let y = tf.matMul(x as Tensor2D, this.param(`${layer.name}/kernel`) as Tensor2D)
        if (layer.bias) y = tf.add(y, this.param(`${layer.name}/bias`))
        return y
      }
      case 'relu':
        return tf.relu(x)
      case 'activation':
        return applyActivationFn(layer.fn, x, layer.alpha)
      case 'batchnorm':
        return this.batchNorm(layer, x, options)
      case 'maxpool':
        return tf.maxPool(x as Tensor4D, layer.size, layer.stride, layer.padding ?? 'valid')
      case 'avgpool':
        // 'same' divides by the real element count, forward and (gradients/AvgPool_grad) backward.
        return tf.avgPool(x as Tensor4D, layer.size, layer.stride, layer.padding)
      case 'depthwise':
      case 'separable': {
        const dw = this.param(`${layer.name}/depthwise_kernel`) as Tensor4D
        let y = this.depthwise(x as Tensor4D, dw, layer.stride, layer.padding, options.training)
        if (layer.kind === 'separable')
          y = tf.conv2d(y, this.param(`${layer.name}/pointwise_kernel`) as Tensor4D, 1, 'valid')
        return layer.bias ? tf.add(y, this.param(`${layer.name}/bias`)) : y
      }
      case 'zeropad': {
        const [t, b, l, r] = layer.pads
        return tf.pad(x, [
          [0, 0],
          [t, b],
          [l, r],
          [0, 0]
        ])
      }
      case 'gap':
        return tf.mean(x, [1, 2])
      case 'gmp':
        return tf.max(x, [1, 2])
      case 'flatten':
        return tf.reshape(x, [x.shape[0], -1])
      case 'residual': {
        return tf.add(
          this.runLayers(layer.body, x, options),
          this.runLayers(layer.shortcut, x, options)
        )
      }
    }
  }

  /**
   * Depthwise convolution. Inference (attacks, saliency, the reference's input gradients) uses
   * models/depthwise, whose input gradient runs on wasm too; training needs the filter's
   * gradient, which only tf.depthwiseConv2d's own gradient gives.
   */
  private depthwise(
    x: Tensor4D,
    filter: Tensor4D,
    stride: number,
    padding: 'same' | 'valid',
    training: boolean
  ): Tensor4D {
    if (training) return tf.depthwiseConv2d(x, filter, stride, padding)
    const [kh, kw] = filter.shape
    const padded =
      padding === 'same'
        ? tf.pad(x, [
            [0, 0],
            samePadding(x.shape[1], kh, stride),
            samePadding(x.shape[2], kw, stride),
            [0, 0]
          ])
        : x
    return depthwiseConvValid(padded, filter, [stride, stride])
  }

  /**
   * Training: ops/batchNorm (the native kernels when active, else mean/rsqrt ops; both are
   * second-order correct, unlike tf.batchNorm's fused kernel). Inference: batchNormInference.
   */
  private batchNorm(layer: BatchNormLayer, x: Tensor, options: ApplyOptions, relu = false): Tensor {
    if (!options.training) return this.batchNormInference(layer, x)
    const { y, mean, variance } = batchNormTrain(
      x,
      this.param(`${layer.name}/gamma`),
      this.param(`${layer.name}/beta`),
      layer.epsilon,
      relu
    )
    options.bnUpdates?.push({
      layer: layer.name,
      mean: tf.keep(mean),
      variance: tf.keep(variance),
      momentum: layer.momentum
    })
    return y
  }

  private batchNormInference(layer: BatchNormLayer, x: Tensor): Tensor {
    const { scale, shift } = this.foldedBatchNorm(layer)
    return channelAffine(x, scale, shift, false)
  }

  /**
   * An inference-mode batch norm folded to x*scale + shift per channel, for one native pass
   * (ops/channelAffine, or inside the convolution before it, ops/convAffine): PGD and the
   * audits run it hundreds of times per layer.
   */
  private foldedBatchNorm(layer: BatchNormLayer): { scale: Tensor; shift: Tensor } {
    const mean = this.param(`${layer.name}/moving_mean`)
    const variance = this.param(`${layer.name}/moving_variance`)
    const scale = tf.mul(
      tf.rsqrt(tf.add(variance, layer.epsilon)),
      this.param(`${layer.name}/gamma`)
    )
    const shift = tf.sub(this.param(`${layer.name}/beta`), tf.mul(mean, scale))
    return { scale, shift }
  }
}

let counter = 0
function uniqueSuffix(): number {
  return counter++
}
