/**
 * A Keras/TensorFlow.js Layers topology (Sequential, or a functional graph that is a chain
 * with residual Add blocks) as our declarative ModelArchitecture plus its weights. Layers
 * Ortholens cannot run exactly, or could not differentiate twice, are refused in one error
 * listing every one of them, rather than imported approximately.
 */
import type { LayerDef, ModelArchitecture } from '../architecture'
import type { SerializedWeights } from '../network'
import type { DecodedWeight } from './files'
import { LayersFormatError } from './files'

/** One layer of the topology, with the names of the layers feeding it. */
interface KLayer {
  className: string
  name: string
  config: Record<string, unknown>
  inbound: string[]
}

type Item = KLayer | { add: KLayer; body: Item[]; shortcut: Item[] }

export interface ConvertOptions {
  /** Fills input dimensions the model leaves open (null), e.g. from the target dataset. */
  inputShape?: [number, number, number]
  /** Named in messages. */
  source: string
}

export interface Converted {
  architecture: ModelArchitecture
  weights: SerializedWeights
  warnings: string[]
}

const SKIPPED = new Set([
  'Dropout',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout'
])

const HINTS: Record<string, string> = {
  AveragePooling2D:
    'average pooling is not an Ortholens stage (and its gradient with "same" padding is wrong in TensorFlow.js)',
  DepthwiseConv2D: 'depthwise convolutions are not supported',
  SeparableConv2D: 'separable convolutions are not supported',
  Concatenate: 'only chains with residual Add blocks are supported',
  Multiply: 'only chains with residual Add blocks are supported',
  LSTM: 'recurrent layers are not image classifiers Ortholens can audit',
  GRU: 'recurrent layers are not image classifiers Ortholens can audit',
  Normalization: 'input normalisation layers are not supported (inputs are images in [0, 1])'
}

/** Converts a parsed model.json topology and its decoded weights. */
export function convertTopology(
  topology: unknown,
  decoded: DecodedWeight[],
  options: ConvertOptions
): Converted {
  const where = options.source
  const { layers, input, output, sequential } = parseTopology(topology, where)
  const warnings: string[] = []
  const problems: string[] = []
  const inputLayer = layers.find((l) => l.name === input)
  const inputShape = resolveInputShape(inputLayer?.config ?? {}, options.inputShape, where)

  const items = sequential
    ? layers.filter((l) => l.className !== 'InputLayer')
    : chainItems(layers, input, output, where)

  const bnFlags = new Map<string, { center: boolean; scale: boolean }>()
  const samePools = new Set<string>()
  const names = new Set(layers.map((l) => l.name))
  const extraName = (base: string): string => {
    let n = `${base}_relu`
    for (let i = 1; names.has(n); i++) n = `${base}_relu_${i}`
    names.add(n)
    return n
  }

  let first = true
  const convert = (list: Item[], top: boolean): LayerDef[] => {
    const out: LayerDef[] = []
    list.forEach((item, i) => {
      const isLast = top && i === list.length - 1
      if ('add' in item) {
        first = false
        out.push({
          kind: 'residual',
          name: item.add.name,
          body: convert(item.body, false),
          shortcut: convert(item.shortcut, false)
        })
        return
      }
      const defs = convertLayer(item, isLast, first)
      first = false
      if (typeof defs === 'string') problems.push(`${item.name} (${item.className}): ${defs}`)
      else out.push(...defs)
    })
    return out
  }

  /** Our stages for one Keras layer, or why it cannot be converted. */
  const convertLayer = (k: KLayer, isLast: boolean, isFirst: boolean): LayerDef[] | string => {
    const c = k.config
    const activation = (fused: unknown): LayerDef[] | string => {
      const a = fused ?? 'linear'
      if (a === 'linear') return []
      if (a === 'relu') return [{ kind: 'relu', name: extraName(k.name) }]
      if (a === 'softmax' && isLast) {
        warnings.push(
          `${k.name}: the final softmax is dropped; the model outputs probabilities, Ortholens uses the logits before the softmax`
        )
        return []
      }
      return `activation "${String(a)}" is not supported (only relu, linear, and softmax on the output)`
    }
    const channelsLast =
      c.data_format === undefined || c.data_format === null || c.data_format === 'channels_last'
    if (!channelsLast) return 'only data_format "channels_last" is supported'
    switch (k.className) {
      case 'Conv2D': {
        const kernel = square(c.kernel_size)
        const stride = square(c.strides ?? 1)
        if (kernel === undefined)
          return `kernel_size ${JSON.stringify(c.kernel_size)} is not square`
        if (stride === undefined) return `strides ${JSON.stringify(c.strides)} are not equal`
        if (square(c.dilation_rate ?? 1) !== 1) return 'dilated convolutions are not supported'
        if (c.groups !== undefined && c.groups !== 1)
          return 'grouped convolutions are not supported'
        if (c.padding !== 'same' && c.padding !== 'valid')
          return `padding "${String(c.padding)}" is not supported`
        const act = activation(c.activation)
        if (typeof act === 'string') return act
        return [
          {
            kind: 'conv',
            name: k.name,
            filters: Number(c.filters),
            kernel,
            stride,
            padding: c.padding,
            bias: c.use_bias !== false
          },
          ...act
        ]
      }
      case 'Dense': {
        const act = activation(c.activation)
        if (typeof act === 'string') return act
        return [
          { kind: 'dense', name: k.name, units: Number(c.units), bias: c.use_bias !== false },
          ...act
        ]
      }
      case 'BatchNormalization': {
        const axis = Array.isArray(c.axis)
          ? c.axis.length === 1
            ? c.axis[0]
            : undefined
          : (c.axis ?? -1)
        if (axis !== -1 && axis !== 3)
          return `axis ${JSON.stringify(c.axis)}: only the channel axis (-1) is supported`
        const center = c.center !== false
        const scale = c.scale !== false
        bnFlags.set(k.name, { center, scale })
        if (!center || !scale) {
          const constants = [center ? '' : 'beta = 0', scale ? '' : 'gamma = 1'].filter(Boolean)
          warnings.push(
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
      }
      case 'ReLU': {
        if ((c.max_value ?? null) !== null)
          return 'a capped ReLU (max_value, e.g. ReLU6) is not supported'
        if (num(c.negative_slope, 0) !== 0 || num(c.threshold, 0) !== 0)
          return 'leaky or thresholded ReLU is not supported'
        return [{ kind: 'relu', name: k.name }]
      }
      case 'Activation': {
        if (c.activation === 'relu') return [{ kind: 'relu', name: k.name }]
        return activation(c.activation)
      }
      case 'Softmax': {
        if (!isLast) return 'a softmax before the output is not supported'
        warnings.push(
          `${k.name}: the final softmax is dropped; Ortholens uses the logits before the softmax`
        )
        return []
      }
      case 'MaxPooling2D': {
        const size = square(c.pool_size ?? 2)
        const stride = square(c.strides ?? c.pool_size ?? 2)
        if (size === undefined || stride === undefined)
          return 'only square pools with equal strides are supported'
        if (c.padding === 'same') samePools.add(k.name)
        else if (c.padding !== undefined && c.padding !== 'valid')
          return `padding "${String(c.padding)}" is not supported`
        return [{ kind: 'maxpool', name: k.name, size, stride }]
      }
      case 'GlobalAveragePooling2D':
        if (c.keepdims === true) return 'keepdims: true is not supported'
        return [{ kind: 'gap', name: k.name }]
      case 'Flatten':
        return [{ kind: 'flatten', name: k.name }]
      case 'Rescaling': {
        const scale = num(c.scale, 1)
        const offset = num(c.offset, 0)
        if (!isFirst) return 'a Rescaling layer is only supported right after the input'
        if (offset === 0 && Math.abs(scale - 1 / 255) < 1e-6) {
          warnings.push(
            `${k.name}: Rescaling(1/255) dropped; the model expects pixels in [0, 255] and Ortholens feeds [0, 1] already`
          )
          return []
        }
        if (offset === 0 && scale === 1) return []
        return `Rescaling(scale=${scale}, offset=${offset}) expects another input range; only Rescaling(1/255) (pixels 0..255 to [0, 1]) can be imported`
      }
      default:
        if (SKIPPED.has(k.className)) {
          warnings.push(`${k.name}: ${k.className} skipped (it does nothing at inference)`)
          return []
        }
        return HINTS[k.className] ?? 'this layer type is not supported'
    }
  }

  const defs = convert(items, true)
  if (problems.length > 0) {
    throw new LayersFormatError(
      `${where} uses layers Ortholens cannot import:\n  ${problems.join('\n  ')}\n` +
        'Supported: InputLayer, Conv2D, Dense, BatchNormalization, ReLU/Activation(relu|linear), MaxPooling2D, ' +
        'GlobalAveragePooling2D, Flatten, Dropout, Add (residual blocks), a final softmax, Rescaling(1/255)'
    )
  }
  if (defs.length === 0) throw new LayersFormatError(`${where} has no layers to import`)
  const outShape = checkShapes(defs, inputShape, samePools, where)
  if (outShape.length !== 1) {
    throw new LayersFormatError(
      `${where}: the model outputs shape [${outShape.join(', ')}], expected a vector of class scores`
    )
  }
  const numClasses = outShape[0]!
  if (numClasses < 2)
    throw new LayersFormatError(
      `${where}: the model has ${numClasses} output; a classifier needs >= 2`
    )
  const architecture: ModelArchitecture = {
    format: 1,
    arch: 'imported',
    inputShape,
    numClasses,
    layers: defs
  }
  const weights = collectWeights(defs, decoded, bnFlags, where, warnings)
  return { architecture, weights, warnings }
}

/** Layers, input and output names of a Sequential or functional topology. */
function parseTopology(
  topology: unknown,
  where: string
): { layers: KLayer[]; input: string; output: string; sequential: boolean } {
  let top = topology as Record<string, unknown>
  if (top && typeof top === 'object' && 'model_config' in top)
    top = top.model_config as Record<string, unknown>
  const className = top?.class_name
  const config = top?.config as Record<string, unknown> | unknown[] | undefined
  if (typeof className !== 'string' || !config)
    throw new LayersFormatError(`${where}: modelTopology has no class_name/config`)
  const rawLayers = (Array.isArray(config) ? config : config.layers) as
    Record<string, unknown>[] | undefined
  if (!Array.isArray(rawLayers))
    throw new LayersFormatError(`${where}: modelTopology lists no layers`)
  if (className === 'Sequential') {
    const layers: KLayer[] = rawLayers.map((l, i) => {
      const cfg = (l.config ?? {}) as Record<string, unknown>
      return {
        className: String(l.class_name),
        name: String(cfg.name ?? `layer_${i}`),
        config: cfg,
        inbound: []
      }
    })
    const firstWithShape = layers.find((l) => l.config.batch_input_shape || l.config.batch_shape)
    return {
      layers,
      input: firstWithShape?.name ?? '',
      output: layers[layers.length - 1]?.name ?? '',
      sequential: true
    }
  }
  if (className !== 'Model' && className !== 'Functional') {
    throw new LayersFormatError(
      `${where}: model class "${className}" is not supported (Sequential or functional Model)`
    )
  }
  const cfg = config as Record<string, unknown>
  const layers: KLayer[] = rawLayers.map((l) => {
    const nodes = (l.inbound_nodes ?? []) as unknown[]
    const name = String(l.name ?? (l.config as Record<string, unknown>)?.name)
    if (nodes.length > 1) {
      throw new LayersFormatError(
        `${where}: layer ${name} is used ${nodes.length} times (shared layers are not supported)`
      )
    }
    return {
      className: String(l.class_name),
      name,
      config: (l.config ?? {}) as Record<string, unknown>,
      inbound: nodes.length === 0 ? [] : nodeInputs(nodes[0])
    }
  })
  const ends = (key: string): string[] =>
    ((cfg[key] ?? []) as unknown[]).map((e) => (Array.isArray(e) ? String(e[0]) : String(e)))
  const inputs = ends('input_layers')
  let outputs = ends('output_layers')
  // Keras 3 writes a single output as ["name", 0, 0] instead of [["name", 0, 0]].
  if (outputs.length === 3 && !Array.isArray((cfg.output_layers as unknown[])[0]))
    outputs = [outputs[0]!]
  const inputsFixed =
    inputs.length === 3 && !Array.isArray((cfg.input_layers as unknown[])[0])
      ? [inputs[0]!]
      : inputs
  if (inputsFixed.length !== 1 || outputs.length !== 1) {
    throw new LayersFormatError(
      `${where}: models with ${inputsFixed.length} inputs and ${outputs.length} outputs are not supported (one each)`
    )
  }
  return { layers, input: inputsFixed[0]!, output: outputs[0]!, sequential: false }
}

/** Inbound layer names of one node, in the tfjs/Keras 2 and the Keras 3 formats. */
function nodeInputs(node: unknown): string[] {
  if (Array.isArray(node)) return node.map((e) => String((e as unknown[])[0]))
  const args = ((node as Record<string, unknown>)?.args ?? []) as unknown[]
  const names: string[] = []
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit)
    else if (v && typeof v === 'object') {
      const history = ((v as Record<string, unknown>).config as Record<string, unknown> | undefined)
        ?.keras_history
      if (Array.isArray(history)) names.push(String(history[0]))
    }
  }
  args.forEach(visit)
  return names
}

/**
 * Walks the graph back from the output: a plain layer continues the chain, an Add splits it
 * into two branches that meet at their fork (the latest common ancestor). Every layer must be
 * on that path and only forks may feed two layers, otherwise the graph is not a chain.
 */
function chainItems(layers: KLayer[], input: string, output: string, where: string): Item[] {
  const byName = new Map(layers.map((l) => [l.name, l]))
  const consumers = new Map<string, number>()
  for (const l of layers) for (const n of l.inbound) consumers.set(n, (consumers.get(n) ?? 0) + 1)
  const ancestorCache = new Map<string, Set<string>>()
  const ancestors = (name: string): Set<string> => {
    let set = ancestorCache.get(name)
    if (!set) {
      set = new Set([name])
      for (const n of byName.get(name)?.inbound ?? []) for (const a of ancestors(n)) set.add(a)
      ancestorCache.set(name, set)
    }
    return set
  }
  const visited = new Set<string>([input])
  const forks = new Map<string, number>()
  const notChain = (why: string): LayersFormatError =>
    new LayersFormatError(`${where}: the model graph is not a chain with residual blocks (${why})`)

  const walk = (to: string, from: string): Item[] => {
    const items: Item[] = []
    let n = to
    while (n !== from) {
      const k = byName.get(n)
      if (!k) throw notChain(`layer "${n}" is not defined`)
      if (visited.has(n)) throw notChain(`layer ${n} is reached twice`)
      visited.add(n)
      if (k.className === 'Add') {
        if (k.inbound.length !== 2) throw notChain(`Add ${n} has ${k.inbound.length} inputs, not 2`)
        const [a, b] = k.inbound as [string, string]
        const common = [...ancestors(a)].filter((x) => ancestors(b).has(x))
        if (common.length === 0) throw notChain(`the branches of ${n} never meet`)
        const fork = common.reduce((best, x) =>
          ancestors(x).size > ancestors(best).size ? x : best
        )
        forks.set(fork, (forks.get(fork) ?? 0) + 2)
        const ia = walk(a, fork)
        const ib = walk(b, fork)
        const [body, shortcut] = ia.length >= ib.length ? [ia, ib] : [ib, ia]
        items.unshift({ add: k, body, shortcut })
        n = fork
      } else {
        if (k.inbound.length === 0) throw notChain(`${n} is an input other than ${from}`)
        if (k.inbound.length > 1) {
          throw new LayersFormatError(
            `${where} uses layers Ortholens cannot import:\n  ${n} (${k.className}): ` +
              (HINTS[k.className] ?? 'only chains with residual Add blocks are supported')
          )
        }
        items.unshift(k)
        n = k.inbound[0]!
      }
    }
    return items
  }
  const items = walk(output, input)
  const missing = layers.filter((l) => !visited.has(l.name)).map((l) => l.name)
  if (missing.length > 0) throw notChain(`layers off the path: ${missing.join(', ')}`)
  for (const [name, count] of consumers) {
    const expected = (forks.get(name) ?? 0) > 0 ? 2 : 1
    if (count > expected) throw notChain(`${name} feeds ${count} layers`)
  }
  return items
}

function resolveInputShape(
  config: Record<string, unknown>,
  given: [number, number, number] | undefined,
  where: string
): [number, number, number] {
  const raw = (config.batch_input_shape ?? config.batch_shape) as (number | null)[] | undefined
  if (!Array.isArray(raw)) {
    if (given) return given
    throw new LayersFormatError(
      `${where}: the model does not declare its input shape; import it against a dataset`
    )
  }
  const dims = raw.slice(1)
  if (dims.length !== 3) {
    throw new LayersFormatError(
      `${where}: the model input has shape [${dims.map((d) => d ?? '?').join(', ')}]; Ortholens needs images (height, width, channels)`
    )
  }
  const shape = dims.map((d, i) => {
    if (d === null || d === undefined || d < 0) {
      if (!given)
        throw new LayersFormatError(
          `${where}: the model input size is open ([${dims.map((x) => x ?? '?').join(', ')}]); import it against a dataset`
        )
      return given[i]!
    }
    return d
  })
  return shape as [number, number, number]
}

/** Output shape after `layers`, checking what only shapes can tell (pools, dense inputs). */
function checkShapes(
  layers: LayerDef[],
  input: number[],
  samePools: Set<string>,
  where: string
): number[] {
  let shape = [...input]
  for (const l of layers) {
    const fail = (why: string): never => {
      throw new LayersFormatError(`${where}: layer ${l.name}: ${why} (input [${shape.join(', ')}])`)
    }
    switch (l.kind) {
      case 'conv': {
        if (shape.length !== 3) fail('a convolution needs a feature map')
        const o = (n: number) =>
          l.padding === 'same' ? Math.ceil(n / l.stride) : Math.floor((n - l.kernel) / l.stride) + 1
        if (o(shape[0]!) < 1 || o(shape[1]!) < 1) fail('the input is smaller than the kernel')
        shape = [o(shape[0]!), o(shape[1]!), l.filters]
        break
      }
      case 'dense':
        if (shape.length !== 1)
          fail('Dense on a feature map (without Flatten or global pooling) is not supported')
        shape = [l.units]
        break
      case 'maxpool': {
        if (shape.length !== 3) fail('pooling needs a feature map')
        if (samePools.has(l.name)) {
          // 'same' equals 'valid' exactly when TF would add no padding.
          const pad = (n: number) => (Math.ceil(n / l.stride) - 1) * l.stride + l.size - n
          if (pad(shape[0]!) > 0 || pad(shape[1]!) > 0)
            fail('max pooling with "same" padding that pads is not supported')
        }
        const o = (n: number) => Math.floor((n - l.size) / l.stride) + 1
        if (o(shape[0]!) < 1 || o(shape[1]!) < 1) fail('the input is smaller than the pool')
        shape = [o(shape[0]!), o(shape[1]!), shape[2]!]
        break
      }
      case 'gap':
        if (shape.length !== 3) fail('global pooling needs a feature map')
        shape = [shape[2]!]
        break
      case 'flatten':
        shape = [shape.reduce((a, b) => a * b, 1)]
        break
      case 'residual': {
        const body = checkShapes(l.body, shape, samePools, where)
        const short = checkShapes(l.shortcut, shape, samePools, where)
        if (body.join('x') !== short.join('x'))
          fail(`the branches give [${body.join(', ')}] and [${short.join(', ')}]`)
        shape = body
        break
      }
      default:
        break
    }
  }
  return shape
}

/** Our weights in architecture order, by Keras weight name (`<layer>/<kernel|bias|…>`). */
function collectWeights(
  layers: LayerDef[],
  decoded: DecodedWeight[],
  bnFlags: Map<string, { center: boolean; scale: boolean }>,
  where: string,
  warnings: string[]
): SerializedWeights {
  const byKey = new Map<string, DecodedWeight>()
  for (const w of decoded) {
    const parts = w.name.replace(/:\d+$/, '').split('/')
    if (parts.length >= 2) byKey.set(`${parts[parts.length - 2]}/${parts[parts.length - 1]}`, w)
  }
  const used = new Set<DecodedWeight>()
  const entries: { name: string; shape: number[]; data: Float32Array }[] = []
  const missing: string[] = []
  const take = (layer: string, suffix: string): void => {
    const w = byKey.get(`${layer}/${suffix}`)
    if (!w) {
      missing.push(`${layer}/${suffix}`)
      return
    }
    used.add(w)
    entries.push({ name: `${layer}/${suffix}`, shape: w.shape, data: w.data })
  }
  const constant = (name: string, like: string, value: number): void => {
    const ref = byKey.get(like)
    const c = ref?.shape[0] ?? 0
    entries.push({ name, shape: [c], data: new Float32Array(c).fill(value) })
  }
  const visit = (list: LayerDef[]): void => {
    for (const l of list) {
      if (l.kind === 'conv' || l.kind === 'dense') {
        take(l.name, 'kernel')
        if (l.bias) take(l.name, 'bias')
      } else if (l.kind === 'batchnorm') {
        const flags = bnFlags.get(l.name) ?? { center: true, scale: true }
        // Constants stand in for what the layer lacks, so the model runs through our own
        // batch norm: tfjs' BatchNormalization with center/scale off cannot be differentiated.
        if (flags.scale) take(l.name, 'gamma')
        else constant(`${l.name}/gamma`, `${l.name}/moving_mean`, 1)
        if (flags.center) take(l.name, 'beta')
        else constant(`${l.name}/beta`, `${l.name}/moving_mean`, 0)
        take(l.name, 'moving_mean')
        take(l.name, 'moving_variance')
      } else if (l.kind === 'residual') {
        visit(l.body)
        visit(l.shortcut)
      }
    }
  }
  visit(layers)
  if (missing.length > 0)
    throw new LayersFormatError(`${where}: the weights manifest lacks ${missing.join(', ')}`)
  const unused = decoded.filter((w) => !used.has(w)).map((w) => w.name)
  if (unused.length > 0)
    warnings.push(`weights not used by any imported layer: ${unused.join(', ')}`)
  const data = new Float32Array(entries.reduce((n, e) => n + e.data.length, 0))
  let offset = 0
  for (const e of entries) {
    data.set(e.data, offset)
    offset += e.data.length
  }
  return { manifest: entries.map(({ name, shape }) => ({ name, shape })), data }
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
