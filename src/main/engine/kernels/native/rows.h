/*
 * What the memory-bound kernels share: a [rows, channels] view of a channels-last tensor,
 * and two ways of cutting its rows into tasks for the pool. Chunks are fixed by the shape,
 * never by the thread count, so results do not depend on the number of threads.
 */
#pragma once
#include <algorithm>
#include <vector>

#include "conv_shape.h"

struct RowsShape {
  int rows, channels;
};

namespace rows {

/* About 128 KB of each array per task: enough work to amortise a hand-out, many tasks to balance. */
constexpr long kChunkFloats = 32768;
/* Rows per partial sum: each chunk adds at most this many terms in float. */
constexpr int kSumChunkRows = 512;

/* Runs fn(firstFloat, endFloat) over whole rows in chunks on the pool. */
template <typename Fn>
void forChunks(const RowsShape &s, Pool &pool, Fn fn) {
  const int rowsPerChunk = (int)std::max(1L, kChunkFloats / s.channels);
  const int chunks = (s.rows + rowsPerChunk - 1) / rowsPerChunk;
  pool.run(chunks, [&](int chunk, Scratch &) {
    const int r0 = chunk * rowsPerChunk;
    fn((size_t)r0 * s.channels, (size_t)std::min(s.rows, r0 + rowsPerChunk) * s.channels);
  }, floatsNs((double)s.rows * s.channels));
}

/*
 * K per-channel sums over all rows, in double: terms(rowOffset, acc) adds one row's terms to
 * acc[k * channels + c] (float, at most kSumChunkRows terms per chunk); the chunks' partial
 * sums are then added in order into sums[k][c].
 */
template <int K, typename Terms>
void channelSums(const RowsShape &s, Pool &pool, double *const (&sums)[K], Terms terms) {
  const int C = s.channels, chunks = (s.rows + kSumChunkRows - 1) / kSumChunkRows;
  std::vector<double> partial((size_t)chunks * K * C);
  pool.run(chunks, [&](int chunk, Scratch &scratch) {
    float *acc = scratch.floats(0, (size_t)K * C);
    std::fill(acc, acc + K * C, 0.f);
    const int r0 = chunk * kSumChunkRows, r1 = std::min(s.rows, r0 + kSumChunkRows);
    for (int r = r0; r < r1; r++) terms((size_t)r * C, acc);
    std::copy(acc, acc + K * C, &partial[(size_t)chunk * K * C]);
  }, floatsNs((double)s.rows * C * K));
  for (int k = 0; k < K; k++) std::fill(sums[k], sums[k] + C, 0.0);
  for (int chunk = 0; chunk < chunks; chunk++)
    for (int k = 0; k < K; k++) {
      const double *p = &partial[((size_t)chunk * K + k) * C];
      for (int c = 0; c < C; c++) sums[k][c] += p[c];
    }
}

}  // namespace rows
