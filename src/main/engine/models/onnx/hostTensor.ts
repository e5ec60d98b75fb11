/**
 * Tensors known at import time: initializers, Constant nodes, and the results of folding
 * PyTorch's shape arithmetic. Floating-point data is float32 (what the engine computes in);
 * integer data is a plain array whose entries may be BATCH, the symbolic batch size, so that
 * `x.view(x.size(0), -1)` folds to a reshape that still works for every batch size.
 */

/** The batch dimension of the model input, unknown until a batch is fed. */
export const BATCH = 'N'
export type Dim = number | typeof BATCH

export type HostTensor =
  | { dtype: 'float32'; dims: number[]; data: Float32Array }
  | { dtype: 'int64' | 'bool'; dims: number[]; data: Dim[] }

/** Elements of a shape; 1 for a scalar. */
export function sizeOf(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1)
}

export function hostFloat(dims: number[], data: Float32Array): HostTensor {
  return { dtype: 'float32', dims, data }
}

export function hostInt(dims: number[], data: Dim[]): HostTensor {
  return { dtype: 'int64', dims, data }
}

/** The values as numbers; throws on a symbolic entry (callers that cannot use BATCH). */
export function numbersOf(t: HostTensor, what: string): number[] {
  const out: number[] = []
  for (const v of t.data) {
    if (v === BATCH) throw new Error(`${what} depends on the batch size`)
    out.push(v as number)
  }
  return out
}

/** Replaces BATCH by the actual batch size. */
export function concrete(dims: readonly Dim[], batch: number): number[] {
  return dims.map((d) => (d === BATCH ? batch : d))
}

export function hasBatch(dims: readonly Dim[]): boolean {
  return dims.includes(BATCH)
}

/** A serialisable form (JSON numbers), for integer constants stored in the project. */
export interface HostTensorJson {
  dtype: 'float32' | 'int64' | 'bool'
  dims: number[]
  values: (number | typeof BATCH)[]
}

export function toJson(t: HostTensor): HostTensorJson {
  return { dtype: t.dtype, dims: t.dims, values: Array.from(t.data as ArrayLike<Dim>) }
}

export function fromJson(j: HostTensorJson): HostTensor {
  if (j.dtype === 'float32') {
    return { dtype: 'float32', dims: j.dims, data: Float32Array.from(j.values as number[]) }
  }
  return { dtype: j.dtype, dims: j.dims, data: j.values.slice() }
}
