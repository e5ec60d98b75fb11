/**
 * One Keras layer → Ortholens stages, a table of small converters by class name. A layer that
 * cannot be run exactly (or could not be differentiated) returns the reason instead; the
 * caller lists every such layer in one error rather than importing an approximation.
 */
import type { ActivationFn, LayerDef, Padding } from '../architecture'
import type { KLayer } from './kLayer'

/** What a converter may use besides its layer. */
export interface ConvertEnv {
  /** The last layer of the model (a final softmax is dropped there). */
  isLast: boolean
  /** The first layer after the input (a Rescaling(1/255) is dropped there). */
  isFirst: boolean
  warnings: string[]
  /** A fresh stage name for an activation split off `base` (Conv2D(activation='tanh') → `base_tanh`). */
  extraName: (base: string, suffix: string) => string
  /** BatchNormalization center/scale flags, for the weights. */
  bnFlags: Map<string, { center: boolean; scale: boolean }>
}

type Converter = (k: KLayer, env: ConvertEnv) => LayerDef[] | string

/** Layers that do nothing at inference. */
export const SKIPPED = new Set([
  'Dropout',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout'
])

/** Why common layers Ortholens does not run are refused. */
export const HINTS: Record<string, string> = {
  Concatenate:
    'only chains with residual Add blocks are supported (import the model as ONNX instead)',
  Multiply: 'only chains with residual Add blocks are supported (import the model as ONNX instead)',
  LSTM: 'recurrent layers are not image classifiers Ortholens can audit',
  GRU: 'recurrent layers are not image classifiers Ortholens can audit',
  Normalization: 'input normalisation layers are not supported (inputs are images in [0, 1])'
}

/** Keras activation identifiers (Keras 2, Keras 3 and tfjs spellings) → ours. */
const ACTIVATIONS: Record<string, ActivationFn> = {
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  relu6: 'relu6',
  elu: 'elu',
  softplus: 'softplus',
  swish: 'swish',
  silu: 'swish',
  hard_sigmoid: 'hard_sigmoid',
  hardSigmoid: 'hard_sigmoid'
}

export const SUPPORTED_SUMMARY =
  'InputLayer, Conv2D, DepthwiseConv2D, SeparableConv2D, Dense, BatchNormalization, ReLU (incl. ReLU6, leaky), ' +
  'LeakyReLU, ELU, Activation(relu|tanh|sigmoid|relu6|elu|softplus|swish|hard_sigmoid|linear), MaxPooling2D, ' +
  'AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, ZeroPadding2D, Flatten, Dropout, ' +
  'Add (residual blocks), a final softmax, Rescaling(1/255)'

/** Stages for a fused or standalone activation, or why it is refused. */
function activationStages(
  k: KLayer,
  env: ConvertEnv,
  fused: unknown,
  standalone: boolean
): LayerDef[] | string {
  const a = fused ?? 'linear'
  const name = standalone ? k.name : undefined
  if (a === 'linear') return []
  if (a === 'relu') return [{ kind: 'relu', name: name ?? env.extraName(k.name, 'relu') }]
  if (a === 'softmax' && env.isLast) {
    env.warnings.push(
      `${k.name}: the final softmax is dropped; the model outputs probabilities, Ortholens uses the logits before the softmax`
    )
    return []
  }
  if (a === 'leaky_relu')
    return [
      {
        kind: 'activation',
        name: name ?? env.extraName(k.name, 'leaky_relu'),
        fn: 'leaky_relu',
        alpha: 0.2
      }
    ]
  const fn = typeof a === 'string' ? ACTIVATIONS[a] : undefined
  if (fn) return [{ kind: 'activation', name: name ?? env.extraName(k.name, fn), fn }]
  return `activation "${String(a)}" is not supported (relu, tanh, sigmoid, relu6, elu, softplus, swish, hard_sigmoid, linear, and softmax on the output)`
}

function square(v: unknown): number | undefined {
  if (typeof v === 'number') return v
  if (Array.isArray(v) && v.length > 0 && v.every((x) => x === v[0]) && typeof v[0] === 'number')
    return v[0]
  return undefined
}

function num(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback
}

function padding(v: unknown): Padding | string {
  const p = v ?? 'valid'
  return p === 'same' || p === 'valid' ? p : `padding "${String(p)}" is not supported`
}

/** Kernel, stride and padding of a convolution-like layer, or why they are refused. */
function window(
  c: Record<string, unknown>,
  defaultStride = 1
): { kernel: number; stride: number; padding: Padding } | string {
  const kernel = square(c.kernel_size)
  const stride = square(c.strides ?? defaultStride)
  if (kernel === undefined) return `kernel_size ${JSON.stringify(c.kernel_size)} is not square`
  if (stride === undefined) return `strides ${JSON.stringify(c.strides)} are not equal`
  if (square(c.dilation_rate ?? 1) !== 1)
    return 'dilated convolutions are not supported (import the model as ONNX instead)'
  const p = padding(c.padding)
  if (p !== 'same' && p !== 'valid') return p
  return { kernel, stride, padding: p }
}

function pool(kind: 'maxpool' | 'avgpool'): Converter {
  return (k) => {
    const c = k.config
    const size = square(c.pool_size ?? 2)
    const stride = square(c.strides ?? c.pool_size ?? 2)
    if (size === undefined || stride === undefined)
      return 'only square pools with equal strides are supported'
    const p = padding(c.padding)
    if (p !== 'same' && p !== 'valid') return p
    return [{ kind, name: k.name, size, stride, padding: p }]
  }
}

export const KERAS_CONVERTERS: Record<string, Converter> = {
  Conv2D: (k, env) => {
    const c = k.config
    const w = window(c)
    if (typeof w === 'string') return w
    if (c.groups !== undefined && c.groups !== 1)
      return 'grouped convolutions are not supported (import the model as ONNX instead)'
    const act = activationStages(k, env, c.activation, false)
    if (typeof act === 'string') return act
    return [
      { kind: 'conv', name: k.name, filters: Number(c.filters), ...w, bias: c.use_bias !== false },
      ...act
    ]
  },
  DepthwiseConv2D: (k, env) => {
    const c = k.config
    const w = window(c)
    if (typeof w === 'string') return w
    const act = activationStages(k, env, c.activation, false)
    if (typeof act === 'string') return act
    const multiplier = num(c.depth_multiplier, 1)
    return [
      { kind: 'depthwise', name: k.name, ...w, multiplier, bias: c.use_bias !== false },
      ...act
    ]
  },
  SeparableConv2D: (k, env) => {
    const c = k.config
    const w = window(c)
    if (typeof w === 'string') return w
    const act = activationStages(k, env, c.activation, false)
    if (typeof act === 'string') return act
    const multiplier = num(c.depth_multiplier, 1)
    return [
      {
        kind: 'separable',
        name: k.name,
        filters: Number(c.filters),
        ...w,
        multiplier,
        bias: c.use_bias !== false
      },
      ...act
    ]
  },
  Dense: (k, env) => {
    const act = activationStages(k, env, k.config.activation, false)
    if (typeof act === 'string') return act
    return [
      {
        kind: 'dense',
        name: k.name,
        units: Number(k.config.units),
        bias: k.config.use_bias !== false
      },
      ...act
    ]
  },
  BatchNormalization: (k, env) => {
    const c = k.config
    const axis = Array.isArray(c.axis)
      ? c.axis.length === 1
        ? c.axis[0]
        : undefined
      : (c.axis ?? -1)
    if (axis !== -1 && axis !== 3)
      return `axis ${JSON.stringify(c.axis)}: only the channel axis (-1) is supported`
    const center = c.center !== false
    const scale = c.scale !== false
    env.bnFlags.set(k.name, { center, scale })
    if (!center || !scale) {
      const constants = [center ? '' : 'beta = 0', scale ? '' : 'gamma = 1'].filter(Boolean)
      env.warnings.push(
        `${k.name}: BatchNormalization(center: ${center}, scale: ${scale}) runs with constant ` +
          `${constants.join(' and ')} (Ortholens' own batch norm, which can be differentiated)`
      )
    }
    return [
      {
        kind: 'batchnorm',
        name: k.name,
        epsilon: num(c.epsilon, 1e-3),
        momentum: num(c.momentum, 0.99)
      }
    ]
  },
  ReLU: (k) => {
    const c = k.config
    const max = c.max_value ?? null
    const slope = num(c.negative_slope, 0)
    if (num(c.threshold, 0) !== 0) return 'thresholded ReLU is not supported'
    if (max === null && slope === 0) return [{ kind: 'relu', name: k.name }]
    if (max === 6 && slope === 0) return [{ kind: 'activation', name: k.name, fn: 'relu6' }]
    if (max === null) return [{ kind: 'activation', name: k.name, fn: 'leaky_relu', alpha: slope }]
    return `ReLU(max_value=${String(max)}, negative_slope=${slope}) is not supported (ReLU, ReLU6, leaky ReLU are)`
  },
  LeakyReLU: (k) => [
    {
      kind: 'activation',
      name: k.name,
      fn: 'leaky_relu',
      alpha: num(k.config.alpha ?? k.config.negative_slope, 0.3)
    }
  ],
  ELU: (k) =>
    num(k.config.alpha, 1) === 1
      ? [{ kind: 'activation', name: k.name, fn: 'elu' }]
      : 'ELU with alpha ≠ 1 is not supported',
  Activation: (k, env) => activationStages(k, env, k.config.activation, true),
  Softmax: (k, env) => {
    if (!env.isLast) return 'a softmax before the output is not supported'
    env.warnings.push(
      `${k.name}: the final softmax is dropped; Ortholens uses the logits before the softmax`
    )
    return []
  },
  MaxPooling2D: pool('maxpool'),
  AveragePooling2D: pool('avgpool'),
  GlobalAveragePooling2D: (k) =>
    k.config.keepdims === true
      ? 'keepdims: true is not supported'
      : [{ kind: 'gap', name: k.name }],
  GlobalMaxPooling2D: (k) =>
    k.config.keepdims === true
      ? 'keepdims: true is not supported'
      : [{ kind: 'gmp', name: k.name }],
  ZeroPadding2D: (k) => {
    const p = k.config.padding ?? 1
    let pads: [number, number, number, number] | undefined
    if (typeof p === 'number') pads = [p, p, p, p]
    else if (Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'number'))
      pads = [p[0], p[0], p[1], p[1]] as [number, number, number, number]
    else if (
      Array.isArray(p) &&
      p.length === 2 &&
      p.every((x) => Array.isArray(x) && x.length === 2)
    ) {
      pads = [p[0][0], p[0][1], p[1][0], p[1][1]] as [number, number, number, number]
    }
    if (!pads || !pads.every((x) => Number.isInteger(x) && x >= 0))
      return `padding ${JSON.stringify(p)} is not supported`
    return [{ kind: 'zeropad', name: k.name, pads }]
  },
  Flatten: (k) => [{ kind: 'flatten', name: k.name }],
  Rescaling: (k, env) => {
    const scale = num(k.config.scale, 1)
    const offset = num(k.config.offset, 0)
    if (!env.isFirst) return 'a Rescaling layer is only supported right after the input'
    if (offset === 0 && Math.abs(scale - 1 / 255) < 1e-6) {
      env.warnings.push(
        `${k.name}: Rescaling(1/255) dropped; the model expects pixels in [0, 255] and Ortholens feeds [0, 1] already`
      )
      return []
    }
    if (offset === 0 && scale === 1) return []
    return `Rescaling(scale=${scale}, offset=${offset}) expects another input range; only Rescaling(1/255) (pixels 0..255 to [0, 1]) can be imported`
  }
}

/** Our stages for one Keras layer, or why it cannot be converted. */
export function convertKerasLayer(k: KLayer, env: ConvertEnv): LayerDef[] | string {
  const c = k.config
  const channelsLast =
    c.data_format === undefined || c.data_format === null || c.data_format === 'channels_last'
  if (!channelsLast) return 'only data_format "channels_last" is supported'
  const converter = KERAS_CONVERTERS[k.className]
  if (converter) return converter(k, env)
  if (SKIPPED.has(k.className)) {
    env.warnings.push(`${k.name}: ${k.className} skipped (it does nothing at inference)`)
    return []
  }
  return HINTS[k.className] ?? 'this layer type is not supported'
}
