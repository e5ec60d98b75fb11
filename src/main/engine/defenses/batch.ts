/** Conversions between tensors and plain float batches for the defenses written over arrays. */
import { tf } from '../tf'
import type { Tensor4D } from '../tf'
import type { DefenseParamSpec, FloatImageBatch } from './types'

/** A plain copy of the images (never aliases the tensor's storage). */
export function toFloatBatch(x: Tensor4D | FloatImageBatch): FloatImageBatch {
  if ('data' in x && x.data instanceof Float32Array) {
    const [n, h, w, c] = x.shape
    if (x.data.length !== n * h * w * c) {
      throw new Error(
        `Image batch has ${x.data.length} values, shape [${x.shape}] needs ${n * h * w * c}`
      )
    }
    return { data: x.data.slice(), shape: [...x.shape] }
  }
  const t = x as Tensor4D
  if (t.rank !== 4) throw new Error(`Defenses take [N, H, W, C] images, got shape [${t.shape}]`)
  return { data: Float32Array.from(t.dataSync()), shape: [...t.shape] as FloatImageBatch['shape'] }
}

export function toTensor(batch: FloatImageBatch): Tensor4D {
  return tf.tensor4d(batch.data, batch.shape)
}

/** Throws a message naming the defense and the allowed range for a bad parameter. */
export function checkParam(defenseId: string, spec: DefenseParamSpec, value: number): void {
  const bad =
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (spec.integer && !Number.isInteger(value)) ||
    value < spec.min ||
    value > spec.max
  if (bad) {
    const what = spec.integer ? 'an integer' : 'a number'
    throw new Error(
      `Defense "${defenseId}": parameter "${spec.name}" must be ${what} in [${spec.min}, ${spec.max}], got ${String(value)}`
    )
  }
}

/** Mirror index without repeating the edge (OpenCV BORDER_REFLECT_101: …2 1 | 0 1 2 … ). */
export function reflect101(i: number, n: number): number {
  if (n === 1) return 0
  const period = 2 * (n - 1)
  let k = ((i % period) + period) % period
  if (k >= n) k = period - k
  return k
}
