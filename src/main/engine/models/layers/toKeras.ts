/**
 * Our declarative architecture as a TensorFlow.js Layers (Keras functional) model. Building it
 * with the tfjs Layers API rather than writing the topology JSON by hand means the exported
 * model.json is exactly what TensorFlow.js (and the Keras converter) expects to read back.
 */
import { tf, type Tensor } from '../../tf'
import type { ActivationFn, LayerDef } from '../architecture'
import type { Network } from '../network'

type Symbolic = ReturnType<typeof tf.input>
type KerasLayer = tf.layers.Layer
type KerasActivation = Parameters<typeof tf.layers.activation>[0]['activation']

/** Our activation names → tfjs Layers' identifiers (leaky_relu is its own layer). */
const KERAS_ACTIVATION: Record<Exclude<ActivationFn, 'leaky_relu'>, KerasActivation> = {
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  relu6: 'relu6',
  hard_sigmoid: 'hardSigmoid',
  elu: 'elu',
  softplus: 'softplus',
  swish: 'swish'
}

/**
 * The equivalent tf.LayersModel holding copies of `net`'s weights. The caller disposes it.
 * Batch norm momentum is passed unchanged: ours is already Keras' convention
 * (moving = momentum * moving + (1 - momentum) * batch).
 */
export function toLayersModel(net: Network): tf.LayersModel {
  const used = new Set<string>()
  const collect = (layers: LayerDef[]): void => {
    for (const l of layers) {
      used.add(l.name)
      if (l.kind === 'residual') {
        collect(l.body)
        collect(l.shortcut)
      }
    }
  }
  collect(net.architecture.layers)
  let inputName = 'input'
  for (let i = 1; used.has(inputName); i++) inputName = `input_${i}`

  const built: [LayerDef, KerasLayer][] = []
  const apply = (layer: LayerDef, x: Symbolic): Symbolic => {
    const make = (): KerasLayer => {
      switch (layer.kind) {
        case 'conv':
          return tf.layers.conv2d({
            name: layer.name,
            filters: layer.filters,
            kernelSize: layer.kernel,
            strides: layer.stride,
            padding: layer.padding,
            useBias: layer.bias,
            kernelInitializer: 'zeros'
          })
        case 'dense':
          return tf.layers.dense({
            name: layer.name,
            units: layer.units,
            useBias: layer.bias,
            kernelInitializer: 'zeros'
          })
        case 'relu':
          return tf.layers.activation({ name: layer.name, activation: 'relu' })
        case 'activation':
          if (layer.fn === 'leaky_relu')
            return tf.layers.leakyReLU({ name: layer.name, alpha: layer.alpha ?? 0.3 })
          return tf.layers.activation({ name: layer.name, activation: KERAS_ACTIVATION[layer.fn] })
        case 'avgpool':
          return tf.layers.averagePooling2d({
            name: layer.name,
            poolSize: layer.size,
            strides: layer.stride,
            padding: layer.padding
          })
        case 'depthwise':
          return tf.layers.depthwiseConv2d({
            name: layer.name,
            kernelSize: layer.kernel,
            strides: layer.stride,
            padding: layer.padding,
            depthMultiplier: layer.multiplier,
            useBias: layer.bias,
            depthwiseInitializer: 'zeros'
          })
        case 'separable':
          return tf.layers.separableConv2d({
            name: layer.name,
            filters: layer.filters,
            kernelSize: layer.kernel,
            strides: layer.stride,
            padding: layer.padding,
            depthMultiplier: layer.multiplier,
            useBias: layer.bias,
            depthwiseInitializer: 'zeros',
            pointwiseInitializer: 'zeros'
          })
        case 'zeropad': {
          const [t, b, l, r] = layer.pads
          return tf.layers.zeroPadding2d({
            name: layer.name,
            padding: [
              [t, b],
              [l, r]
            ]
          })
        }
        case 'gmp':
          return tf.layers.globalMaxPooling2d({ name: layer.name })
        case 'batchnorm':
          return tf.layers.batchNormalization({
            name: layer.name,
            axis: -1,
            epsilon: layer.epsilon,
            momentum: layer.momentum
          })
        case 'maxpool':
          return tf.layers.maxPooling2d({
            name: layer.name,
            poolSize: layer.size,
            strides: layer.stride,
            padding: layer.padding ?? 'valid'
          })
        case 'gap':
          return tf.layers.globalAveragePooling2d({ name: layer.name })
        case 'flatten':
          return tf.layers.flatten({ name: layer.name })
        case 'residual':
          throw new Error('unreachable')
      }
    }
    if (layer.kind === 'residual') {
      let body = x
      for (const l of layer.body) body = apply(l, body)
      let shortcut = x
      for (const l of layer.shortcut) shortcut = apply(l, shortcut)
      return tf.layers.add({ name: layer.name }).apply([body, shortcut]) as Symbolic
    }
    const k = make()
    built.push([layer, k])
    return k.apply(x) as Symbolic
  }

  const input = tf.input({ shape: net.inputShape, name: inputName })
  let out = input
  for (const l of net.architecture.layers) out = apply(l, out)
  const model = tf.model({ inputs: input, outputs: out, name: kerasName(net.name) })
  try {
    for (const [def, layer] of built) {
      const p = (suffix: string): Tensor => net.param(`${def.name}/${suffix}`)
      switch (def.kind) {
        case 'conv':
        case 'dense':
          layer.setWeights(def.bias ? [p('kernel'), p('bias')] : [p('kernel')])
          break
        case 'batchnorm':
          layer.setWeights([p('gamma'), p('beta'), p('moving_mean'), p('moving_variance')])
          break
        case 'depthwise':
          layer.setWeights(def.bias ? [p('depthwise_kernel'), p('bias')] : [p('depthwise_kernel')])
          break
        case 'separable':
          layer.setWeights(
            def.bias
              ? [p('depthwise_kernel'), p('pointwise_kernel'), p('bias')]
              : [p('depthwise_kernel'), p('pointwise_kernel')]
          )
          break
        default:
          break
      }
    }
  } catch (err) {
    model.dispose()
    throw err
  }
  return model
}

/** Keras model names: letters, digits, underscores (a display name may hold anything). */
function kerasName(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '')
  return clean === '' ? 'ortholens_model' : /^[0-9]/.test(clean) ? `m_${clean}` : clean
}
