/**
 * Declarative architectures: a model is a JSON-serialisable chain of stages (a residual block
 * is one stage), so it can be stored in the project, rebuilt exactly, exported to the
 * TensorFlow.js Layers format, and cut at any stage for saliency.
 */
export type ArchitectureId = 'cnn' | 'vgg11' | 'vgg16' | 'resnet20' | 'resnet32'

export const ARCHITECTURES: { id: ArchitectureId; label: string; description: string }[] = [
  {
    id: 'cnn',
    label: 'Small CNN',
    description: '4 conv layers + 2 dense; quick (the benchmark CNN)'
  },
  {
    id: 'vgg11',
    label: 'VGG-11',
    description: 'CIFAR-style VGG-11 with batch norm, global pooling'
  },
  {
    id: 'vgg16',
    label: 'VGG-16',
    description: 'CIFAR-style VGG-16 with batch norm, global pooling'
  },
  { id: 'resnet20', label: 'ResNet-20', description: 'CIFAR ResNet, 3 stages x 3 basic blocks' },
  { id: 'resnet32', label: 'ResNet-32', description: 'CIFAR ResNet, 3 stages x 5 basic blocks' }
]

export type Padding = 'same' | 'valid'

/**
 * Element-wise activations beyond ReLU, as TensorFlow.js Layers defines them (imported models;
 * the zoo uses ReLU only). hard_sigmoid is Keras 2 / tfjs's clip(0.2x + 0.5, 0, 1); leaky_relu
 * takes `alpha`.
 */
export type ActivationFn =
  'tanh' | 'sigmoid' | 'relu6' | 'leaky_relu' | 'hard_sigmoid' | 'elu' | 'softplus' | 'swish'

export const ACTIVATION_FNS: readonly ActivationFn[] = [
  'tanh',
  'sigmoid',
  'relu6',
  'leaky_relu',
  'hard_sigmoid',
  'elu',
  'softplus',
  'swish'
]

export type LayerDef =
  | {
      kind: 'conv'
      name: string
      filters: number
      kernel: number
      stride: number
      padding: Padding
      bias: boolean
    }
  | { kind: 'dense'; name: string; units: number; bias: boolean }
  | { kind: 'relu'; name: string }
  | { kind: 'activation'; name: string; fn: ActivationFn; alpha?: number }
  | { kind: 'batchnorm'; name: string; epsilon: number; momentum: number }
  /** `padding` absent = 'valid' (architectures stored before it existed). */
  | { kind: 'maxpool'; name: string; size: number; stride: number; padding?: Padding }
  | { kind: 'avgpool'; name: string; size: number; stride: number; padding: Padding }
  /** Depthwise convolution: `multiplier` filters per input channel. */
  | {
      kind: 'depthwise'
      name: string
      kernel: number
      stride: number
      padding: Padding
      multiplier: number
      bias: boolean
    }
  /** Depthwise then 1x1 pointwise convolution (Keras SeparableConv2D). */
  | {
      kind: 'separable'
      name: string
      filters: number
      kernel: number
      stride: number
      padding: Padding
      multiplier: number
      bias: boolean
    }
  /** Zero padding of the map: [top, bottom, left, right]. */
  | { kind: 'zeropad'; name: string; pads: [number, number, number, number] }
  | { kind: 'gap'; name: string }
  /** Global max pooling. */
  | { kind: 'gmp'; name: string }
  | { kind: 'flatten'; name: string }
  | {
      kind: 'residual'
      name: string
      body: LayerDef[]
      /** Empty = identity shortcut. */
      shortcut: LayerDef[]
    }

export interface ModelArchitecture {
  /** Format version of this JSON, so a newer project's architecture is refused clearly. */
  format: 1
  arch: ArchitectureId | 'imported'
  inputShape: [number, number, number]
  numClasses: number
  layers: LayerDef[]
}

const BN_EPSILON = 1e-5
/** PyTorch's convention: running = (1 - 0.1) * running + 0.1 * batch. */
const BN_MOMENTUM = 0.9

/** Builds the architecture for any input shape [h, w, c] and class count. */
export function architectureFor(
  arch: ArchitectureId,
  inputShape: [number, number, number],
  numClasses: number
): ModelArchitecture {
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new Error(`numClasses must be an integer >= 2, got ${numClasses}`)
  }
  const [h, w, c] = inputShape
  if (![h, w, c].every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`inputShape must be three positive integers, got [${inputShape.join(', ')}]`)
  }
  const layers = (() => {
    switch (arch) {
      case 'cnn':
        return smallCnn(numClasses)
      case 'vgg11':
        return vgg(
          [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
          Math.min(h, w),
          numClasses
        )
      case 'vgg16':
        return vgg(
          [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
          Math.min(h, w),
          numClasses
        )
      case 'resnet20':
        return cifarResnet(3, numClasses)
      case 'resnet32':
        return cifarResnet(5, numClasses)
      default:
        throw new Error(`Unknown architecture "${String(arch)}"`)
    }
  })()
  return { format: 1, arch, inputShape, numClasses, layers }
}

/** The `cnn` of shared/reference/torch_step_bench.py: 3x3 'same' convs, biases on. */
function smallCnn(numClasses: number): LayerDef[] {
  const conv = (name: string, filters: number, stride: number): LayerDef => ({
    kind: 'conv',
    name,
    filters,
    kernel: 3,
    stride,
    padding: 'same',
    bias: true
  })
  return [
    conv('conv1', 32, 1),
    { kind: 'relu', name: 'relu1' },
    conv('conv2', 32, 2),
    { kind: 'relu', name: 'relu2' },
    conv('conv3', 64, 1),
    { kind: 'relu', name: 'relu3' },
    conv('conv4', 64, 2),
    { kind: 'relu', name: 'relu4' },
    { kind: 'flatten', name: 'flatten' },
    { kind: 'dense', name: 'fc1', units: 128, bias: true },
    { kind: 'relu', name: 'relu5' },
    { kind: 'dense', name: 'logits', units: numClasses, bias: true }
  ]
}

/**
 * CIFAR-style VGG (Simonyan & Zisserman 2015, with batch norm as in the common CIFAR ports).
 * Max pools that would shrink the map below 1x1 are skipped so any input size works, and the
 * head is global average pooling + one dense layer: identical to flatten + dense when the
 * final map is 1x1 (32x32 inputs), and it keeps the trunk fully convolutional for CAMERAS.
 */
function vgg(cfg: (number | 'M')[], minSide: number, numClasses: number): LayerDef[] {
  const layers: LayerDef[] = []
  let side = minSide
  let convIndex = 0
  let poolIndex = 0
  for (const item of cfg) {
    if (item === 'M') {
      poolIndex++
      if (side >= 2) {
        layers.push({ kind: 'maxpool', name: `pool${poolIndex}`, size: 2, stride: 2 })
        side = Math.floor(side / 2)
      }
      continue
    }
    convIndex++
    layers.push(
      {
        kind: 'conv',
        name: `conv${convIndex}`,
        filters: item,
        kernel: 3,
        stride: 1,
        padding: 'same',
        bias: false
      },
      { kind: 'batchnorm', name: `bn${convIndex}`, epsilon: BN_EPSILON, momentum: BN_MOMENTUM },
      { kind: 'relu', name: `relu${convIndex}` }
    )
  }
  layers.push(
    { kind: 'gap', name: 'gap' },
    { kind: 'dense', name: 'logits', units: numClasses, bias: true }
  )
  return layers
}

/**
 * CIFAR ResNet (He et al. 2016, §4.2): 16/32/64 channels, n basic blocks per stage, 1x1
 * projection shortcuts where the shape changes (as shared/reference/torch_step_bench.py).
 * Depth = 6n + 2: n = 3 gives ResNet-20, n = 5 ResNet-32.
 */
function cifarResnet(n: number, numClasses: number): LayerDef[] {
  const bn = (name: string): LayerDef => ({
    kind: 'batchnorm',
    name,
    epsilon: BN_EPSILON,
    momentum: BN_MOMENTUM
  })
  const conv = (name: string, filters: number, kernel: number, stride: number): LayerDef => ({
    kind: 'conv',
    name,
    filters,
    kernel,
    stride,
    padding: 'same',
    bias: false
  })
  const layers: LayerDef[] = [
    conv('stem_conv', 16, 3, 1),
    bn('stem_bn'),
    { kind: 'relu', name: 'stem_relu' }
  ]
  let inChannels = 16
  const stages: [number, number][] = [
    [16, 1],
    [32, 2],
    [64, 2]
  ]
  stages.forEach(([filters, firstStride], s) => {
    for (let b = 0; b < n; b++) {
      const stride = b === 0 ? firstStride : 1
      const p = `stage${s + 1}_block${b + 1}`
      const project = stride !== 1 || inChannels !== filters
      layers.push({
        kind: 'residual',
        name: p,
        body: [
          conv(`${p}_conv1`, filters, 3, stride),
          bn(`${p}_bn1`),
          { kind: 'relu', name: `${p}_relu1` },
          conv(`${p}_conv2`, filters, 3, 1),
          bn(`${p}_bn2`)
        ],
        shortcut: project ? [conv(`${p}_proj`, filters, 1, stride), bn(`${p}_proj_bn`)] : []
      })
      layers.push({ kind: 'relu', name: `${p}_out` })
      inChannels = filters
    }
  })
  layers.push(
    { kind: 'gap', name: 'gap' },
    { kind: 'dense', name: 'logits', units: numClasses, bias: true }
  )
  return layers
}
