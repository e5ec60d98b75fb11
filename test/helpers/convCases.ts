import type { tf } from '../../src/main/engine/tf'

/** One 2-D convolution to test: NHWC input n x h x w x ci, k x k filter to co channels. */
export interface ConvCase {
  n: number
  h: number
  w: number
  ci: number
  co: number
  k: number
  s: number
  /** Dilation (1 when absent). */
  d?: number
  pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding
}

/** How a case is named in assertion messages. */
export function convLabel(c: ConvCase): string {
  return `${c.n}x${c.h}x${c.w}x${c.ci} -> ${c.co}, k${c.k} s${c.s} d${c.d ?? 1} ${JSON.stringify(c.pad)}`
}
