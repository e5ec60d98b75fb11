/**
 * The two gradients of a 2-D convolution (NHWC, stride s, dilation d, one of them 1)
 * written as FORWARD convolutions. Why: on wasm the forward Conv2D runs through XNNPACK
 * while Conv2DBackpropInput is ~7x slower and Conv2DBackpropFilter does not exist; and
 * because the result is made of differentiable ops, the second-order gradient needed by
 * orthogonal training (double backprop, SPEC §2.4) comes for free.
 *
 * Notation, one spatial axis (the other is identical): the forward pass reads the padded
 * input xp (pad_top rows of zeros above x) as
 *     y[i] = sum_a xp[i*s + a*d] W[a],   a = 0..k-1.
 * TF's 'same' padding is asymmetric: pad_total = max((ceil(in/s)-1)*s + (k-1)d+1 - in, 0),
 * pad_top = floor(pad_total/2), the extra row going to the bottom; we take pad_top and the
 * output size from tf.backend_util.computeConv2DInfo so 'same', 'valid' and explicit
 * paddings all reduce to the same arithmetic.
 */
import { tf } from '../tf'
import { windowOf, zeroDilate } from './spatial'
import { flipFilter } from './flipFilter'
import { nativeKernelsActive, type FilterGradAttrs } from './nativeKernels'

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding
type Pair = [number, number]

function pair(v: number | Pair): Pair {
  return typeof v === 'number' ? [v, v] : v
}

function convInfo(
  xShape: number[],
  filterShape: number[],
  strides: number | Pair,
  pad: Pad,
  dilations: number | Pair
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad
  )
}

/**
 * dL/dx of y = conv2d(x, W): dxp[p] = sum_{i,a: i*s + a*d = p} dy[i] W[a].
 * Zero-dilating dy by s (dyd[i*s] = dy[i]) turns this into dxp[p] = sum_a dyd[p - a*d] W[a],
 * a stride-1 "full" correlation of dyd with the spatially flipped filter (dilation d), whose
 * in/out channel axes are swapped because the sum now runs over the output channels.
 * Output row m of x is xp row m + pad_top, so dyd gets pad_l = (k-1)d - pad_top rows of
 * zeros on top and enough at the bottom for H outputs; negative pads become crops.
 */
export function conv2dBackpropInputOps(
  xShape: number[],
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: number | Pair,
  pad: Pad,
  dilations: number | Pair = 1
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = convInfo(xShape, filter.shape, strides, pad, dilations)
    const [sh, sw] = [info.strideHeight, info.strideWidth]
    const [dh, dw] = [info.dilationHeight, info.dilationWidth]
    const [h, w] = [info.inHeight, info.inWidth]
    const strided = sh > 1 || sw > 1
    if (strided && dh === 1 && dw === 1 && nativeKernelsActive()) {
      // One native scatter kernel instead of spreading dy with zeros or splitting it into
      // sub-pixel phases and interleaving them back (stack + transpose). For stride 1 the
      // flipped-filter convolution below is 2-3x faster than scattering. tfjs's gradient of
      // Conv2DBackpropInput (a conv2d and a filter gradient, both ours) covers second order.
      return tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, {
        strides: [sh, sw],
        pad,
        dataFormat: 'NHWC',
        inputShape: xShape
      } as unknown as tf.NamedAttrMap) as tf.Tensor4D
    }
    if ((sh > 1 || sw > 1) && info.filterHeight * info.filterWidth > 1) {
      return subPixelBackpropInput(info, dy, filter)
    }
    const keH = info.effectiveFilterHeight
    const keW = info.effectiveFilterWidth
    const dyd = zeroDilate(dy, sh, sw)
    const flipped = flipFilter(filter)
    const top = keH - 1 - info.padInfo.top
    const left = keW - 1 - info.padInfo.left
    const needH = h + keH - 1
    const needW = w + keW - 1
    // Positive pads go to the convolution itself (no copy); only negative ones (an explicit
    // pad larger than the kernel) or a short input need windowOf.
    const bottom = needH - top - dyd.shape[1]
    const right = needW - left - dyd.shape[2]
    if (top >= 0 && left >= 0 && bottom >= 0 && right >= 0) {
      const explicit: tf.backend_util.ExplicitPadding = [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0]
      ]
      return tf.conv2d(dyd, flipped, 1, explicit, 'NHWC', [dh, dw])
    }
    const src = windowOf(dyd, -top, -left, needH, needW)
    return tf.conv2d(src, flipped, 1, 'valid', 'NHWC', [dh, dw])
  })
}

/**
 * dL/dx of a strided convolution (dilation 1) without multiplying zeros: the sub-pixel
 * (phase) decomposition of the transposed convolution. Writing p = s*q + r (0 <= r < s),
 *     dxp[s*q + r] = sum_t dy[q - t] W[r + s*t],   t = 0..T_r-1, T_r = ceil((k - r)/s),
 * so each output phase r is a stride-1 correlation of dy with its own flipped sub-filter
 * W[r + s*(T_r-1-u)]. Each phase runs as its own forward convolution with exactly its taps
 * (3x3/2: phases of 2x2, 2x1, 1x2 and 1x1 taps, 9/9 of the forward multiply-adds; one
 * convolution over zero-padded 2x2 sub-filters did 16/9, and was the slowest convolution of
 * a PGD step), then an interleave (stack, transpose: depth-to-space) and a crop place them.
 */
function subPixelBackpropInput(
  info: tf.backend_util.Conv2DInfo,
  dy: tf.Tensor4D,
  filter: tf.Tensor4D
): tf.Tensor4D {
  const [sh, sw] = [info.strideHeight, info.strideWidth]
  const [kh, kw] = [info.filterHeight, info.filterWidth]
  const [h, w, ci, co] = [info.inHeight, info.inWidth, info.inChannels, info.outChannels]
  const n = dy.shape[0]
  const th = Math.ceil(kh / sh)
  const tw = Math.ceil(kw / sw)
  // split[u, rh, v, rw, c, o] = W[rh + sh*u, rw + sw*v, c, o] (zero past the filter's end).
  const padded = tf.pad(filter, [
    [0, sh * th - kh],
    [0, sw * tw - kw],
    [0, 0],
    [0, 0]
  ])
  const split = tf.reshape(padded, [th, sh, tw, sw, ci, co])
  // Phase rows q cover padded-input rows p = s*q + r from P (x row 0) to P + H - 1.
  const [pt, pl] = [info.padInfo.top, info.padInfo.left]
  const q0h = Math.floor(pt / sh)
  const q0w = Math.floor(pl / sw)
  const qh = Math.floor((pt + h - 1) / sh) - q0h + 1
  const qw = Math.floor((pl + w - 1) / sw) - q0w + 1
  const phases: tf.Tensor4D[] = []
  for (let rh = 0; rh < sh; rh++) {
    for (let rw = 0; rw < sw; rw++) {
      const [tr, tc] = [Math.ceil((kh - rh) / sh), Math.ceil((kw - rw) / sw)]
      if (tr <= 0 || tc <= 0) {
        // A phase no tap reaches (k < s): its rows get nothing from dy.
        phases.push(tf.zeros([n, qh, qw, ci]))
        continue
      }
      // Fr[u, v, o, c] = W[rh + sh*(tr-1-u), rw + sw*(tc-1-v), c, o]
      const taps = tf.reshape(tf.slice(split, [0, rh, 0, rw, 0, 0], [tr, 1, tc, 1, ci, co]), [
        tr,
        tc,
        ci,
        co
      ])
      const fr = flipFilter(taps as tf.Tensor4D)
      // Output row q reads dy rows q - (tr-1) .. q: a window of dy starting at q0 - (tr-1).
      const src = windowOf(dy, q0h - (tr - 1), q0w - (tc - 1), qh + tr - 1, qw + tc - 1)
      phases.push(tf.conv2d(src, fr, 1, 'valid'))
    }
  }
  // [sh, sw, n, qh, qw, ci] -> [n, qh, sh, qw, sw, ci]: row s*q + rh, column s*q' + rw.
  const stacked = tf.reshape(tf.stack(phases), [sh, sw, n, qh, qw, ci])
  const interleaved = tf.reshape(tf.transpose(stacked, [2, 3, 0, 4, 1, 5]), [
    n,
    qh * sh,
    qw * sw,
    ci
  ]) as tf.Tensor4D
  return windowOf(interleaved, pt - q0h * sh, pl - q0w * sw, h, w)
}

/** Largest k*k*|x| (floats) whose tap windows the GEMM route may leave on a recording tape. */
const SECOND_ORDER_GEMM_FLOATS = 16 * 2 ** 20

/**
 * dL/dW of y = conv2d(x, W), by the route that is fast on the current backend: the native
 * kernel where it is loaded (nativeKernels), else k*k GEMMs (filterGradAsGemm) on wasm and
 * one forward convolution (filterGradAsConv) elsewhere.
 */
export function conv2dBackpropFilterOps(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: number[],
  strides: number | Pair,
  pad: Pad,
  dilations: number | Pair = 1
): tf.Tensor4D {
  // Measured (batch 16, cnn layers): on cpu the GEMM route is 3-6x slower than the
  // convolution route (its Slice and matMul are plain JS); on wasm it is the faster one.
  // Under double backprop the outer tape keeps every tap's window (k*k copies of x) alive
  // until the step ends, so very large layers recorded at second order take the lean route.
  // (ResNet-20's orthogonal step at batch 128 exceeds the 4 GB wasm heap either way: the
  // heap peak measured the same with this route forced everywhere.)
  if (nativeKernelsActive()) {
    // One native kernel: no tap windows to copy, and none kept on a recording tape (its
    // second-order gradient, gradients/Conv2DBackpropFilter_grad, is two convolutions).
    const attrs: FilterGradAttrs = {
      strides,
      pad: pad as FilterGradAttrs['pad'],
      dataFormat: 'NHWC',
      filterShape: filterShape as FilterGradAttrs['filterShape'],
      dilations
    }
    return tf
      .engine()
      .runKernel(
        tf.Conv2DBackpropFilter,
        { x, dy },
        attrs as unknown as tf.NamedAttrMap
      ) as tf.Tensor4D
  }
  const [kh, kw] = typeof filterShape[0] === 'number' ? [filterShape[0], filterShape[1]!] : [1, 1]
  const recorded =
    (tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth > 0
  const gemm =
    tf.getBackend() === 'wasm' && (!recorded || x.size * kh * kw <= SECOND_ORDER_GEMM_FLOATS)
  return gemm
    ? filterGradAsGemm(x, dy, filterShape, strides, pad, dilations)
    : filterGradAsConv(x, dy, filterShape, strides, pad, dilations)
}

/**
 * dL/dW as GEMMs: for each filter tap (a, b),
 *     dW[a,b] = X_ab^T . DY,   X_ab[(n,i,j), c] = xp[n, i*s + a*d, j*s + b*d, c]
 * with DY = dy as [M, Co], M = N*Ho*Wo: k*k matrix products whose inner dimension is the
 * whole batch. x is transposed once to [Ci, N, H, W] (a plain matrix transpose), so each
 * X_ab^T is a window of it and no product needs a transposed operand. DY is the same right
 * operand for all k*k products: XNNPACK packs a right operand (~10 ms for 400k floats on
 * wasm) once per distinct tensor, so it must not be the one that changes. The earlier route
 * (a forward convolution of x^T with dy as a 14x14 filter) ran ~3x slower than forward.
 */
function filterGradAsGemm(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: number[],
  strides: number | Pair,
  pad: Pad,
  dilations: number | Pair = 1
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = convInfo(x.shape, filterShape, strides, pad, dilations)
    const [sh, sw] = [info.strideHeight, info.strideWidth]
    const [dh, dw] = [info.dilationHeight, info.dilationWidth]
    const [kh, kw] = [info.filterHeight, info.filterWidth]
    const [n, , , ci] = x.shape
    const [ho, wo, co] = [info.outHeight, info.outWidth, info.outChannels]
    // [Ci*N, H, W, 1], padded (or cropped) so that every tap's strided window lies inside.
    const xt = tf.reshape(tf.transpose(x, [3, 0, 1, 2]), [
      ci * n,
      info.inHeight,
      info.inWidth,
      1
    ]) as tf.Tensor4D
    // Rounded up to whole stride periods, so the input splits into its sh*sw phases, plus one
    // spare period of zeros: a flat window (below) may run past its last row into it.
    const needH = Math.ceil(((kh - 1) * dh + ho * sh) / sh) * sh + sh
    const needW = Math.ceil(((kw - 1) * dw + wo * sw) / sw) * sw
    const xp = windowOf(xt, -info.padInfo.top, -info.padInfo.left, needH, needW)
    const [hp, wp] = [needH / sh, needW / sw]
    // Phase (rh, rw) holds rows rh, rh+sh, ...: tap (a, b) reads phase (a*dh mod sh, b*dw mod sw)
    // from offset (floor(a*dh/sh), floor(b*dw/sw)). Splitting once costs one pass over x;
    // per-tap strided slices would copy element by element k*k times.
    const phases = new Map<string, tf.Tensor2D>()
    const phase = (rh: number, rw: number): tf.Tensor2D => {
      const key = `${rh},${rw}`
      let p = phases.get(key)
      if (!p) {
        const split =
          sh === 1 && sw === 1
            ? xp
            : tf.slice(
                tf.reshape(xp, [ci * n, hp, sh, wp, sw]),
                [0, 0, rh, 0, rw],
                [ci * n, hp, 1, wp, 1]
              )
        p = tf.reshape(split, [ci * n, hp * wp]) as tf.Tensor2D
        phases.set(key, p)
      }
      return p
    }
    // Flat windows: with dy zero-padded from Wo to the phase width wp, the window of tap
    // (a, b) is ONE contiguous run of Ho*wp values per (channel, image) plane, starting at
    // oy*wp + ox; the wp - Wo columns it reads past each row meet dy's zeros. A copy of
    // long runs is ~8x faster than Ho runs of Wo (0.09 vs 0.71 ms for a ResNet-20 tap),
    // for (wp/Wo - 1) more multiply-adds in the product.
    const dyFlat = tf.reshape(
      wp > wo
        ? tf.pad(dy, [
            [0, 0],
            [0, 0],
            [0, wp - wo],
            [0, 0]
          ])
        : dy,
      [n * ho * wp, co]
    ) as tf.Tensor2D
    const taps: tf.Tensor[] = []
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        const [ah, bw] = [a * dh, b * dw]
        const src = phase(ah % sh, bw % sw)
        const start = Math.floor(ah / sh) * wp + Math.floor(bw / sw)
        const win = tf.slice(src, [0, start], [ci * n, ho * wp])
        taps.push(tf.matMul(tf.reshape(win, [ci, n * ho * wp]) as tf.Tensor2D, dyFlat))
      }
    }
    return tf.reshape(taps.length === 1 ? taps[0]! : tf.concat(taps, 0), [
      kh,
      kw,
      ci,
      co
    ]) as tf.Tensor4D
  })
}

/**
 * dL/dW of y = conv2d(x, W): dW[a,b,c,o] = sum_{n,i,j} xp[n, i*s + a*d, j*s + b*d, c] dy[n,i,j,o].
 * Swapping the batch and channel axes of x (X' = [Ci,H,W,N]) and using dy as a filter
 * (F' = [Ho,Wo,N,Co]) makes this a forward convolution of X' with F' at dilation s and
 * stride d: out[c,a,b,o] = sum_{i,j,n} X'p[c, a*d + i*s, b*d + j*s, n] F'[i,j,n,o].
 * Padding X' to exactly (k-1)d + (Ho-1)s + 1 rows makes the output exactly k rows.
 * The route for the cpu backend, whose convolution is faster than its matrix product here.
 */
function filterGradAsConv(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: number[],
  strides: number | Pair,
  pad: Pad,
  dilations: number | Pair = 1
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = convInfo(x.shape, filterShape, strides, pad, dilations)
    const [sh, sw] = [info.strideHeight, info.strideWidth]
    const [dh, dw] = [info.dilationHeight, info.dilationWidth]
    const [kh, kw] = [info.filterHeight, info.filterWidth]
    const needH = (kh - 1) * dh + (info.outHeight - 1) * sh + 1
    const needW = (kw - 1) * dw + (info.outWidth - 1) * sw + 1
    const xt = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D
    const dyt = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D
    const top = info.padInfo.top
    const left = info.padInfo.left
    const bottom = needH - top - info.inHeight
    const right = needW - left - info.inWidth
    let out: tf.Tensor4D
    if (bottom >= 0 && right >= 0) {
      const explicit: tf.backend_util.ExplicitPadding = [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0]
      ]
      out = tf.conv2d(xt, dyt, [dh, dw], explicit, 'NHWC', [sh, sw])
    } else {
      // Rows past the last one any output reads (valid padding with leftovers): crop.
      out = tf.conv2d(windowOf(xt, -top, -left, needH, needW), dyt, [dh, dw], 'valid', 'NHWC', [
        sh,
        sw
      ])
    }
    return tf.transpose(out, [1, 2, 0, 3]) as tf.Tensor4D
  })
}

/** Whether the decomposition covers this configuration (tfjs forbids stride>1 with dilation>1). */
export function decomposable(strides: number | Pair, dilations: number | Pair): boolean {
  const [sh, sw] = pair(strides)
  const [dh, dw] = pair(dilations)
  return (sh === 1 && sw === 1) || (dh === 1 && dw === 1)
}
