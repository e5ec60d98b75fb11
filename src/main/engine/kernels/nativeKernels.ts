/**
 * The native kernels' binding (kernels/native/*.cc, built at install by
 * scripts/build-native-kernels.mjs into build/native/ortholens_native.node): loading it, its
 * on/off switch and status, and the helpers every native kernel file shares (views of tensor
 * memory on the wasm heap or the cpu backend's typed arrays, output allocation, shapes).
 * The kernels themselves are one file each under kernels/conv/ (Conv2D and its gradients on
 * wasm and cpu), kernels/own/ (batch norm, channel affine, ReLU's gradient) and kernels/cpu/
 * (the cpu backend's element-wise, reduction and matrix kernels); kernels/index.ts installs
 * them.
 *
 * Why native: convolutions are most of a training step and of an attack, and WebAssembly gives
 * XNNPACK 128-bit vectors without fused multiply-add: 13-17 GMAC/s per core here, against
 * 70-80 for the same loops compiled for the CPU (AVX-512 or AVX2+FMA, picked at load time).
 * The native code works on the tensors where they lie (the wasm heap, or the cpu backend's
 * typed arrays), so nothing is copied in or out.
 *
 * Optional: when the binary is missing (no compiler at install), fails to load, or
 * ORTHOLENS_NATIVE_KERNELS=0, every kernel hands over to the stock one, and the conv
 * gradients keep their forward-convolution decomposition (convGradOps).
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { tf } from '../tf'
import { projectRoot } from '../resources'
import { defaultThreadCount } from '../threads'
import { takeCpuOutput, type PooledCpuBackend } from './cpuBufferPool'
import type { TensorInfo } from './registry'
import {
  BatchNormTrain,
  BatchNormTrainGrad,
  BatchNormTrainGradGrad,
  BatchNormTrainRelu,
  ChannelAffine,
  ChannelAffineGrad,
  ConvAffine,
  ReluGrad
} from './nativeKernelNames'

export {
  BatchNormTrain,
  BatchNormTrainGrad,
  BatchNormTrainGradGrad,
  BatchNormTrainRelu,
  ChannelAffine,
  ChannelAffineGrad,
  ConvAffine,
  ReluGrad
}

/** The binding's interface (ortholens_native.cc). */
export interface NativeModule {
  /**
   * With scale and shift (co values each): y * scale + shift per channel, plus residual (y's
   * size) if given, then ReLU if relu.
   */
  conv2d(
    x: Float32Array,
    filter: Float32Array,
    y: Float32Array,
    shape: Int32Array,
    scale?: Float32Array,
    shift?: Float32Array,
    relu?: boolean,
    residual?: Float32Array
  ): void
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
    epsilon: number,
    relu?: boolean
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
  channelAffine(
    x: Float32Array,
    scale: Float32Array,
    shift: Float32Array,
    y: Float32Array,
    dims: Int32Array,
    relu: boolean
  ): void
  maskedScale(
    dy: Float32Array,
    mask: Float32Array | null,
    scale: Float32Array | null,
    dx: Float32Array,
    dims: Int32Array
  ): void
  /** winograd: 3x3 stride-1 convolutions in the Winograd F(2x2, 3x3) form (the default). */
  configure(options: { threads?: number; isa?: string; winograd?: boolean }): void
  info(): { isa: string; isas: string[]; threads: number; winograd: boolean }
}

export interface NativeKernelStatus {
  active: boolean
  /** Instruction set in use (avx512, avx2, base) when loaded. */
  isa?: string
  threads?: number
  /** Why the kernels are not in use. */
  reason?: string
}

export type { KernelArgs, KernelFn, MultiKernelFn, TensorInfo } from './registry'

/** The two ways a backend exposes tensor memory: the wasm heap or the cpu's typed arrays. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo
  typedArrayFromHeap(t: TensorInfo): Float32Array
}
interface CpuBackendLike extends PooledCpuBackend {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): TensorInfo
}

/** The backends whose tensor memory the native kernels read and write in place. */
export const NATIVE_BACKENDS = ['wasm', 'cpu'] as const
export type NativeBackend = (typeof NATIVE_BACKENDS)[number]
const BACKENDS = NATIVE_BACKENDS
let module: NativeModule | null | undefined
let loadError: string | undefined
let enabled = process.env.ORTHOLENS_NATIVE_KERNELS !== '0'

/** Where the built binding is looked for (ORTHOLENS_NATIVE_PATH overrides). */
export function nativeBinaryPath(): string {
  return (
    process.env.ORTHOLENS_NATIVE_PATH ??
    join(projectRoot(), 'build', 'native', 'ortholens_native.node')
  )
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
            process.emitWarning(
              `ORTHOLENS_NATIVE_ISA=${isa} ignored: ${err instanceof Error ? err.message : String(err)}`
            )
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
  return (
    (BACKENDS as readonly string[]).includes(tf.getBackend()) && activeNativeModule() !== undefined
  )
}

/** What the header, the bench and the reports show. */
export function nativeKernelStatus(): NativeKernelStatus {
  if (!enabled) return { active: false, reason: 'switched off (ORTHOLENS_NATIVE_KERNELS=0)' }
  const m = loadNativeKernels()
  if (!m) return { active: false, reason: loadError }
  const { isa, threads } = m.info()
  return { active: true, isa, threads }
}

/** The conv geometry as the binding takes it (conv_shape.h). */
export function convShape(info: tf.backend_util.Conv2DInfo): Int32Array {
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
export function computeMany(
  backendName: NativeBackend,
  backend: unknown,
  inputs: TensorInfo[],
  outShapes: number[][],
  fn: (views: Float32Array[], outs: Float32Array[]) => void
): TensorInfo[] {
  const empty = outShapes.some((shape) => shape.reduce((a, b) => a * b, 1) === 0)
  if (backendName === 'wasm') {
    const b = backend as WasmBackendLike
    const outs = outShapes.map((shape) => b.makeOutput(shape, 'float32'))
    if (!empty)
      fn(
        inputs.map((t) => b.typedArrayFromHeap(t)),
        outs.map((t) => b.typedArrayFromHeap(t))
      )
    return outs
  }
  const b = backend as CpuBackendLike
  const values = outShapes.map((shape) =>
    takeCpuOutput(
      b,
      shape.reduce((a, c) => a * c, 1)
    )
  )
  if (!empty)
    fn(
      inputs.map((t) => b.data.get(t.dataId).values as Float32Array),
      values
    )
  return outShapes.map((shape, i) => b.makeTensorInfo(shape, 'float32', values[i]!))
}

export function compute(
  backendName: NativeBackend,
  backend: unknown,
  inputs: TensorInfo[],
  outShape: number[],
  fn: (views: Float32Array[], out: Float32Array) => void
): TensorInfo {
  return computeMany(backendName, backend, inputs, [outShape], (views, [out]) =>
    fn(views, out!)
  )[0]!
}

export function usable(backendName: string, backend: unknown, tensors: TensorInfo[]): boolean {
  if (!tensors.every((t) => t.dtype === 'float32')) return false
  if (backendName === 'cpu') {
    const b = backend as CpuBackendLike
    return tensors.every((t) => b.data.get(t.dataId).values instanceof Float32Array)
  }
  return true
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

/** Our own kernels have no stock fallback: their callers (ops/, gradients/) use them only when active. */
export function needNative(
  backendName: string,
  backend: unknown,
  kernel: string,
  tensors: TensorInfo[]
): NativeModule {
  const native = activeNativeModule()
  if (!native || !usable(backendName, backend, tensors)) {
    throw new Error(
      `${kernel} on ${backendName} needs the native kernels (${nativeKernelStatus().reason ?? 'unusable input'})`
    )
  }
  return native
}

/** [rows, channels] of a channels-last tensor whose per-channel arrays have `channels` values. */
export function channelDims(kernel: string, x: TensorInfo, channelWide: TensorInfo[]): Int32Array {
  const channels = x.shape[x.shape.length - 1] ?? 0
  if (
    x.shape.length < 2 ||
    channelWide.some((t) => t.shape.length !== 1 || t.shape[0] !== channels)
  ) {
    throw new Error(`${kernel}: x is [${x.shape}], per-channel inputs must be [${channels}]`)
  }
  return Int32Array.of(
    x.shape.slice(0, -1).reduce((a, b) => a * b, 1),
    channels
  )
}

/** [rows, channels] of a channels-last tensor (a scalar or vector counts as one row). */
export function rowsDims(t: TensorInfo): Int32Array {
  const channels = t.shape.length === 0 ? 1 : t.shape[t.shape.length - 1]!
  const size = t.shape.reduce((a, b) => a * b, 1)
  return Int32Array.of(channels === 0 ? 0 : size / channels, channels)
}
