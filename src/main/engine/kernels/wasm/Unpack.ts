/**
 * Unpack (the gradient of stack) on wasm: the stock kernel slices each output through its own
 * module's Slice, not the registered one, so it paid the slow stock copy (68 ms for the
 * phase stack of a ResNet-20 input gradient); this one uses wasm/Slice's copy.
 */
import { tf } from '../../tf'
import type { TensorInfo } from '../registry'
import { wasmReplacement } from './shared'
import { sliceOnHeap } from './Slice'

export const unpackWasmConfig = wasmReplacement(
  tf.Unpack,
  (stock) =>
    (args): TensorInfo | TensorInfo[] => {
      const { inputs, attrs, backend } = args
      const value = inputs.value!
      if (value.dtype === 'string') return stock(args)
      const rank = value.shape.length
      const axis =
        (attrs.axis as number) < 0 ? (attrs.axis as number) + rank : (attrs.axis as number)
      const outShape = value.shape.filter((_, i) => i !== axis)
      const begin = new Array<number>(rank).fill(0)
      const size = value.shape.slice()
      size[axis] = 1
      return Array.from({ length: value.shape[axis]! }, (_, i) => {
        begin[axis] = i
        const part = sliceOnHeap(value, begin.slice(), size, backend)
        return { dataId: part.dataId, dtype: part.dtype, shape: outShape }
      })
    }
)
