import { tf } from '../../../src/main/engine/tf'

interface Allocator {
  makeOutput(
    shape: number[],
    dtype: 'float32'
  ): { dataId: object; shape: number[]; dtype: 'float32' }
  typedArrayFromHeap(t: { dataId: object; shape: number[]; dtype: 'float32' }): Float32Array
  disposeData(dataId: object): boolean
}

/**
 * Allocates outputs the way every wasm kernel does (makeOutput, untouched, so the test stays
 * fast) until the heap refuses one: 1 GB blocks (4 GB is the limit, the 4th can never fit),
 * then ever smaller ones, down to 1 MB, to reach the very top of the heap, where the
 * allocator has handed out blocks ending past the memory. Then frees them all.
 * `sample` is a value written into the last block that fit and read back; `outside` counts
 * blocks that do not lie inside the memory (must be 0).
 */
export function exhaustHeap(): {
  error: unknown
  count: number
  sample: number | undefined
  outside: number
} {
  const backend = tf.backend() as unknown as Allocator
  const held: ReturnType<Allocator['makeOutput']>[] = []
  let error: unknown
  for (const floats of [2 ** 28, 2 ** 26, 2 ** 24, 2 ** 21, 2 ** 18]) {
    try {
      for (let i = 0; i < 64; i++) held.push(backend.makeOutput([floats], 'float32'))
    } catch (err) {
      error ??= err
    }
  }
  let outside = 0
  for (const t of held) {
    try {
      backend.typedArrayFromHeap(t)
    } catch {
      outside++
    }
  }
  let sample: number | undefined
  const last = held[held.length - 1]
  if (last) {
    const view = backend.typedArrayFromHeap(last)
    view[view.length - 1] = held.length
    sample = backend.typedArrayFromHeap(last)[view.length - 1]
  }
  for (const t of held) backend.disposeData(t.dataId)
  return { error, count: held.length, sample, outside }
}
