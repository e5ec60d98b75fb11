/**
 * Native kernels (kernels/native/*.cc, built at install by scripts/build-native-kernels.mjs
 * into build/native/ortholens_native.node) behind tfjs's Conv2D, Conv2DBackpropFilter and
 * Conv2DBackpropInput on the `wasm` and `cpu` backends, and some of our own: training-mode batch norm forward and
 * backward, per-channel affine maps with an optional ReLU (inference-mode batch norm) and
 * their gradient, and ReLU's gradient (ops/batchNorm, ops/channelAffine and
 * gradients/Relu_grad pick them when they are active).
 *
 * Why: convolutions are most of a training step and of an attack, and WebAssembly gives
 * XNNPACK 128-bit vectors without fused multiply-add: 13-17 GMAC/s per core here, against
 * 70-80 for the same loops compiled for the CPU (AVX-512 or AVX2+FMA, picked at load time).
 * The native code works on the tensors where they lie (the wasm heap, or the cpu backend's
 * typed arrays), so nothing is copied in or out.
 *
 * Optional: when the binary is missing (no compiler at install), fails to load, or
 * ORTHOLENS_NATIVE_KERNELS=0, every kernel here hands over to the stock one, and the
 * conv gradients keep their forward-convolution decomposition (convGradOps).
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { tf } from '../tf'
import { withoutReregistrationWarnings } from '../quietRegistration'
import { projectRoot } from '../resources'
import { defaultThreadCount } from '../threads'
import { takeCpuOutput, type PooledCpuBackend } from './cpuBufferPool'
import {
  BatchNormTrain,
  BatchNormTrainGrad,
  BatchNormTrainGradGrad,
  ChannelAffine,
  ChannelAffineGrad,
  ReluGrad
} from './nativeKernelNames'

export { BatchNormTrain, BatchNormTrainGrad, BatchNormTrainGradGrad, ChannelAffine, ChannelAffineGrad, ReluGrad }

/** The binding's interface (ortholens_native.cc). */
export interface NativeModule {
  conv2d(x: Float32Array, filter: Float32Array, y: Float32Array, shape: Int32Array): void
  conv2dFilterGrad(x: Float32Array, dy: Float32Array, dw: Float32Array, shape: Int32Array): void
  conv2dInputGrad(dy: Float32Array, filter: Float32Array, dx: Float32Array, shape: Int32Array): void
  batchNormForward(
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    y: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    dims: Int32Array,
    epsilon: number
  ): void
  batchNormBackward(
    dy: Float32Array,
    x: Float32Array,
    gamma: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
    dims: Int32Array,
    epsilon: number
  ): void
  batchNormDoubleBackward(
    a: Float32Array,
    p: Float32Array,
    q: Float32Array,
    dy: Float32Array,
    x: Float32Array,
    gamma: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    ddy: Float32Array,
    ddx: Float32Array,
    ddgamma: Float32Array,
    dims: Int32Array,
    epsilon: number
  ): void
  channelSum(x: Float32Array, out: Float32Array, dims: Int32Array): void
  /** op: 0 add, 1 subtract, 2 multiply; a, b and out of one length. */
  binaryOp(op: 0 | 1 | 2 | 3 | 4 | 5, a: Float32Array, b: Float32Array, out: Float32Array): void
  channelAffine(x: Float32Array, scale: Float32Array, shift: Float32Array, y: Float32Array, dims: Int32Array, relu: boolean): void
  maskedScale(dy: Float32Array, mask: Float32Array | null, scale: Float32Array | null, dx: Float32Array, dims: Int32Array): void
  configure(options: { threads?: number; isa?: string }): void
  info(): { isa: string; isas: string[]; threads: number }
}

export interface NativeKernelStatus {
  active: boolean
  /** Instruction set in use (avx512, avx2, base) when loaded. */
  isa?: string
  threads?: number
  /** Why the kernels are not in use. */
  reason?: string
}

export type TensorInfo = { dataId: object; shape: number[]; dtype: tf.DataType }
export type KernelArgs = { inputs: Record<string, TensorInfo>; attrs: Record<string, unknown>; backend: unknown }
export type KernelFn = (args: KernelArgs) => TensorInfo
type MultiKernelFn = (args: KernelArgs) => TensorInfo[]

/** The two ways a backend exposes tensor memory: the wasm heap or the cpu's typed arrays. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo
  typedArrayFromHeap(t: TensorInfo): Float32Array
}
interface CpuBackendLike extends PooledCpuBackend {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): TensorInfo
}

const BACKENDS = ['wasm', 'cpu'] as const
let module: NativeModule | null | undefined
let loadError: string | undefined
let enabled = process.env.ORTHOLENS_NATIVE_KERNELS !== '0'

/** Where the built binding is looked for (ORTHOLENS_NATIVE_PATH overrides). */
export function nativeBinaryPath(): string {
  return process.env.ORTHOLENS_NATIVE_PATH ?? join(projectRoot(), 'build', 'native', 'ortholens_native.node')
}

/** The loaded binding, or undefined when it is not built or cannot load (reason in the status). */
export function loadNativeKernels(): NativeModule | undefined {
  if (module === undefined) {
    const file = nativeBinaryPath()
    if (!existsSync(file)) {
      module = null
      loadError = `not built (${file} is missing: run npm run build:native)`
    } else {
      try {
        module = createRequire(import.meta.url)(file) as NativeModule
        module.configure({ threads: defaultThreadCount() })
        // ORTHOLENS_NATIVE_ISA=avx2|base runs a narrower instruction set than the CPU's best
        // (to measure what such a CPU gets, or to rule the wide one out).
        const isa = process.env.ORTHOLENS_NATIVE_ISA
        if (isa) {
          try {
            module.configure({ isa })
          } catch (err) {
            process.emitWarning(`ORTHOLENS_NATIVE_ISA=${isa} ignored: ${err instanceof Error ? err.message : String(err)}`)
          }
        }
      } catch (err) {
        module = null
        loadError = `failed to load ${file}: ${err instanceof Error ? err.message : String(err)}`
        process.emitWarning(`Native kernels not loaded: ${loadError}`)
      }
    }
  }
  return module ?? undefined
}

/** Turns the native kernels on or off (the stock kernels run when off). */
export function setNativeKernels(on: boolean): void {
  enabled = on
}

/** The binding when it is switched on and loaded. */
export function activeNativeModule(): NativeModule | undefined {
  return enabled ? loadNativeKernels() : undefined
}

/** Whether the native kernels run on the current backend (switched on, built, wasm or cpu). */
export function nativeKernelsActive(): boolean {
  return (BACKENDS as readonly string[]).includes(tf.getBackend()) && activeNativeModule() !== undefined
}

/** What the header, the bench and the reports show. */
export function nativeKernelStatus(): NativeKernelStatus {
  if (!enabled) return { active: false, reason: 'switched off (ORTHOLENS_NATIVE_KERNELS=0)' }
  const m = loadNativeKernels()
  if (!m) return { active: false, reason: loadError }
  const { isa, threads } = m.info()
  return { active: true, isa, threads }
}

function convShape(info: tf.backend_util.Conv2DInfo): Int32Array {
  return Int32Array.of(
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.outChannels,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    info.padInfo.top,
    info.padInfo.left,
    info.outHeight,
    info.outWidth
  )
}

/**
 * Allocates the outputs on `backend`, then runs fn with float views of the inputs and outputs
 * (taken after the allocations, which may grow and detach the wasm heap).
 */
function computeMany(
  backendName: (typeof BACKENDS)[number],
  backend: unknown,
  inputs: TensorInfo[],
  outShapes: number[][],
  fn: (views: Float32Array[], outs: Float32Array[]) => void
): TensorInfo[] {
  const empty = outShapes.some((shape) => shape.reduce((a, b) => a * b, 1) === 0)
  if (backendName === 'wasm') {
    const b = backend as WasmBackendLike
    const outs = outShapes.map((shape) => b.makeOutput(shape, 'float32'))
    if (!empty) fn(inputs.map((t) => b.typedArrayFromHeap(t)), outs.map((t) => b.typedArrayFromHeap(t)))
    return outs
  }
  const b = backend as CpuBackendLike
  const values = outShapes.map((shape) => takeCpuOutput(b, shape.reduce((a, c) => a * c, 1)))
  if (!empty) fn(inputs.map((t) => b.data.get(t.dataId).values as Float32Array), values)
  return outShapes.map((shape, i) => b.makeTensorInfo(shape, 'float32', values[i]!))
}

export function compute(
  backendName: (typeof BACKENDS)[number],
  backend: unknown,
  inputs: TensorInfo[],
  outShape: number[],
  fn: (views: Float32Array[], out: Float32Array) => void
): TensorInfo {
  return computeMany(backendName, backend, inputs, [outShape], (views, [out]) => fn(views, out!))[0]!
}

export function usable(backendName: string, backend: unknown, tensors: TensorInfo[]): boolean {
  if (!tensors.every((t) => t.dtype === 'float32')) return false
  if (backendName === 'cpu') {
    const b = backend as CpuBackendLike
    return tensors.every((t) => b.data.get(t.dataId).values instanceof Float32Array)
  }
  return true
}

function conv2dKernel(backendName: (typeof BACKENDS)[number], stock: KernelFn): KernelFn {
  return (args) => {
    const native = activeNativeModule()
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo }
    const a = args.attrs as unknown as tf.Conv2DAttrs
    if (!native || a.dataFormat === 'NCHW' || !usable(backendName, args.backend, [x, filter])) return stock(args)
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      a.strides,
      a.dilations,
      a.pad,
      a.dimRoundingMode
    )
    if (info.padInfo.top < 0 || info.padInfo.left < 0) return stock(args)
    const shape = convShape(info)
    return compute(backendName, args.backend, [x, filter], [info.batchSize, info.outHeight, info.outWidth, info.outChannels], ([xv, fv], out) =>
      native.conv2d(xv!, fv!, out, shape)
    )
  }
}

/**
 * Conv2DBackpropInput, natively for NHWC without dilation (tfjs's own gradient of this kernel,
 * which second order runs through, knows no dilation); anything else goes to the stock kernel.
 */
function inputGradKernel(backendName: (typeof BACKENDS)[number], stock: KernelFn): KernelFn {
  return (args) => {
    const native = activeNativeModule()
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo }
    const a = args.attrs as unknown as tf.Conv2DBackpropInputAttrs & { dilations?: unknown }
    if (!native || a.dataFormat === 'NCHW' || a.dilations !== undefined || !usable(backendName, args.backend, [dy, filter])) {
      return stock(args)
    }
    const info = tf.backend_util.computeConv2DInfo(
      a.inputShape,
      filter.shape as [number, number, number, number],
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode
    )
    const expected = [info.batchSize, info.outHeight, info.outWidth, info.outChannels]
    if (dy.shape.join() !== expected.join()) {
      throw new Error(`Conv2DBackpropInput: dy is [${dy.shape}], the convolution gives [${expected}]`)
    }
    if (info.padInfo.top < 0 || info.padInfo.left < 0) return stock(args)
    const shape = convShape(info)
    return compute(backendName, args.backend, [dy, filter], [...a.inputShape], ([dyv, fv], out) =>
      native.conv2dInputGrad(dyv!, fv!, out, shape)
    )
  }
}

/**
 * Attributes of Conv2DBackpropFilter as the engine calls it: tfjs's, plus `dilations`
 * (tfjs's kernel has none; ours honours it, so dilated layers take this route too).
 */
export interface FilterGradAttrs {
  strides: number | [number, number]
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding
  dataFormat: 'NHWC' | 'NCHW'
  dimRoundingMode?: 'floor' | 'round' | 'ceil'
  filterShape: [number, number, number, number]
  dilations?: number | [number, number]
}

function filterGradKernel(backendName: (typeof BACKENDS)[number], stock: KernelFn | undefined): KernelFn {
  return (args) => {
    const native = activeNativeModule()
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo }
    const a = args.attrs as unknown as FilterGradAttrs
    const dilated = a.dilations !== undefined && a.dilations !== 1 && !(Array.isArray(a.dilations) && a.dilations.every((d) => d === 1))
    if (!native || a.dataFormat === 'NCHW' || !usable(backendName, args.backend, [x, dy])) {
      if (stock && !dilated) return stock(args)
      throw new Error(`Conv2DBackpropFilter on ${backendName} needs the native kernels (${nativeKernelStatus().reason ?? 'unusable input'})`)
    }
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      a.filterShape,
      a.strides,
      a.dilations ?? 1,
      a.pad,
      a.dimRoundingMode
    )
    const expected = [info.batchSize, info.outHeight, info.outWidth, info.outChannels]
    if (dy.shape.join() !== expected.join()) {
      throw new Error(`Conv2DBackpropFilter: dy is [${dy.shape}], the convolution gives [${expected}]`)
    }
    if (info.padInfo.top < 0 || info.padInfo.left < 0) {
      if (stock && !dilated) return stock(args)
      throw new Error('Conv2DBackpropFilter: negative padding is not supported')
    }
    const shape = convShape(info)
    return compute(backendName, args.backend, [x, dy], [...a.filterShape], ([xv, dyv], out) =>
      native.conv2dFilterGrad(xv!, dyv!, out, shape)
    )
  }
}

/** Our own kernels have no stock fallback: their callers (ops/, gradients/) use them only when active. */
function needNative(backendName: string, backend: unknown, kernel: string, tensors: TensorInfo[]): NativeModule {
  const native = activeNativeModule()
  if (!native || !usable(backendName, backend, tensors)) {
    throw new Error(`${kernel} on ${backendName} needs the native kernels (${nativeKernelStatus().reason ?? 'unusable input'})`)
  }
  return native
}

/** [rows, channels] of a channels-last tensor whose per-channel arrays have `channels` values. */
function channelDims(kernel: string, x: TensorInfo, channelWide: TensorInfo[]): Int32Array {
  const channels = x.shape[x.shape.length - 1] ?? 0
  if (x.shape.length < 2 || channelWide.some((t) => t.shape.length !== 1 || t.shape[0] !== channels)) {
    throw new Error(`${kernel}: x is [${x.shape}], per-channel inputs must be [${channels}]`)
  }
  return Int32Array.of(x.shape.slice(0, -1).reduce((a, b) => a * b, 1), channels)
}

function batchNormTrainKernel(backendName: (typeof BACKENDS)[number]): MultiKernelFn {
  return ({ inputs, attrs, backend }) => {
    const { x, gamma, beta } = inputs as { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo }
    const native = needNative(backendName, backend, BatchNormTrain, [x, gamma, beta])
    const dims = channelDims(BatchNormTrain, x, [gamma, beta])
    const c = [dims[1]!]
    return computeMany(backendName, backend, [x, gamma, beta], [x.shape, c, c], ([xv, gv, bv], [y, mean, variance]) =>
      native.batchNormForward(xv!, gv!, bv!, y!, mean!, variance!, dims, attrs.epsilon as number)
    )
  }
}

function batchNormTrainGradKernel(backendName: (typeof BACKENDS)[number]): MultiKernelFn {
  return ({ inputs, attrs, backend }) => {
    const { dy, x, gamma, mean, variance } = inputs as Record<'dy' | 'x' | 'gamma' | 'mean' | 'variance', TensorInfo>
    const native = needNative(backendName, backend, BatchNormTrainGrad, [dy, x, gamma, mean, variance])
    if (dy.shape.join() !== x.shape.join()) throw new Error(`batch norm gradient: dy is [${dy.shape}], x is [${x.shape}]`)
    const dims = channelDims(BatchNormTrainGrad, x, [gamma, mean, variance])
    const c = [dims[1]!]
    return computeMany(
      backendName,
      backend,
      [dy, x, gamma, mean, variance],
      [x.shape, c, c],
      ([dyv, xv, gv, mv, vv], [dx, dgamma, dbeta]) =>
        native.batchNormBackward(dyv!, xv!, gv!, mv!, vv!, dx!, dgamma!, dbeta!, dims, attrs.epsilon as number)
    )
  }
}

function batchNormTrainGradGradKernel(backendName: (typeof BACKENDS)[number]): MultiKernelFn {
  return ({ inputs, attrs, backend }) => {
    const names = ['a', 'p', 'q', 'dy', 'x', 'gamma', 'mean', 'variance'] as const
    const t = names.map((name) => (inputs as Record<string, TensorInfo>)[name]!)
    const [a, p, q, dy, x, gamma, mean, variance] = t as [TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo]
    const native = needNative(backendName, backend, BatchNormTrainGradGrad, t)
    if (dy.shape.join() !== x.shape.join() || a.shape.join() !== x.shape.join()) {
      throw new Error(`${BatchNormTrainGradGrad}: a is [${a.shape}], dy [${dy.shape}], x [${x.shape}]`)
    }
    const dims = channelDims(BatchNormTrainGradGrad, x, [p, q, gamma, mean, variance])
    const c = [dims[1]!]
    return computeMany(backendName, backend, t, [x.shape, x.shape, c], (v, [ddy, ddx, ddgamma]) =>
      native.batchNormDoubleBackward(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!, v[6]!, v[7]!, ddy!, ddx!, ddgamma!, dims, attrs.epsilon as number)
    )
  }
}

/** [rows, channels] of a channels-last tensor (a scalar or vector counts as one row). */
export function rowsDims(t: TensorInfo): Int32Array {
  const channels = t.shape.length === 0 ? 1 : t.shape[t.shape.length - 1]!
  const size = t.shape.reduce((a, b) => a * b, 1)
  return Int32Array.of(channels === 0 ? 0 : size / channels, channels)
}

function channelAffineKernel(backendName: (typeof BACKENDS)[number]): KernelFn {
  return ({ inputs, attrs, backend }) => {
    const { x, scale, shift } = inputs as Record<'x' | 'scale' | 'shift', TensorInfo>
    const native = needNative(backendName, backend, ChannelAffine, [x, scale, shift])
    const dims = channelDims(ChannelAffine, x, [scale, shift])
    return compute(backendName, backend, [x, scale, shift], x.shape, ([xv, sv, hv], y) =>
      native.channelAffine(xv!, sv!, hv!, y, dims, Boolean(attrs.relu))
    )
  }
}

function channelAffineGradKernel(backendName: (typeof BACKENDS)[number]): KernelFn {
  return ({ inputs, attrs, backend }) => {
    const { dy, y, scale } = inputs as Record<'dy' | 'y' | 'scale', TensorInfo>
    const native = needNative(backendName, backend, ChannelAffineGrad, [dy, y, scale])
    const dims = channelDims(ChannelAffineGrad, dy, [scale])
    if (dy.shape.join() !== y.shape.join()) throw new Error(`${ChannelAffineGrad}: dy is [${dy.shape}], y is [${y.shape}]`)
    const relu = Boolean(attrs.relu)
    return compute(backendName, backend, [dy, y, scale], dy.shape, ([dyv, yv, sv], dx) =>
      native.maskedScale(dyv!, relu ? yv! : null, sv!, dx, dims)
    )
  }
}

function reluGradKernel(backendName: (typeof BACKENDS)[number]): KernelFn {
  return ({ inputs, backend }) => {
    const { dy, x } = inputs as Record<'dy' | 'x', TensorInfo>
    const native = needNative(backendName, backend, ReluGrad, [dy, x])
    if (dy.shape.join() !== x.shape.join()) throw new Error(`ReLU gradient: dy is [${dy.shape}], x is [${x.shape}]`)
    return compute(backendName, backend, [dy, x], dy.shape, ([dyv, xv], dx) => native.maskedScale(dyv!, xv!, null, dx, rowsDims(dy)))
  }
}

/** Registers the native-first kernels on both backends (each falls back to the stock one). */
function install(): void {
  withoutReregistrationWarnings(() => {
    for (const backendName of BACKENDS) {
      const conv = tf.getKernel(tf.Conv2D, backendName)
      if (conv) {
        tf.unregisterKernel(tf.Conv2D, backendName)
        tf.registerKernel({ ...conv, kernelFunc: conv2dKernel(backendName, conv.kernelFunc as unknown as KernelFn) as unknown as tf.KernelFunc })
      }
      const inputGrad = tf.getKernel(tf.Conv2DBackpropInput, backendName)
      if (inputGrad) {
        tf.unregisterKernel(tf.Conv2DBackpropInput, backendName)
        tf.registerKernel({
          ...inputGrad,
          kernelFunc: inputGradKernel(backendName, inputGrad.kernelFunc as unknown as KernelFn) as unknown as tf.KernelFunc
        })
      }
      const grad = tf.getKernel(tf.Conv2DBackpropFilter, backendName)
      if (grad) tf.unregisterKernel(tf.Conv2DBackpropFilter, backendName)
      tf.registerKernel({
        kernelName: tf.Conv2DBackpropFilter,
        backendName,
        kernelFunc: filterGradKernel(backendName, grad?.kernelFunc as unknown as KernelFn | undefined) as unknown as tf.KernelFunc
      })
      for (const [kernelName, make] of <[string, (b: (typeof BACKENDS)[number]) => KernelFn | MultiKernelFn][]>[
        [BatchNormTrain, batchNormTrainKernel],
        [BatchNormTrainGrad, batchNormTrainGradKernel],
        [BatchNormTrainGradGrad, batchNormTrainGradGradKernel],
        [ChannelAffine, channelAffineKernel],
        [ChannelAffineGrad, channelAffineGradKernel],
        [ReluGrad, reluGradKernel]
      ]) {
        if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName)
        tf.registerKernel({ kernelName, backendName, kernelFunc: make(backendName) as unknown as tf.KernelFunc })
      }
    }
  })
}

install()
