/* Per-channel affine kernels (affine.h). Memory-bound loops the compiler vectorises. */
#include "affine.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

void channelAffine(const RowsShape &s, const float *x, const float *scale, const float *shift, bool relu, float *y,
                   Pool &pool) {
  const int C = s.channels;
  rows::forChunks(s, pool, [&](size_t begin, size_t end) {
    for (size_t at = begin; at < end; at += C) {
      const float *__restrict in = x + at;
      float *__restrict out = y + at;
      const float *__restrict sc = scale, *__restrict sh = shift;
      if (relu)
        for (int c = 0; c < C; c++) out[c] = std::max(in[c] * sc[c] + sh[c], 0.f);
      else
        for (int c = 0; c < C; c++) out[c] = in[c] * sc[c] + sh[c];
    }
  });
}

/* Four floats (SSE2, NEON): the mask is applied as bits, since GCC turns a scalar select or
   a multiply by (m > 0) into a branch, and a mask that flips at random mispredicts half the time. */
typedef float F4 __attribute__((vector_size(16)));
typedef int32_t I4 __attribute__((vector_size(16)));

static inline F4 load4(const float *p) {
  F4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

static inline void store4(float *p, F4 v) { std::memcpy(p, &v, sizeof v); }

/* g where m > 0, else 0: tfjs's dy * step(x), except that there a NaN or infinite dy gives NaN. */
static inline F4 maskPositive(F4 g, F4 m) {
  const F4 zero = {0, 0, 0, 0};
  return (F4)((I4)g & (I4)(m > zero));
}

static inline float maskPositive1(float g, float m) { return m > 0.f ? g : 0.f; }

void maskedScale(const RowsShape &s, const float *dy, const float *mask, const float *scale, float *dx, Pool &pool) {
  const int C = s.channels;
  rows::forChunks(s, pool, [&](size_t begin, size_t end) {
    const float *__restrict g = dy, *__restrict m = mask, *__restrict sc = scale;
    float *__restrict out = dx;
    if (scale && mask) {
      for (size_t at = begin; at < end; at += C) {
        int c = 0;
        for (; c + 4 <= C; c += 4) store4(out + at + c, maskPositive(load4(g + at + c) * load4(sc + c), load4(m + at + c)));
        for (; c < C; c++) out[at + c] = maskPositive1(g[at + c] * sc[c], m[at + c]);
      }
    } else if (scale) {
      for (size_t at = begin; at < end; at += C)
        for (int c = 0; c < C; c++) out[at + c] = g[at + c] * sc[c];
    } else if (mask) {
      size_t i = begin;
      for (; i + 4 <= end; i += 4) store4(out + i, maskPositive(load4(g + i), load4(m + i)));
      for (; i < end; i++) out[i] = maskPositive1(g[i], m[i]);
    } else {
      std::copy(dy + begin, dy + end, dx + begin);
    }
  });
}
