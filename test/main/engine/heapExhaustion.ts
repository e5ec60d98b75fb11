import { tf } from '../../../src/main/engine/tf'

interface Allocator {
  makeOutput(shape: number[], dtype: 'float32'): { dataId: object; shape: number[]; dtype: 'float32' }
  typedArrayFromHeap(t: { dataId: object; shape: number[]; dtype: 'float32' }): Float32Array
  disposeData(dataId: object): boolean
}

/**
 * Allocates 1 GB outputs the way every wasm kernel does (makeOutput, untouched, so the test
 * stays fast) until the heap refuses one; then frees them. 4 GB is the limit: the 4th can
 * never fit. `sample` is a value written into the last buffer that fit and read back.
 */
export function exhaustHeap(): { error: unknown; count: number; sample: number | undefined } {
  const backend = tf.backend() as unknown as Allocator
  const held: ReturnType<Allocator['makeOutput']>[] = []
  let error: unknown
  try {
    for (let i = 0; i < 5; i++) held.push(backend.makeOutput([2 ** 28], 'float32'))
  } catch (err) {
    error = err
  }
  let sample: number | undefined
  const last = held[held.length - 1]
  if (last) {
    const view = backend.typedArrayFromHeap(last)
    view[view.length - 1] = held.length
    sample = backend.typedArrayFromHeap(last)[view.length - 1]
  }
  for (const t of held) backend.disposeData(t.dataId)
  return { error, count: held.length, sample }
}
