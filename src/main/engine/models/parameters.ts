/**
 * What parameters an architecture has and how they start: each layer walked symbolically
 * (names, shapes, fan-in and fan-out, no tensors), and the seeded initial values that
 * models/network gives its variables.
 */
import { tf, type Tensor } from '../tf'
import type { LayerDef, ModelArchitecture } from './architecture'

export type Shape = number[] // without the batch axis

export interface ParamSpec {
  name: string
  shape: number[]
  init: 'glorot' | 'zeros' | 'ones'
  fanIn: number
  fanOut: number
  trainable: boolean
}

export class ModelError extends Error {}

/**
 * The parameters an architecture declares, names and shapes, computed symbolically: nothing is
 * allocated, so a declared size can be checked against real weights before building anything
 * (a layer claiming 1,000,000 filters must not cost gigabytes before it is refused).
 */
export function architectureParameters(
  architecture: ModelArchitecture
): { name: string; shape: number[] }[] {
  const specs: ParamSpec[] = []
  let shape: Shape = [...architecture.inputShape]
  for (const layer of architecture.layers) shape = collectParams(layer, shape, specs)
  return specs.map(({ name, shape: s }) => ({ name, shape: s }))
}

export function containsKind(layers: LayerDef[], kind: LayerDef['kind']): boolean {
  return layers.some(
    (l) =>
      l.kind === kind ||
      (l.kind === 'residual' && (containsKind(l.body, kind) || containsKind(l.shortcut, kind)))
  )
}

/** Walks one layer symbolically: records its parameters and returns its output shape. */
export function collectParams(layer: LayerDef, shape: Shape, specs: ParamSpec[]): Shape {
  switch (layer.kind) {
    case 'conv': {
      if (shape.length !== 3)
        throw new ModelError(`Layer ${layer.name} needs a feature map, got [${shape}]`)
      const [h, w, c] = shape
      const k = layer.kernel
      specs.push({
        name: `${layer.name}/kernel`,
        shape: [k, k, c, layer.filters],
        init: 'glorot',
        fanIn: k * k * c,
        fanOut: k * k * layer.filters,
        trainable: true
      })
      if (layer.bias) specs.push(zeros(`${layer.name}/bias`, [layer.filters]))
      const out = (n: number) =>
        layer.padding === 'same'
          ? Math.ceil(n / layer.stride)
          : Math.floor((n - k) / layer.stride) + 1
      if (out(h) < 1 || out(w) < 1)
        throw new ModelError(`Layer ${layer.name}: input ${h}x${w} is too small`)
      return [out(h), out(w), layer.filters]
    }
    case 'dense': {
      if (shape.length !== 1)
        throw new ModelError(`Layer ${layer.name} needs a vector, got [${shape}]`)
      specs.push({
        name: `${layer.name}/kernel`,
        shape: [shape[0], layer.units],
        init: 'glorot',
        fanIn: shape[0],
        fanOut: layer.units,
        trainable: true
      })
      if (layer.bias) specs.push(zeros(`${layer.name}/bias`, [layer.units]))
      return [layer.units]
    }
    case 'batchnorm': {
      const c = shape[shape.length - 1]
      specs.push(
        { ...zeros(`${layer.name}/gamma`, [c]), init: 'ones' },
        zeros(`${layer.name}/beta`, [c]),
        { ...zeros(`${layer.name}/moving_mean`, [c]), trainable: false },
        { ...zeros(`${layer.name}/moving_variance`, [c]), init: 'ones', trainable: false }
      )
      return shape
    }
    case 'relu':
    case 'activation':
      return shape
    case 'maxpool':
    case 'avgpool': {
      if (shape.length !== 3)
        throw new ModelError(`Layer ${layer.name} needs a feature map, got [${shape}]`)
      const [h, w, c] = shape
      const o = (n: number) => windowOut(n, layer.size, layer.stride, layer.padding ?? 'valid')
      if (o(h) < 1 || o(w) < 1)
        throw new ModelError(`Layer ${layer.name}: input ${h}x${w} is smaller than the pool`)
      return [o(h), o(w), c]
    }
    case 'depthwise':
    case 'separable': {
      if (shape.length !== 3)
        throw new ModelError(`Layer ${layer.name} needs a feature map, got [${shape}]`)
      const [h, w, c] = shape
      const k = layer.kernel
      const m = layer.multiplier
      specs.push({
        name: `${layer.name}/depthwise_kernel`,
        shape: [k, k, c, m],
        init: 'glorot',
        fanIn: k * k,
        fanOut: k * k * m,
        trainable: true
      })
      const outChannels = layer.kind === 'separable' ? layer.filters : c * m
      if (layer.kind === 'separable') {
        specs.push({
          name: `${layer.name}/pointwise_kernel`,
          shape: [1, 1, c * m, layer.filters],
          init: 'glorot',
          fanIn: c * m,
          fanOut: layer.filters,
          trainable: true
        })
      }
      if (layer.bias) specs.push(zeros(`${layer.name}/bias`, [outChannels]))
      const o = (n: number) => windowOut(n, k, layer.stride, layer.padding)
      if (o(h) < 1 || o(w) < 1)
        throw new ModelError(`Layer ${layer.name}: input ${h}x${w} is too small`)
      return [o(h), o(w), outChannels]
    }
    case 'zeropad': {
      if (shape.length !== 3)
        throw new ModelError(`Layer ${layer.name} needs a feature map, got [${shape}]`)
      const [t, b, l, r] = layer.pads
      return [shape[0] + t + b, shape[1] + l + r, shape[2]]
    }
    case 'gap':
    case 'gmp':
      return [shape[2]]
    case 'flatten':
      return [shape.reduce((a, b) => a * b, 1)]
    case 'residual': {
      let body = shape
      for (const l of layer.body) body = collectParams(l, body, specs)
      let short = shape
      for (const l of layer.shortcut) short = collectParams(l, short, specs)
      if (body.join('x') !== short.join('x')) {
        throw new ModelError(
          `Residual ${layer.name}: body [${body}] and shortcut [${short}] differ`
        )
      }
      return body
    }
  }
}

/** Output size of a window op along one axis (TensorFlow's 'same' = ceil(n / stride)). */
function windowOut(n: number, size: number, stride: number, padding: 'same' | 'valid'): number {
  return padding === 'same' ? Math.ceil(n / stride) : Math.floor((n - size) / stride) + 1
}

function zeros(name: string, shape: number[]): ParamSpec {
  return { name, shape, init: 'zeros', fanIn: 0, fanOut: 0, trainable: true }
}

/** Xavier/Glorot uniform (Glorot & Bengio 2010), as Table 6.1 of the thesis; seeded. */
export function initialValue(spec: ParamSpec, seed: number): Tensor {
  switch (spec.init) {
    case 'zeros':
      return tf.zeros(spec.shape)
    case 'ones':
      return tf.ones(spec.shape)
    case 'glorot': {
      const limit = Math.sqrt(6 / (spec.fanIn + spec.fanOut))
      return tf.randomUniform(spec.shape, -limit, limit, 'float32', seed)
    }
  }
}
