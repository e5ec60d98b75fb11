/**
 * Our own kernel registry in front of tf.registerKernel, the kernels' counterpart of
 * gradients/registry. tfjs lets a second registration of a (kernel, backend) pair replace the
 * first after a console warning, so two of our files claiming one kernel would be a silent
 * bug; here the second claim throws. Each entry is one file under kernels/ named after its
 * kernel (wasm/Slice.ts, cpu/Binary.ts, conv/Conv2D.ts, own/BatchNormTrain.ts, …), and
 * kernels/index.ts lists them all; nothing registers on import.
 *
 * A replacement receives the stock kernel it replaces (undefined where tfjs has none) and
 * hands work it does not cover, or work its switch has turned off, back to it: the stock
 * config's setup and dispose hooks are kept, so switching ours off gives tfjs's behaviour.
 */
import { tf } from '../tf'
import { withoutReregistrationWarnings } from '../quietRegistration'

/** A tensor as kernels see it. */
export type TensorInfo = { dataId: object; shape: number[]; dtype: tf.DataType }
/** What tfjs passes a kernel. `backend` is the backend object (wasm or cpu). */
export type KernelArgs = {
  inputs: Record<string, TensorInfo>
  attrs: Record<string, unknown>
  backend: unknown
}
export type KernelFn = (args: KernelArgs) => TensorInfo
export type MultiKernelFn = (args: KernelArgs) => TensorInfo[]

export type KernelBackend = 'wasm' | 'cpu'

/** One of our kernels: its name, its backend, and how it is made from the stock one. */
export interface OurKernelConfig {
  kernelName: string
  backendName: KernelBackend
  /** Builds our kernel function; `stock` is tfjs's kernel for this pair, if it has one. */
  make(stock: KernelFn | undefined): KernelFn | MultiKernelFn
}

const ours = new Map<string, OurKernelConfig>()

const key = (kernelName: string, backendName: string): string => `${kernelName}@${backendName}`

/**
 * Installs `config` in tfjs's kernel registry, in front of the stock kernel of that pair.
 * Throws if this project already registered a kernel for the same kernel and backend.
 */
export function registerOurKernel(config: OurKernelConfig): void {
  const k = key(config.kernelName, config.backendName)
  if (ours.has(k)) {
    throw new Error(`Kernel "${config.kernelName}" on ${config.backendName} is registered twice`)
  }
  withoutReregistrationWarnings(() => {
    const stock = tf.getKernel(config.kernelName, config.backendName)
    const kernelFunc = config.make(stock?.kernelFunc as unknown as KernelFn | undefined)
    if (stock) tf.unregisterKernel(config.kernelName, config.backendName)
    tf.registerKernel({
      ...(stock ?? {}),
      kernelName: config.kernelName,
      backendName: config.backendName,
      kernelFunc: kernelFunc as unknown as tf.KernelFunc
    })
  })
  ours.set(k, config)
}

/** The (kernel, backend) pairs this project registered, as "Kernel@backend" (reports, tests). */
export function ourKernels(): string[] {
  return [...ours.keys()]
}

/**
 * The stock kernel a replacement falls back to, or a kernel that names what is missing when
 * tfjs has none for that backend (so the fallback fails with a clear message).
 */
export function stockOrMissing(
  stock: KernelFn | undefined,
  kernelName: string,
  backendName: string
): KernelFn {
  return (
    stock ??
    (() => {
      throw new Error(`${kernelName} has no stock kernel on ${backendName}`)
    })
  )
}
