/**
 * The project's fast paths for training and attacks, and their one switch. On by default;
 * ORTHOLENS_FAST_KERNELS=0 (read at start) or setFastKernels(false) restores stock tfjs
 * behaviour everywhere, so the benchmark and the kernel tests can compare the two.
 *  - conv gradients as forward convolutions (convGradOps, on wasm and cpu);
 *  - replacement wasm kernels for Slice, Identity, Transpose, BatchMatMul (wasmKernels);
 *  - native convolutions and their gradients, batch norm and ReLU on wasm and cpu, and the
 *    cpu backend's element-wise, sum and matrix kernels, where built (nativeKernels,
 *    nativeCpuKernels).
 */
import { fastConvGradientsActive, setFastConvGradients } from './fastConvSwitch'
import { installWasmKernels, wasmKernelsInstalled } from './wasmKernels'
import { nativeKernelStatus, setNativeKernels } from './nativeKernels'
import './nativeCpuKernels'

/** Turns every fast path on or off. */
export function setFastKernels(on: boolean): void {
  setFastConvGradients(on)
  installWasmKernels(on)
  setNativeKernels(on)
}

/** What is active now (for reports and the benchmark). */
export function fastKernelState(): { convGradients: boolean; wasmKernels: boolean; nativeKernels: boolean } {
  return { convGradients: fastConvGradientsActive(), wasmKernels: wasmKernelsInstalled(), nativeKernels: nativeKernelStatus().active }
}

export { setFastConvGradients, fastConvGradientsActive } from './fastConvSwitch'
export { installWasmKernels, wasmKernelsInstalled } from './wasmKernels'
export { nativeKernelStatus, nativeKernelsActive, setNativeKernels } from './nativeKernels'
