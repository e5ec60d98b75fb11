/**
 * Gradients of 2-D max and average pooling (NHWC) written as differentiable ops. tfjs
 * implements them as the MaxPoolGrad / AvgPoolGrad kernels, which have no gradient of their
 * own, so double backprop through a pooled CNN would stop there; and tfjs's AvgPoolGrad
 * divides by the full window at 'same'-padding borders although the forward AvgPool divides
 * by the number of real (unpadded) inputs.
 *
 * Both are "scatter each output's dy back over its window": for every window offset (a,b),
 * the (masked or scaled) dy is zero-dilated by the stride and padded into place, and the
 * k*k pieces are summed, then the padding is cropped. Non-overlapping valid pooling
 * (k == s, the models' 2x2/2) takes a cheaper reshape route.
 */
import { tf } from '../tf'
import { takeStrided, windowOf, zeroDilate } from './spatial'

type Pair = [number, number]
type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding
type Rounding = 'floor' | 'round' | 'ceil' | undefined

function poolInfo(
  x: tf.Tensor4D,
  filterSize: number | Pair,
  strides: number | Pair,
  pad: Pad,
  rounding: Rounding
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    x.shape,
    filterSize,
    strides,
    1,
    pad as 'valid' | 'same' | number,
    rounding
  )
}

/** k == s with no padding: every input row belongs to at most one window. */
function nonOverlapping(info: tf.backend_util.Conv2DInfo): boolean {
  return (
    info.filterHeight === info.strideHeight &&
    info.filterWidth === info.strideWidth &&
    info.padInfo.top === 0 &&
    info.padInfo.left === 0 &&
    info.outHeight * info.strideHeight <= info.inHeight &&
    info.outWidth * info.strideWidth <= info.inWidth
  )
}

/**
 * Sums dy pieces scattered over a k x k window of the padded input, then crops to x's size.
 * `piece(a, b)` is the [N,Ho,Wo,C] contribution of window offset (a,b).
 */
function scatterWindows(
  info: tf.backend_util.Conv2DInfo,
  piece: (a: number, b: number) => tf.Tensor4D
): tf.Tensor4D {
  const { outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = info
  const hp = info.inHeight + info.padInfo.top + info.padInfo.bottom
  const wp = info.inWidth + info.padInfo.left + info.padInfo.right
  const lh = (ho - 1) * sh + 1
  const lw = (wo - 1) * sw + 1
  let acc: tf.Tensor4D | undefined
  for (let a = 0; a < info.filterHeight; a++) {
    for (let b = 0; b < info.filterWidth; b++) {
      const d = zeroDilate(piece(a, b), sh, sw)
      // Rows a .. a+lh-1 of the padded input; (ho-1)s + k <= hp by definition of ho.
      const placed = tf.pad(d, [
        [0, 0],
        [a, Math.max(hp - a - lh, 0)],
        [b, Math.max(wp - b - lw, 0)],
        [0, 0]
      ]) as tf.Tensor4D
      acc = acc ? tf.add(acc, placed) : placed
    }
  }
  return windowOf(acc!, info.padInfo.top, info.padInfo.left, info.inHeight, info.inWidth)
}

/**
 * 1 where x equals the (broadcast) maximum y, else 0, as 1 - step(y - x): y - x >= 0 and
 * tfjs's step(0) = 0. Step's gradient is zero, so the mask is a constant to the tape (max
 * pooling is piecewise linear), and unlike greaterEqual (whose zero gradient mis-shapes a
 * broadcast input at second order) it broadcasts cleanly.
 */
export function isMax(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  return tf.sub(1, tf.step(tf.sub(y, x)))
}

/**
 * Who takes dy where a window's maximum is tied:
 *  - 'first' (default): the first maximum in scan order (rows, then columns within the
 *    window) takes all of it, as TensorFlow (MaxPoolGrad's argmax), PyTorch (max_pool2d's
 *    strict '>' scan) and tfjs's own kernel do. Ties are common on flat backgrounds (zero
 *    pixels, dead ReLUs), so any other rule gives other input gradients than the frameworks
 *    (VGG-11 on Fashion-MNIST: cosine down to 0.78), hence other attacks and δ.
 *  - 'split': every tied maximum gets an equal share. Also a valid subgradient with the same
 *    total; its one property the first rule lacks is symmetry (a mirrored image gets the
 *    mirrored gradient). Kept for comparison only.
 */
export type MaxPoolTieRule = 'first' | 'split'

let tieRule: MaxPoolTieRule = 'first'

/** Sets the tie rule the MaxPool gradient uses (gradients/MaxPool_grad); 'first' by default. */
export function setMaxPoolTieRule(rule: MaxPoolTieRule): void {
  tieRule = rule
}

/** The tie rule in use. */
export function maxPoolTieRule(): MaxPoolTieRule {
  return tieRule
}

/**
 * 1 where a tap holds its window's first maximum, for taps given in scan order: hit_k
 * unless an earlier tap already hit. All masks are products of steps, so their gradient is
 * zero and the pooling gradient stays piecewise linear at every order.
 */
function firstHits(hits: tf.Tensor[]): tf.Tensor[] {
  let taken: tf.Tensor | undefined
  return hits.map((hit) => {
    const first = taken ? tf.mul(hit, tf.sub(1, taken)) : hit
    taken = taken ? tf.add(taken, first) : first
    return first
  })
}

/**
 * dL/dx of maxPool: dy goes to the window's maximum (mask from isMax); at ties, to the first
 * maximum in scan order, or shared equally (see MaxPoolTieRule).
 */
export function maxPoolGradOps(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  filterSize: number | Pair,
  strides: number | Pair,
  pad: Pad,
  rounding?: Rounding,
  ties: MaxPoolTieRule = tieRule
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = poolInfo(x, filterSize, strides, pad, rounding)
    const { outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = info
    const [n, h, w, c] = x.shape
    if (nonOverlapping(info)) {
      const xc = windowOf(x, 0, 0, ho * sh, wo * sw)
      const x6 = tf.reshape(xc, [n, ho, sh, wo, sw, c])
      const y6 = tf.max(x6, [2, 4], true)
      const hit = isMax(x6, y6)
      const share = ties === 'split' ? tf.div(hit, tf.sum(hit, [2, 4], true)) : firstInWindow(hit)
      const dx6 = tf.mul(share, tf.reshape(dy, [n, ho, 1, wo, 1, c]))
      const dx = tf.reshape(dx6, [n, ho * sh, wo * sw, c]) as tf.Tensor4D
      return windowOf(dx, 0, 0, h, w)
    }
    // Padding never wins the max: pad with the lowest float32.
    const fill = -3.4e38
    const xp = windowOf(
      x,
      -info.padInfo.top,
      -info.padInfo.left,
      h + info.padInfo.top + info.padInfo.bottom,
      w + info.padInfo.left + info.padInfo.right,
      fill
    )
    const taps: tf.Tensor4D[] = []
    for (let a = 0; a < info.filterHeight; a++) {
      for (let b = 0; b < info.filterWidth; b++) {
        taps.push(takeStrided(xp, a, b, sh, sw, ho, wo, fill))
      }
    }
    const y = taps.reduce((m, t) => tf.maximum(m, t))
    const hits = taps.map((t) => isMax(t, y) as tf.Tensor4D)
    if (ties === 'first') {
      const first = firstHits(hits)
      return scatterWindows(info, (a, b) => tf.mul(dy, first[a * info.filterWidth + b]!))
    }
    const count = hits.reduce((s, t) => tf.add(s, t))
    const dyShare = tf.div(dy, count) as tf.Tensor4D
    return scatterWindows(info, (a, b) => tf.mul(dyShare, hits[a * info.filterWidth + b]!))
  })
}

/**
 * t shifted by `by` along `axis` (zeros enter at the start): an exclusive prefix sum over a
 * window axis is the sum of such shifts. (tf.cumsum would do, but tfjs 4.22's Cumsum
 * gradient mis-shapes its result for an inner axis of a rank-6 tensor.)
 */
function shifted(t: tf.Tensor, axis: number, by: number): tf.Tensor {
  const size = t.shape.slice()
  size[axis] = size[axis]! - by
  const padding = t.shape.map((_, i) =>
    i === axis ? ([by, 0] as [number, number]) : ([0, 0] as [number, number])
  )
  return tf.pad(tf.slice(t, new Array<number>(t.rank).fill(0), size), padding)
}

/** Sum of the entries before each one along `axis` (an exclusive prefix sum). */
function earlierAlong(t: tf.Tensor, axis: number): tf.Tensor | undefined {
  let sum: tf.Tensor | undefined
  for (let by = 1; by < t.shape[axis]!; by++) {
    const s = shifted(t, axis, by)
    sum = sum ? tf.add(sum, s) : s
  }
  return sum
}

/**
 * The first-maximum mask of non-overlapping windows laid out as [n, ho, sh, wo, sw, c]
 * (window rows on axis 2, columns on axis 4): a hit counts if no hit precedes it in scan
 * order, i.e. none in an earlier row of its window and none earlier in its own row.
 */
function firstInWindow(hit: tf.Tensor): tf.Tensor {
  const earlierRows = earlierAlong(tf.sum(hit, 4, true), 2)
  const earlierInRow = earlierAlong(hit, 4)
  const earlier =
    earlierRows && earlierInRow ? tf.add(earlierRows, earlierInRow) : (earlierRows ?? earlierInRow)
  return earlier ? tf.mul(hit, tf.sub(1, tf.step(earlier))) : hit
}

/** Number of real (unpadded) input positions in each output window along one axis. */
function windowCounts(
  out: number,
  inSize: number,
  k: number,
  s: number,
  padBefore: number
): number[] {
  const counts: number[] = []
  for (let i = 0; i < out; i++) {
    const start = i * s - padBefore
    counts.push(Math.min(start + k, inSize) - Math.max(start, 0))
  }
  return counts
}

/**
 * dL/dx of avgPool: each output spreads dy / count over its window, where count is the
 * number of real inputs in the window (tfjs's forward AvgPool excludes padding, so its
 * gradient must too; the stock gradient divides by k*k at 'same' borders).
 */
export function avgPoolGradOps(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  filterSize: number | Pair,
  strides: number | Pair,
  pad: Pad,
  rounding?: Rounding
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = poolInfo(x, filterSize, strides, pad, rounding)
    const { outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = info
    const [n, h, w, c] = x.shape
    if (nonOverlapping(info)) {
      const scaled = tf.div(tf.reshape(dy, [n, ho, 1, wo, 1, c]), sh * sw)
      const dx6 = tf.mul(scaled, tf.ones([1, 1, sh, 1, sw, 1]))
      const dx = tf.reshape(dx6, [n, ho * sh, wo * sw, c]) as tf.Tensor4D
      return windowOf(dx, 0, 0, h, w)
    }
    const rows = windowCounts(ho, h, info.filterHeight, sh, info.padInfo.top)
    const cols = windowCounts(wo, w, info.filterWidth, sw, info.padInfo.left)
    const inv = new Float32Array(ho * wo)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++) inv[i * wo + j] = 1 / (rows[i]! * cols[j]!)
    const scaled = tf.mul(dy, tf.tensor4d(inv, [1, ho, wo, 1])) as tf.Tensor4D
    return scatterWindows(info, () => scaled)
  })
}
