/**
 * Host-side (import-time) arithmetic on constants: numpy broadcasting over small arrays, with
 * the symbolic batch size carried through the few operations shape arithmetic applies to it
 * (N + 0, N * 1, N / 1…). Anything else on N cannot be folded and says so.
 */
import { BATCH, type Dim, type HostTensor, sizeOf } from '../hostTensor'
import type { OpContext } from '../registry'

/** Strides of a row-major shape. */
export function stridesOf(dims: number[]): number[] {
  const s = new Array<number>(dims.length).fill(1)
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1]! * dims[i + 1]!
  return s
}

/** Numpy broadcast of two host tensors through `f`. */
export function hostBinary(
  ctx: OpContext,
  a: HostTensor,
  b: HostTensor,
  f: (x: Dim, y: Dim) => Dim
): { dims: number[]; data: Dim[] } {
  const rank = Math.max(a.dims.length, b.dims.length)
  const pa = [...new Array<number>(rank - a.dims.length).fill(1), ...a.dims]
  const pb = [...new Array<number>(rank - b.dims.length).fill(1), ...b.dims]
  const dims = pa.map((x, i) => {
    const y = pb[i]!
    if (x !== y && x !== 1 && y !== 1)
      ctx.fail(`shapes [${a.dims}] and [${b.dims}] do not broadcast`)
    return Math.max(x, y)
  })
  const sa = stridesOf(pa)
  const sb = stridesOf(pb)
  const so = stridesOf(dims)
  const n = sizeOf(dims)
  const data = new Array<Dim>(n)
  for (let i = 0; i < n; i++) {
    let ia = 0
    let ib = 0
    for (let d = 0; d < rank; d++) {
      const k = Math.floor(i / so[d]!) % dims[d]!
      if (pa[d] !== 1) ia += k * sa[d]!
      if (pb[d] !== 1) ib += k * sb[d]!
    }
    data[i] = f(a.data[ia] as Dim, b.data[ib] as Dim)
  }
  return { dims, data }
}

export type ArithOp = 'Add' | 'Sub' | 'Mul' | 'Div'

/** One element of host arithmetic; integer Div truncates toward zero (ONNX Runtime's rule). */
export function arith(ctx: OpContext, op: ArithOp, integer: boolean): (x: Dim, y: Dim) => Dim {
  return (x, y) => {
    if (x === BATCH || y === BATCH) {
      if (op === 'Add' && (x === 0 || y === 0)) return BATCH
      if (op === 'Sub' && y === 0) return x
      if (op === 'Mul' && (x === 1 || y === 1)) return x === 1 ? y : x
      if (op === 'Div' && y === 1) return x
      return ctx.fail(`${op} on the batch size cannot be folded`)
    }
    switch (op) {
      case 'Add':
        return x + y
      case 'Sub':
        return x - y
      case 'Mul':
        return x * y
      case 'Div':
        if (integer) return y === 0 ? ctx.fail('integer division by zero') : Math.trunc(x / y)
        return x / y
    }
  }
}

/** Transposes a host tensor (any dtype) by `perm`. */
export function hostTranspose(t: HostTensor, perm: number[]): HostTensor {
  const dims = perm.map((p) => t.dims[p]!)
  const inStrides = stridesOf(t.dims)
  const outStrides = stridesOf(dims)
  const n = sizeOf(dims)
  const src = t.data as ArrayLike<Dim>
  const out: Dim[] = new Array<Dim>(n)
  for (let i = 0; i < n; i++) {
    let offset = 0
    for (let d = 0; d < dims.length; d++)
      offset += (Math.floor(i / outStrides[d]!) % dims[d]!) * inStrides[perm[d]!]!
    out[i] = src[offset]!
  }
  return t.dtype === 'float32'
    ? { dtype: 'float32', dims, data: Float32Array.from(out as number[]) }
    : { dtype: t.dtype, dims, data: out }
}
