/**
 * The project's kernels, and the switches of its fast paths.
 *
 * installKernels() registers every kernel below through the checked registry (registry.ts;
 * engine/install.ts calls it, once): one file per kernel, grouped by what it replaces:
 *  - wasm/: the `wasm` backend's slow stock kernels, in JavaScript and WebAssembly SIMD, and
 *    its Log1p, which loses small arguments;
 *  - cpu/: the `cpu` backend's element-wise, reduction and matrix kernels, native, and Fill
 *    into pooled memory;
 *  - conv/: Conv2D and its two gradients on wasm and cpu, native, and Conv2D fused with the
 *    per-channel affine map (+ ReLU) after it;
 *  - own/: kernels tfjs does not have (training batch norm and its gradients, the fused
 *    inference batch norm + ReLU, ReLU's gradient, the filter flip).
 * The switches: ORTHOLENS_FAST_KERNELS=0 (read at start) or setFastKernels(false) restores
 * stock tfjs behaviour everywhere, so the benchmark and the kernel tests can compare the two;
 * ORTHOLENS_NATIVE_KERNELS=0 or setNativeKernels(false) turns off only the native ones.
 */
import { registerOurKernel, type OurKernelConfig } from './registry'
import { fastConvGradientsActive, setFastConvGradients } from './fastConvSwitch'
import { installWasmKernels, wasmKernelsInstalled } from './wasm/shared'
import { nativeKernelStatus, setNativeKernels } from './nativeKernels'
import { sliceWasmConfig } from './wasm/Slice'
import { unpackWasmConfig } from './wasm/Unpack'
import { castWasmConfig } from './wasm/Cast'
import { identityWasmConfig } from './wasm/Identity'
import { transposeWasmConfig } from './wasm/Transpose'
import { batchMatMulWasmConfig } from './wasm/BatchMatMul'
import { padV2WasmConfig } from './wasm/PadV2'
import { reduceWasmConfigs } from './wasm/Reduce'
import { reverseWasmConfig } from './wasm/Reverse'
import { broadcastWasmConfigs } from './wasm/Broadcast'
import { log1pWasmConfig } from './wasm/Log1p'
import { binaryKernelConfigs } from './cpu/Binary'
import { reduceKernelConfigs } from './cpu/Reduce'
import { reluKernelConfigs } from './cpu/Relu'
import { fillKernelConfigs } from './cpu/Fill'
import { batchMatMulKernelConfigs } from './cpu/BatchMatMul'
import { conv2DKernelConfigs } from './conv/Conv2D'
import { conv2DBackpropInputKernelConfigs } from './conv/Conv2DBackpropInput'
import { conv2DBackpropFilterKernelConfigs } from './conv/Conv2DBackpropFilter'
import { convAffineKernelConfigs } from './conv/ConvAffine'
import { batchNormTrainKernelConfigs } from './own/BatchNormTrain'
import { channelAffineKernelConfigs } from './own/ChannelAffine'
import { reluGradKernelConfigs } from './own/ReluGrad'
import { flipFilterKernelConfigs } from './own/FlipFilter'
import { signStepKernelConfigs } from './own/SignStep'

const wasmReplacements: OurKernelConfig[] = [
  sliceWasmConfig,
  unpackWasmConfig,
  castWasmConfig,
  identityWasmConfig,
  transposeWasmConfig,
  batchMatMulWasmConfig,
  padV2WasmConfig,
  ...reduceWasmConfigs,
  reverseWasmConfig,
  ...broadcastWasmConfigs
]

/** Every kernel of the project, in registration order. */
export const ourKernelConfigs: readonly OurKernelConfig[] = [
  ...wasmReplacements,
  log1pWasmConfig,
  ...binaryKernelConfigs,
  ...reduceKernelConfigs,
  ...reluKernelConfigs,
  ...fillKernelConfigs,
  ...batchMatMulKernelConfigs,
  ...conv2DKernelConfigs,
  ...conv2DBackpropInputKernelConfigs,
  ...conv2DBackpropFilterKernelConfigs,
  ...convAffineKernelConfigs,
  ...batchNormTrainKernelConfigs,
  ...channelAffineKernelConfigs,
  ...reluGradKernelConfigs,
  ...flipFilterKernelConfigs,
  ...signStepKernelConfigs
]

/**
 * Registers every kernel (engine/install.ts calls it once, after tfjs-backend-wasm has
 * registered the stock wasm kernels these wrap). A second call throws: the registry refuses
 * a second claim on any kernel.
 */
export function installKernels(): void {
  for (const config of ourKernelConfigs) registerOurKernel(config)
}

/** Kernel names replaced on the wasm backend (switched by installWasmKernels). */
export function wasmKernelNames(): string[] {
  return wasmReplacements.map((c) => c.kernelName)
}

/** Turns every fast path on or off. */
export function setFastKernels(on: boolean): void {
  setFastConvGradients(on)
  installWasmKernels(on)
  setNativeKernels(on)
}

/** What is active now (for reports and the benchmark). */
export function fastKernelState(): {
  convGradients: boolean
  wasmKernels: boolean
  nativeKernels: boolean
} {
  return {
    convGradients: fastConvGradientsActive(),
    wasmKernels: wasmKernelsInstalled(),
    nativeKernels: nativeKernelStatus().active
  }
}

export { ourKernels } from './registry'
export { setFastConvGradients, fastConvGradientsActive } from './fastConvSwitch'
export { installWasmKernels, wasmKernelsInstalled } from './wasm/shared'
export { nativeKernelStatus, nativeKernelsActive, setNativeKernels } from './nativeKernels'
