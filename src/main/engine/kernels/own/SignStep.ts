/**
 * SignStep (ops/signStep): an L∞ attack step, clip(min(max(x + α·sign(g)[·w], x0 − ε),
 * x0 + ε), 0, 1), in one pass over the tensors' memory on wasm and cpu, where the ops take 14
 * kernels (7 of them the strict sign) and as many intermediate tensors per step.
 *
 * Bit-identical to those ops: every operation in them is one float32 operation on float32
 * operands (the products with ±1 or 0 are exact), and each is computed here in double and
 * rounded once to float32 (Math.fround), which for a sum, difference or product of two
 * float32 values gives the correctly rounded float32 result. NaN in g gives NaN, as the cpu
 * backend's ops and PyTorch do (the wasm backend's maximum dropped it).
 * Plain JavaScript, so it needs no native binary and is registered whatever the switches say.
 */
import { SignStep } from '../nativeKernelNames'
import { compute, NATIVE_BACKENDS, type NativeBackend } from '../nativeKernels'
import type { KernelFn, OurKernelConfig, TensorInfo } from '../registry'

const sizeOf = (t: TensorInfo): number => t.shape.reduce((a, b) => a * b, 1)

function signStepKernel(backendName: NativeBackend): KernelFn {
  return ({ inputs, attrs, backend }) => {
    const { x, g, x0, w } = inputs as Record<'x' | 'g' | 'x0', TensorInfo> & { w?: TensorInfo }
    const n = sizeOf(x)
    if (sizeOf(g) !== n || sizeOf(x0) !== n || (w && n % Math.max(sizeOf(w), 1) !== 0)) {
      throw new Error(
        `SignStep: x [${x.shape}], g [${g.shape}], x0 [${x0.shape}]${w ? `, w [${w.shape}]` : ''} do not match`
      )
    }
    const alpha = Math.fround(attrs.stepSize as number)
    const eps = Math.fround(attrs.epsilon as number)
    const tensors = w ? [x, g, x0, w] : [x, g, x0]
    return compute(backendName, backend, tensors, x.shape, ([xv, gv, x0v, wv], out) => {
      const wn = wv ? wv.length : 0
      for (let i = 0; i < n; i++) {
        const gi = gv![i]!
        const s = gi > 0 ? 1 : gi < 0 ? -1 : gi === 0 ? 0 : NaN
        // direction ⊙ w, then · α, then + x: the ops' three float32 roundings, in their order.
        const d = wv ? Math.fround(s * wv[i % wn]!) : s
        const moved = Math.fround(xv![i]! + Math.fround(d * alpha))
        const lo = Math.fround(x0v![i]! - eps)
        const hi = Math.fround(x0v![i]! + eps)
        // NaN fails every comparison below and stays NaN.
        let v = moved < lo ? lo : moved
        v = v > hi ? hi : v
        out[i] = v < 0 ? 0 : v > 1 ? 1 : v
      }
    })
  }
}

export const signStepKernelConfigs: OurKernelConfig[] = NATIVE_BACKENDS.map((backendName) => ({
  kernelName: SignStep,
  backendName,
  make: () => signStepKernel(backendName)
}))
