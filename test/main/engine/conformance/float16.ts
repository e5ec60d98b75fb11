/**
 * IEEE half precision for the conformance suite's trained-model fixture: weights are stored as
 * float16 (every float16 value is a float32 exactly, so PyTorch and the engine compute with
 * the very same weights) to keep the committed files small.
 */

/** The float16 bits of the float16 value nearest `value` (ties to even; overflow to ±Inf). */
export function toFloat16Bits(value: number): number {
  const f32 = new Float32Array([value])
  const bits = new Uint32Array(f32.buffer)[0]!
  const sign = (bits >>> 16) & 0x8000
  const exponent = (bits >>> 23) & 0xff
  const mantissa = bits & 0x7fffff
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0)
  const e = exponent - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00
  if (e <= 0) {
    // Subnormal (or zero): shift the full significand right, rounding to nearest even.
    if (e < -10) return sign
    const full = mantissa | 0x800000
    const shift = 14 - e
    const half = 1 << (shift - 1)
    const rest = full & ((1 << shift) - 1)
    let m = full >>> shift
    if (rest > half || (rest === half && m & 1)) m++
    return sign | m
  }
  const rest = mantissa & 0x1fff
  let out = sign | (e << 10) | (mantissa >>> 13)
  if (rest > 0x1000 || (rest === 0x1000 && out & 1)) out++ // may carry into the exponent: right
  return out
}

/** The value of float16 `bits`. */
export function fromFloat16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1
  const exponent = (bits >>> 10) & 0x1f
  const mantissa = bits & 0x3ff
  if (exponent === 0) return sign * mantissa * 2 ** -24
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15)
}

/** Little-endian float16 bytes of `values`. */
export function encodeFloat16(values: Float32Array): Uint8Array {
  const out = new Uint16Array(values.length)
  values.forEach((v, i) => (out[i] = toFloat16Bits(v)))
  return new Uint8Array(out.buffer)
}

/** float32 values of little-endian float16 bytes. */
export function decodeFloat16(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length / 2)
  for (let i = 0; i < out.length; i++)
    out[i] = fromFloat16Bits(bytes[2 * i]! | (bytes[2 * i + 1]! << 8))
  return out
}
