/* Per-channel affine kernels (affine.h). Memory-bound loops the compiler vectorises. */
#include "affine.h"

#include <algorithm>

namespace {

/* About 128 KB of each array per task: enough work to amortise a hand-out, many tasks to balance. */
constexpr long kChunkFloats = 32768;

template <typename Fn>
void forRowChunks(const RowsShape &s, Pool &pool, Fn fn) {
  const int rowsPerChunk = (int)std::max(1L, kChunkFloats / s.channels);
  const int chunks = (s.rows + rowsPerChunk - 1) / rowsPerChunk;
  pool.run(chunks, [&](int chunk, Scratch &) {
    const int r0 = chunk * rowsPerChunk;
    fn((size_t)r0 * s.channels, (size_t)std::min(s.rows, r0 + rowsPerChunk) * s.channels);
  });
}

}  // namespace

void channelAffine(const RowsShape &s, const float *x, const float *scale, const float *shift, bool relu, float *y,
                   Pool &pool) {
  const int C = s.channels;
  forRowChunks(s, pool, [&](size_t begin, size_t end) {
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

void maskedScale(const RowsShape &s, const float *dy, const float *mask, const float *scale, float *dx, Pool &pool) {
  const int C = s.channels;
  forRowChunks(s, pool, [&](size_t begin, size_t end) {
    const float *__restrict g = dy;
    const float *__restrict m = mask;
    const float *__restrict sc = scale;
    float *__restrict out = dx;
    if (scale && mask) {
      for (size_t at = begin; at < end; at += C)
        for (int c = 0; c < C; c++) out[at + c] = m[at + c] > 0.f ? g[at + c] * sc[c] : 0.f;
    } else if (scale) {
      for (size_t at = begin; at < end; at += C)
        for (int c = 0; c < C; c++) out[at + c] = g[at + c] * sc[c];
    } else if (mask) {
      for (size_t i = begin; i < end; i++) out[i] = m[i] > 0.f ? g[i] : 0.f;
    } else {
      std::copy(g + begin, g + end, out + begin);
    }
  });
}
