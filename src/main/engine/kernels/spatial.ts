/**
 * Spatial rearrangements (NHWC) shared by the conv and pooling gradients, built only from
 * reshape / pad / slice so that they are cheap on wasm (no StridedSlice, which is very slow
 * there) and differentiable to any order.
 */
import { tf } from '../tf'

/**
 * Inserts (sh-1) zero rows between rows and (sw-1) zero columns between columns:
 * [N,H,W,C] -> [N,(H-1)sh+1,(W-1)sw+1,C]. Done as reshape to [N,H,1,W,1,C], zero-pad the
 * singleton axes to sh and sw, reshape back, and drop the trailing zeros.
 */
export function zeroDilate(t: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return t
  const [n, h, w, c] = t.shape
  const t6 = tf.reshape(t, [n, h, 1, w, 1, c])
  const padded = tf.pad(t6, [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0]
  ])
  const flat = tf.reshape(padded, [n, h * sh, w * sw, c]) as tf.Tensor4D
  return tf.slice(flat, [0, 0, 0, 0], [n, (h - 1) * sh + 1, (w - 1) * sw + 1, c])
}

/**
 * Rows top, top+sh, ..., top+(outH-1)sh and the matching columns of t: a strided slice
 * written as slice + reshape [N,outH,sh,outW,sw,C] + slice of phase 0. Positions past the
 * end of t read `fill`.
 */
export function takeStrided(
  t: tf.Tensor4D,
  top: number,
  left: number,
  sh: number,
  sw: number,
  outH: number,
  outW: number,
  fill = 0
): tf.Tensor4D {
  const [n, , , c] = t.shape
  const win = windowOf(t, top, left, outH * sh, outW * sw, fill)
  if (sh === 1 && sw === 1) return win
  const t6 = tf.reshape(win, [n, outH, sh, outW, sw, c])
  const phase0 = tf.slice(t6, [0, 0, 0, 0, 0, 0], [n, outH, 1, outW, 1, c])
  return tf.reshape(phase0, [n, outH, outW, c]) as tf.Tensor4D
}

/**
 * The window rows [top, top+height) x columns [left, left+width) of t, where rows/columns
 * outside t (negative start, or past the end) read `fill`: a pad followed by a slice.
 */
export function windowOf(
  t: tf.Tensor4D,
  top: number,
  left: number,
  height: number,
  width: number,
  fill = 0
): tf.Tensor4D {
  const [n, h, w, c] = t.shape
  const padTop = Math.max(-top, 0)
  const padLeft = Math.max(-left, 0)
  const padBottom = Math.max(top + height - h, 0)
  const padRight = Math.max(left + width - w, 0)
  let src = t
  if (padTop || padLeft || padBottom || padRight) {
    src = tf.pad(
      t,
      [
        [0, 0],
        [padTop, padBottom],
        [padLeft, padRight],
        [0, 0]
      ],
      fill
    )
  }
  const start = [0, top + padTop, left + padLeft, 0]
  if (start[1] === 0 && start[2] === 0 && src.shape[1] === height && src.shape[2] === width) {
    return src
  }
  return tf.slice(src, start, [n, height, width, c])
}
