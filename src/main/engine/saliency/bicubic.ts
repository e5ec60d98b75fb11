/**
 * Bicubic image resizing (Keys 1981 cubic convolution, a = -0.5), written as two small dense
 * matrix products because tf.image only offers bilinear and nearest-neighbour. CAMERAS
 * (Jalwana et al. 2021) upsamples the input bicubically; bilinear would feed the model
 * visibly blurrier high-resolution images and change the activations it accumulates.
 */
import { tf } from '../tf'
import type { Tensor4D } from '../tf'

/** Keys' cubic convolution kernel; a = -0.5 makes it third-order accurate (reproduces quadratics). */
export function keysKernel(t: number, a = -0.5): number {
  const x = Math.abs(t)
  if (x <= 1) return (a + 2) * x ** 3 - (a + 3) * x ** 2 + 1
  if (x < 2) return a * x ** 3 - 5 * a * x ** 2 + 8 * a * x - 4 * a
  return 0
}

/**
 * The [outSize, inSize] interpolation matrix along one axis, half-pixel centres (the
 * convention of tf.image with halfPixelCenters and of PIL/OpenCV). Taps beyond the border
 * are clamped to the edge pixel (replicate padding), so every row sums to 1 and constants
 * stay constant. No antialiasing when shrinking: CAMERAS only upsamples.
 */
export function cubicMatrix(inSize: number, outSize: number, a = -0.5): Float32Array {
  const m = new Float32Array(outSize * inSize)
  const ratio = inSize / outSize
  for (let o = 0; o < outSize; o++) {
    const src = (o + 0.5) * ratio - 0.5
    const base = Math.floor(src)
    for (let tap = base - 1; tap <= base + 2; tap++) {
      const w = keysKernel(src - tap, a)
      if (w === 0) continue
      const idx = Math.min(inSize - 1, Math.max(0, tap))
      m[o * inSize + idx] += w
    }
  }
  return m
}

/**
 * Resizes NHWC images to [outH, outW] with bicubic interpolation. The result is clipped to
 * [0, 1] because the cubic kernel overshoots at edges and the models expect [0, 1] pixels.
 * Same-size requests return an identical copy (the kernel is 1 at 0 and 0 at ±1, ±2).
 */
export function resizeBicubic(x: Tensor4D, size: [number, number], clip = true): Tensor4D {
  const [n, h, w, c] = x.shape
  const [outH, outW] = size
  if (!Number.isInteger(outH) || !Number.isInteger(outW) || outH < 1 || outW < 1) {
    throw new Error(`resizeBicubic: size must be positive integers, got [${outH}, ${outW}]`)
  }
  return tf.tidy(() => {
    const my = tf.tensor2d(cubicMatrix(h, outH), [outH, h])
    const mx = tf.tensor2d(cubicMatrix(w, outW), [outW, w])
    // Rows: [H, N*W*C] -> [outH, N*W*C]
    const rows = tf.reshape(tf.transpose(x, [1, 0, 2, 3]), [h, n * w * c])
    const r1 = tf.reshape(tf.matMul(my, rows), [outH, n, w, c])
    // Columns: [W, outH*N*C] -> [outW, outH*N*C]
    const cols = tf.reshape(tf.transpose(r1, [2, 0, 1, 3]), [w, outH * n * c])
    const r2 = tf.reshape(tf.matMul(mx, cols), [outW, outH, n, c])
    const out = tf.transpose(r2, [2, 1, 0, 3]) as Tensor4D
    return clip ? (tf.clipByValue(out, 0, 1) as Tensor4D) : out
  })
}
