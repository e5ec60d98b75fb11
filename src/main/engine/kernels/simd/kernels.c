/*
 * SIMD kernels that run directly on tfjs-backend-wasm's heap (the module imports the
 * backend's memory; every pointer is an address in it). They replace JavaScript loops
 * that the training step spends most of its non-XNNPACK time in: reductions over the
 * leading axes, window copies (Slice / Pad) and matrix transposes.
 *
 * Rules that keep this module safe inside memory it does not own:
 *  - no static data and no stack: every function works in locals only (checked by
 *    scripts/build-simd-kernels.sh, which refuses a build that touches __stack_pointer);
 *  - scratch space is passed in by the caller, allocated from the backend like a tensor.
 *
 * Build: bash scripts/build-simd-kernels.sh (clang + lld with the wasm32 target).
 */
#include <wasm_simd128.h>

typedef unsigned int u32;

#define EXPORT(name) __attribute__((export_name(#name))) void name

/*
 * out[c] = sum over r of x[r * cols + c], for r < rows. Blocks of 64 rows are summed in
 * float32 lanes (the block stays in L1 while every group of 4 columns walks it), and the
 * block sums are accumulated in float64 in `acc` (cols doubles, caller's scratch), so the
 * result is as accurate as a float64 running sum for any practical row count.
 */
EXPORT(sum_rows)(const float *x, u32 rows, u32 cols, float *out, double *acc) {
  for (u32 c = 0; c < cols; c++) acc[c] = 0;
  for (u32 r0 = 0; r0 < rows; r0 += 64) {
    u32 r1 = r0 + 64 < rows ? r0 + 64 : rows;
    u32 c = 0;
    for (; c + 8 <= cols; c += 8) {
      v128_t s0 = wasm_f32x4_splat(0.f), s1 = wasm_f32x4_splat(0.f);
      const float *p = x + (unsigned long)r0 * cols + c;
      for (u32 r = r0; r < r1; r++, p += cols) {
        s0 = wasm_f32x4_add(s0, wasm_v128_load(p));
        s1 = wasm_f32x4_add(s1, wasm_v128_load(p + 4));
      }
      acc[c] += wasm_f32x4_extract_lane(s0, 0);
      acc[c + 1] += wasm_f32x4_extract_lane(s0, 1);
      acc[c + 2] += wasm_f32x4_extract_lane(s0, 2);
      acc[c + 3] += wasm_f32x4_extract_lane(s0, 3);
      acc[c + 4] += wasm_f32x4_extract_lane(s1, 0);
      acc[c + 5] += wasm_f32x4_extract_lane(s1, 1);
      acc[c + 6] += wasm_f32x4_extract_lane(s1, 2);
      acc[c + 7] += wasm_f32x4_extract_lane(s1, 3);
    }
    for (; c + 4 <= cols; c += 4) {
      v128_t s = wasm_f32x4_splat(0.f);
      const float *p = x + (unsigned long)r0 * cols + c;
      for (u32 r = r0; r < r1; r++, p += cols) s = wasm_f32x4_add(s, wasm_v128_load(p));
      acc[c] += wasm_f32x4_extract_lane(s, 0);
      acc[c + 1] += wasm_f32x4_extract_lane(s, 1);
      acc[c + 2] += wasm_f32x4_extract_lane(s, 2);
      acc[c + 3] += wasm_f32x4_extract_lane(s, 3);
    }
    for (; c < cols; c++) {
      float s = 0.f;
      const float *p = x + (unsigned long)r0 * cols + c;
      for (u32 r = r0; r < r1; r++, p += cols) s += *p;
      acc[c] += s;
    }
  }
  for (u32 c = 0; c < cols; c++) out[c] = (float)acc[c];
}

/* Copies n 4-byte elements; runs are short (a row of a window), so no call overhead. */
static inline void copy_run(u32 *d, const u32 *s, u32 n) {
  u32 k = 0;
  for (; k + 8 <= n; k += 8) {
    wasm_v128_store(d + k, wasm_v128_load(s + k));
    wasm_v128_store(d + k + 4, wasm_v128_load(s + k + 4));
  }
  for (; k + 4 <= n; k += 4) wasm_v128_store(d + k, wasm_v128_load(s + k));
  for (; k < n; k++) d[k] = s[k];
}

/*
 * Moves the window begin (b0..b3), size (z0..z3) of a rank-4 array of shape (., s1, s2, s3)
 * (4-byte elements) to or from a packed array: scatter = 0 reads the window into `packed`
 * (Slice), scatter = 1 writes `packed` into the window (Pad). Lower ranks pass leading 1s.
 */
EXPORT(move_window4)(u32 *full, u32 *packed, u32 s1, u32 s2, u32 s3, u32 b0, u32 b1, u32 b2, u32 b3,
                     u32 z0, u32 z1, u32 z2, u32 z3, u32 scatter) {
  for (u32 i0 = 0; i0 < z0; i0++) {
    for (u32 i1 = 0; i1 < z1; i1++) {
      for (u32 i2 = 0; i2 < z2; i2++) {
        u32 *f = full + ((((unsigned long)(b0 + i0) * s1 + (b1 + i1)) * s2 + (b2 + i2)) * s3 + b3);
        if (scatter) copy_run(f, packed, z3);
        else copy_run(packed, f, z3);
        packed += z3;
      }
    }
  }
}

/* dst (cols x rows) = transpose of src (rows x cols), 4-byte elements, 4x4 SIMD tiles. */
EXPORT(transpose2d)(const u32 *src, u32 *dst, u32 rows, u32 cols) {
  const u32 B = 32;
  for (u32 i0 = 0; i0 < rows; i0 += B) {
    u32 i1 = i0 + B < rows ? i0 + B : rows;
    for (u32 j0 = 0; j0 < cols; j0 += B) {
      u32 j1 = j0 + B < cols ? j0 + B : cols;
      u32 i = i0;
      for (; i + 4 <= i1; i += 4) {
        u32 j = j0;
        for (; j + 4 <= j1; j += 4) {
          v128_t r0 = wasm_v128_load(src + (unsigned long)i * cols + j);
          v128_t r1 = wasm_v128_load(src + (unsigned long)(i + 1) * cols + j);
          v128_t r2 = wasm_v128_load(src + (unsigned long)(i + 2) * cols + j);
          v128_t r3 = wasm_v128_load(src + (unsigned long)(i + 3) * cols + j);
          v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5);
          v128_t t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
          v128_t t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
          v128_t t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
          wasm_v128_store(dst + (unsigned long)j * rows + i, wasm_i64x2_shuffle(t0, t1, 0, 2));
          wasm_v128_store(dst + (unsigned long)(j + 1) * rows + i, wasm_i64x2_shuffle(t0, t1, 1, 3));
          wasm_v128_store(dst + (unsigned long)(j + 2) * rows + i, wasm_i64x2_shuffle(t2, t3, 0, 2));
          wasm_v128_store(dst + (unsigned long)(j + 3) * rows + i, wasm_i64x2_shuffle(t2, t3, 1, 3));
        }
        for (; j < j1; j++) {
          for (u32 k = 0; k < 4; k++) dst[(unsigned long)j * rows + i + k] = src[(unsigned long)(i + k) * cols + j];
        }
      }
      for (; i < i1; i++) {
        for (u32 j = j0; j < j1; j++) dst[(unsigned long)j * rows + i] = src[(unsigned long)i * cols + j];
      }
    }
  }
}
