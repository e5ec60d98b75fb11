/**
 * What the `wasm` backend's replacement kernels (wasm/*.ts) share: the parts of
 * tfjs-backend-wasm's BackendWasm they use, and their one switch.
 *
 * Why they exist, measured in tfjs-backend-wasm 4.22 (batch 64, the `cnn` of the reference
 * benchmark), is in each file. Each falls back to the stock kernel for anything it does not
 * cover (string dtype, unusual ranks), and with the switch off (installWasmKernels(false),
 * or ORTHOLENS_FAST_KERNELS=0 at start) every one of them hands all its work to the stock
 * kernel, so tfjs's behaviour is back exactly.
 */
import { tf } from '../../tf'
import type { KernelFn, OurKernelConfig, TensorInfo } from '../registry'

export type TypedArray = Float32Array | Int32Array | Uint8Array

/** The parts of the wasm backend (tfjs-backend-wasm's BackendWasm) these kernels use. */
export interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo
  typedArrayFromHeap(t: TensorInfo): TypedArray
  incRef(dataId: object): void
  disposeData(dataId: object): boolean
}

export type WasmKernelArgs = {
  inputs: Record<string, TensorInfo>
  attrs: Record<string, unknown>
  backend: WasmBackend
}
export type WasmKernelFn = (args: WasmKernelArgs) => TensorInfo

export const BACKEND = 'wasm'

let on = process.env.ORTHOLENS_FAST_KERNELS !== '0'

/** Turns the wasm replacements on (ours run) or off (every call goes to the stock kernel). */
export function installWasmKernels(enable: boolean): void {
  on = enable
}

/** Whether the wasm replacements are switched on. */
export function wasmKernelsInstalled(): boolean {
  return on
}

/**
 * The config of a replacement for `kernelName` on wasm: `ours(stock)` while the switch is on,
 * the stock kernel itself while it is off.
 */
export function wasmReplacement(
  kernelName: string,
  ours: (stock: WasmKernelFn) => (args: WasmKernelArgs) => TensorInfo | TensorInfo[]
): OurKernelConfig {
  return {
    kernelName,
    backendName: BACKEND,
    make: (stock: KernelFn | undefined) => {
      if (!stock) throw new Error(`wasm backend has no ${kernelName} kernel to replace`)
      const stockFn = stock as unknown as WasmKernelFn
      const fast = ours(stockFn)
      return ((args: WasmKernelArgs) => (on ? fast(args) : stockFn(args))) as unknown as KernelFn
    }
  }
}
