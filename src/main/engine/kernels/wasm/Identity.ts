/**
 * Identity on wasm: the stock kernel copies the whole buffer, and the tape clones every saved
 * tensor through it; ours shares the buffer by reference count, as the cpu backend does
 * (tensors are immutable).
 */
import { tf } from '../../tf'
import { wasmReplacement } from './shared'

export const identityWasmConfig = wasmReplacement(tf.Identity, (stock) => ({ inputs, backend }) => {
  const x = inputs.x!
  if (x.dtype === 'string') return stock({ inputs, attrs: {}, backend })
  backend.incRef(x.dataId)
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype }
})
