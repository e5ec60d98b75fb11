/* Batch normalisation kernels (batchnorm.h). Memory-bound, so plain loops the compiler vectorises. */
#include "batchnorm.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace {

constexpr int kChunkRows = 512;

int chunkCount(int rows) { return (rows + kChunkRows - 1) / kChunkRows; }

/*
 * Per-channel sums of a(row, c) and b(row, c) over all rows, in double: each chunk adds its
 * rows in float (512 terms at most), then the chunks are added in order.
 */
template <typename Terms>
void channelSums(const BatchNormShape &s, Pool &pool, double *sumA, double *sumB, Terms terms) {
  const int C = s.channels, chunks = chunkCount(s.rows);
  std::vector<double> partial((size_t)chunks * 2 * C);
  pool.run(chunks, [&](int chunk, Scratch &scratch) {
    float *acc = scratch.floats(0, 2 * (size_t)C);
    std::fill(acc, acc + 2 * C, 0.f);
    const int r0 = chunk * kChunkRows, r1 = std::min(s.rows, r0 + kChunkRows);
    for (int r = r0; r < r1; r++) terms((size_t)r * C, acc, acc + C);
    double *out = &partial[(size_t)chunk * 2 * C];
    for (int c = 0; c < 2 * C; c++) out[c] = acc[c];
  });
  std::fill(sumA, sumA + C, 0.0);
  std::fill(sumB, sumB + C, 0.0);
  for (int chunk = 0; chunk < chunks; chunk++) {
    const double *p = &partial[(size_t)chunk * 2 * C];
    for (int c = 0; c < C; c++) {
      sumA[c] += p[c];
      sumB[c] += p[C + c];
    }
  }
}

/* Runs fn(rowBegin, rowEnd) over the rows in chunks on the pool. */
template <typename Fn>
void forRows(const BatchNormShape &s, Pool &pool, Fn fn) {
  pool.run(chunkCount(s.rows), [&](int chunk, Scratch &) {
    const int r0 = chunk * kChunkRows;
    fn(r0, std::min(s.rows, r0 + kChunkRows));
  });
}

}  // namespace

void batchNormForward(const BatchNormShape &s, const float *x, const float *gamma, const float *beta, float *y,
                      float *mean, float *variance, Pool &pool) {
  const int C = s.channels;
  const double n = s.rows;
  /* Sums of (x - k) and (x - k)^2 with k = the first row: shifting by a sample keeps the
     one-pass variance accurate when |mean| is large against the spread. */
  std::vector<float> shift(x, x + C);
  std::vector<double> sum(C), sumSq(C);
  const float *k = shift.data();
  channelSums(s, pool, sum.data(), sumSq.data(), [&](size_t at, float *__restrict a, float *__restrict b) {
    const float *__restrict row = x + at;
    for (int c = 0; c < C; c++) {
      const float d = row[c] - k[c];
      a[c] += d;
      b[c] += d * d;
    }
  });
  std::vector<float> scale(C);
  for (int c = 0; c < C; c++) {
    const double m = sum[c] / n;
    const double v = std::max(0.0, sumSq[c] / n - m * m);
    mean[c] = (float)(k[c] + m);
    variance[c] = (float)v;
    scale[c] = (float)(gamma[c] / std::sqrt(v + (double)s.epsilon));
  }
  /* (x - mean) * scale rather than x * scale + folded shift: no cancellation when |mean| is large. */
  const float *__restrict sc = scale.data(), *__restrict mu = mean, *__restrict be = beta;
  forRows(s, pool, [&](int r0, int r1) {
    for (int r = r0; r < r1; r++) {
      const float *__restrict in = x + (size_t)r * C;
      float *__restrict out = y + (size_t)r * C;
      for (int c = 0; c < C; c++) out[c] = (in[c] - mu[c]) * sc[c] + be[c];
    }
  });
}

void batchNormBackward(const BatchNormShape &s, const float *dy, const float *x, const float *gamma,
                       const float *mean, const float *variance, float *dx, float *dgamma, float *dbeta, Pool &pool) {
  const int C = s.channels;
  const double n = s.rows;
  std::vector<double> sumDy(C), sumDyXc(C);
  channelSums(s, pool, sumDy.data(), sumDyXc.data(), [&](size_t at, float *__restrict a, float *__restrict b) {
    const float *__restrict g = dy + at, *__restrict in = x + at;
    for (int c = 0; c < C; c++) {
      a[c] += g[c];
      b[c] += g[c] * (in[c] - mean[c]);
    }
  });
  /* dx = A*dy + B*(x - mean) + D per channel. */
  std::vector<float> A(C), B(C), D(C);
  for (int c = 0; c < C; c++) {
    const double r = 1.0 / std::sqrt((double)variance[c] + (double)s.epsilon);
    const double sumDyXhat = sumDyXc[c] * r;
    dbeta[c] = (float)sumDy[c];
    dgamma[c] = (float)sumDyXhat;
    const double gr = gamma[c] * r;
    A[c] = (float)gr;
    B[c] = (float)(-gr * r * sumDyXhat / n);
    D[c] = (float)(-gr * sumDy[c] / n);
  }
  const float *__restrict a = A.data(), *__restrict b = B.data(), *__restrict d = D.data(), *__restrict mu = mean;
  forRows(s, pool, [&](int r0, int r1) {
    for (int r = r0; r < r1; r++) {
      const size_t at = (size_t)r * C;
      const float *__restrict g = dy + at, *__restrict in = x + at;
      float *__restrict out = dx + at;
      for (int c = 0; c < C; c++) out[c] = a[c] * g[c] + b[c] * (in[c] - mu[c]) + d[c];
    }
  });
}
