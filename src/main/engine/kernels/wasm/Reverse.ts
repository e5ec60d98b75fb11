/**
 * Reverse: the C++ kernel computes an index per element (1-15 ms for a [3,3,32,64] filter,
 * flipped on every conv gradient). Ours copies the contiguous block after the last reversed
 * axis as one run, walking the outer axes with an odometer.
 */
import { tf } from '../../tf'
import { wasmReplacement } from './shared'

export const reverseWasmConfig = wasmReplacement(tf.Reverse, (stock) => (args) => {
  const { inputs, attrs, backend } = args
  const x = inputs.x!
  if (x.dtype === 'string' || x.dtype === 'complex64' || x.shape.length === 0) return stock(args)
  const flip = new Set(tf.util.parseAxisParam(attrs.dims as number | number[], x.shape))
  const out = backend.makeOutput(x.shape, x.dtype)
  const src = backend.typedArrayFromHeap(x)
  const dst = backend.typedArrayFromHeap(out)
  const last = Math.max(-1, ...[...flip].filter((a) => x.shape[a]! > 1))
  const run = x.shape.slice(last + 1).reduce((a, b) => a * b, 1)
  if (last < 0) {
    dst.set(src)
    return out
  }
  const outer = x.shape.slice(0, last + 1)
  const strides = new Array<number>(last + 1)
  strides[last] = run
  for (let i = last - 1; i >= 0; i--) strides[i] = strides[i + 1]! * outer[i + 1]!
  const index = new Array<number>(last + 1).fill(0)
  const count = outer.reduce((a, b) => a * b, 1)
  for (let o = 0, to = 0; o < count; o++, to += run) {
    let from = 0
    for (let i = 0; i <= last; i++)
      from += (flip.has(i) ? outer[i]! - 1 - index[i]! : index[i]!) * strides[i]!
    for (let k = 0; k < run; k++) dst[to + k] = src[from + k]!
    for (let i = last; i >= 0; i--) {
      if (++index[i]! < outer[i]!) break
      index[i] = 0
    }
  }
  return out
})
