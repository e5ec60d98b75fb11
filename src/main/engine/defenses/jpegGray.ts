/**
 * Grayscale JPEG as libjpeg writes and reads it: one component, the Annex K luminance table
 * scaled as jpeg_set_quality(q, force_baseline = TRUE) scales it, libjpeg's accurate integer
 * DCT (JDCT_ISLOW, the default of libjpeg, libjpeg-turbo and so of PIL) with its quantiser
 * rounding, and its accurate integer inverse DCT with range limiting. Edges are replicated to
 * whole 8×8 blocks as libjpeg's preprocessor does.
 *
 * Why not jpeg-js: it writes every image as three components (a gray image went through its
 * YCbCr transform, RGB was averaged back), and its float DCT and poppler-style IDCT differ
 * from libjpeg's by a level here and there: 4 of 32 cells of the Table 6.3 reproduction
 * differed from PIL's by one image.
 *
 * The entropy-coding stage of baseline JPEG is lossless, so a round trip is exactly the
 * quantised transform below; the decoded pixels equal PIL's (libjpeg-turbo) for the same
 * image and quality (the conformance suite, test/main/engine/conformance/, against fixtures
 * made with PIL by scripts/conformance/reference.py).
 *
 * The transforms are the Loeffler-Ligtenberg-Moschytz 8-point DCT in 13-bit fixed point with
 * 2 extra bits between passes, as libjpeg's jfdctint.c and jidctint.c compute them.
 */

/** Annex K.1 luminance quantisation table, natural (row-major) order. */
const LUMINANCE_TABLE = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
  14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
  92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99
]

/** The quantisation table libjpeg uses at `quality` (1–100, clamped), baseline-limited to 255. */
export function luminanceTable(quality: number): Int32Array {
  const q = Math.min(100, Math.max(1, Math.round(quality)))
  const scale = q < 50 ? Math.floor(5000 / q) : 200 - 2 * q
  return Int32Array.from(LUMINANCE_TABLE, (basic) =>
    Math.min(255, Math.max(1, Math.floor((basic * scale + 50) / 100)))
  )
}

const CONST_BITS = 13
const PASS1_BITS = 2
// cos-based constants × 2^13, rounded (libjpeg's FIX() values).
const F0_298 = 2446
const F0_390 = 3196
const F0_541 = 4433
const F0_765 = 6270
const F0_899 = 7373
const F1_175 = 9633
const F1_501 = 12299
const F1_847 = 15137
const F1_961 = 16069
const F2_053 = 16819
const F2_562 = 20995
const F3_072 = 25172

/** x / 2^n rounded half up, in exact integer arithmetic (no 32-bit overflow). */
function descale(x: number, n: number): number {
  return Math.floor((x + 2 ** (n - 1)) / 2 ** n)
}

/**
 * The odd half of the 8-point transform, shared by both directions: from the four odd-part
 * inputs t4..t7 the sums that become outputs 1, 3, 5 and 7 of the forward transform (the
 * inverse feeds its odd coefficients in reversed and reads the sums in reverse).
 */
function oddPart(t4: number, t5: number, t6: number, t7: number): [number, number, number, number] {
  const z5 = (t4 + t5 + t6 + t7) * F1_175
  const z1 = -(t4 + t7) * F0_899
  const z2 = -(t5 + t6) * F2_562
  const z3 = -(t4 + t6) * F1_961 + z5
  const z4 = -(t5 + t7) * F0_390 + z5
  return [
    t7 * F1_501 + z1 + z4,
    t6 * F3_072 + z2 + z3,
    t5 * F2_053 + z2 + z4,
    t4 * F0_298 + z1 + z3
  ]
}

/**
 * One 8-point forward transform pass over `v` at stride `step` from `at`. `last` selects the
 * second pass's descaling (libjpeg leaves the result scaled by 8 overall).
 */
function forward1d(v: Int32Array | number[], at: number, step: number, last: boolean): void {
  const p = (i: number) => v[at + i * step]!
  const t0 = p(0) + p(7)
  const t7 = p(0) - p(7)
  const t1 = p(1) + p(6)
  const t6 = p(1) - p(6)
  const t2 = p(2) + p(5)
  const t5 = p(2) - p(5)
  const t3 = p(3) + p(4)
  const t4 = p(3) - p(4)
  const t10 = t0 + t3
  const t13 = t0 - t3
  const t11 = t1 + t2
  const t12 = t1 - t2
  const shift = last ? CONST_BITS + PASS1_BITS : CONST_BITS - PASS1_BITS
  v[at] = last ? descale(t10 + t11, PASS1_BITS) : (t10 + t11) * 2 ** PASS1_BITS
  v[at + 4 * step] = last ? descale(t10 - t11, PASS1_BITS) : (t10 - t11) * 2 ** PASS1_BITS
  const z1 = (t12 + t13) * F0_541
  v[at + 2 * step] = descale(z1 + t13 * F0_765, shift)
  v[at + 6 * step] = descale(z1 - t12 * F1_847, shift)
  const [o1, o3, o5, o7] = oddPart(t4, t5, t6, t7)
  v[at + step] = descale(o1, shift)
  v[at + 3 * step] = descale(o3, shift)
  v[at + 5 * step] = descale(o5, shift)
  v[at + 7 * step] = descale(o7, shift)
}

/**
 * One 8-point inverse transform pass: reads coefficients at stride `step` from `at` in `v`,
 * writes the 8 outputs descaled by `shift` to `out` at stride `outStep` from `outAt`.
 */
function inverse1d(
  v: number[],
  at: number,
  step: number,
  out: number[],
  outAt: number,
  outStep: number,
  shift: number
): void {
  const p = (i: number) => v[at + i * step]!
  const z1 = (p(2) + p(6)) * F0_541
  const t2e = z1 - p(6) * F1_847
  const t3e = z1 + p(2) * F0_765
  const t0e = (p(0) + p(4)) * 2 ** CONST_BITS
  const t1e = (p(0) - p(4)) * 2 ** CONST_BITS
  const t10 = t0e + t3e
  const t13 = t0e - t3e
  const t11 = t1e + t2e
  const t12 = t1e - t2e
  // The odd part of the inverse uses the forward's rotations with the inputs reversed.
  const [o3, o2, o1, o0] = oddPart(p(7), p(5), p(3), p(1))
  const o = (i: number, x: number) => (out[outAt + i * outStep] = descale(x, shift))
  o(0, t10 + o3)
  o(7, t10 - o3)
  o(1, t11 + o2)
  o(6, t11 - o2)
  o(2, t12 + o1)
  o(5, t12 - o1)
  o(3, t13 + o0)
  o(4, t13 - o0)
}

/** libjpeg's quantiser: round half away from zero of c / (8q) (the DCT output is scaled by 8). */
function quantise(c: number, q: number): number {
  const d = q * 8
  return c < 0 ? -Math.floor((-c + (d >> 1)) / d) : Math.floor((c + (d >> 1)) / d)
}

/**
 * One 8×8 block (level-shifted samples, row-major, replaced in place) through forward DCT,
 * quantisation, dequantisation and inverse DCT; returns the decoded samples 0–255.
 */
function roundTripBlock(samples: number[], table: Int32Array): number[] {
  for (let r = 0; r < 8; r++) forward1d(samples, r * 8, 1, false)
  for (let c = 0; c < 8; c++) forward1d(samples, c, 8, true)
  const dequantised = samples.map((coef, i) => quantise(coef, table[i]!) * table[i]!)
  const work = new Array<number>(64)
  for (let c = 0; c < 8; c++) inverse1d(dequantised, c, 8, work, c, 8, CONST_BITS - PASS1_BITS)
  const out = new Array<number>(64)
  for (let r = 0; r < 8; r++) inverse1d(work, r * 8, 1, out, r * 8, 1, CONST_BITS + PASS1_BITS + 3)
  return out.map((v) => Math.min(255, Math.max(0, v + 128)))
}

/**
 * Encodes and decodes one 8-bit grayscale image (`h` × `w`, row-major) at `quality` as
 * libjpeg does; returns the decoded pixels.
 */
export function grayJpegRoundTrip(
  pixels: Uint8Array,
  h: number,
  w: number,
  quality: number
): Uint8Array {
  const table = luminanceTable(quality)
  const out = new Uint8Array(h * w)
  const block = new Array<number>(64)
  for (let by = 0; by < h; by += 8) {
    for (let bx = 0; bx < w; bx += 8) {
      for (let r = 0; r < 8; r++) {
        const y = Math.min(by + r, h - 1)
        for (let c = 0; c < 8; c++)
          block[r * 8 + c] = pixels[y * w + Math.min(bx + c, w - 1)]! - 128
      }
      const decoded = roundTripBlock(block, table)
      for (let r = 0; r < 8 && by + r < h; r++) {
        for (let c = 0; c < 8 && bx + c < w; c++) out[(by + r) * w + bx + c] = decoded[r * 8 + c]!
      }
    }
  }
  return out
}
