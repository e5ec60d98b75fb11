/*
 * Batch normalisation kernels (batchnorm.h). Memory-bound, so plain loops the compiler
 * vectorises.
 *
 * Numerics (issue 21). Every per-channel sum is taken in float over blocks of kBlockRows rows
 * (a few terms: the compiler's 4-lane float loops) and each block's sum is added into a
 * double accumulator, so a channel of any size (131,072 rows at batch 128 on 32x32) loses
 * nothing to the length of the sum. The variance is the corrected two-pass one (Chan, Golub &
 * LeVeque 1983) on each chunk of kSumChunkRows rows while it is in cache: the chunk's mean,
 * then sums of d = x - mean and d^2 (the first is ~0 and corrects the mean), then the
 * chunks are merged with their pairwise update in double: no E[x^2] - E[x]^2 cancellation,
 * however large the mean against the spread. The mean the kernels hand on is float32, so the
 * per-element passes subtract it in two parts, mean = hi + lo with hi the float32 output:
 * x - hi is exact for x near the mean (Sterbenz), and lo is folded into each channel's
 * constant term; the backward kernels recover lo exactly from sum(x - hi). Results do not
 * depend on the thread count: rows are cut into fixed chunks merged in chunk order.
 */
#include "batchnorm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "rows.h"

namespace {

/* Rows per float block: a sum of at most this many float terms before it goes into double. */
constexpr int kBlockRows = 64;

/* Chunked double sums: per chunk, K accumulators per channel, merged afterwards. */
struct ChunkedSums {
  int chunks, K, C;
  std::vector<double> partial;
  ChunkedSums(const RowsShape &s, int k)
      : chunks((s.rows + rows::kSumChunkRows - 1) / rows::kSumChunkRows), K(k), C(s.channels),
        partial((size_t)chunks * k * s.channels, 0.0) {}
  double *of(int chunk) { return &partial[(size_t)chunk * K * C]; }
  /* Plain sums over all chunks, in chunk order, into sums[k * C + c]. */
  void total(double *sums) const {
    std::fill(sums, sums + (size_t)K * C, 0.0);
    for (int chunk = 0; chunk < chunks; chunk++) {
      const double *p = &partial[(size_t)chunk * K * C];
      for (int i = 0; i < K * C; i++) sums[i] += p[i];
    }
  }
};

/*
 * K per-channel sums over rows [r0, r0 + count) into acc (double, K * C): terms(rowOffset,
 * rows, f) adds the terms of `rows` consecutive rows to the float block f[k * C + c]; each
 * block of kBlockRows rows is then added into acc.
 */
template <typename Terms>
void blockSums(int C, int K, int r0, int count, float *block, double *acc, Terms terms) {
  for (int b0 = 0; b0 < count; b0 += kBlockRows) {
    std::fill(block, block + (size_t)K * C, 0.f);
    terms((size_t)(r0 + b0) * C, std::min(kBlockRows, count - b0), block);
    for (int i = 0; i < K * C; i++) acc[i] += block[i];
  }
}

/* Runs fn(chunk, firstRow, rowCount, acc, blockScratch) once per chunk of kSumChunkRows rows. */
template <typename Fn>
void forSumChunks(const RowsShape &s, Pool &pool, ChunkedSums &sums, Fn fn) {
  pool.run(sums.chunks, [&](int chunk, Scratch &scratch) {
    const int r0 = chunk * rows::kSumChunkRows, r1 = std::min(s.rows, r0 + rows::kSumChunkRows);
    fn(chunk, r0, r1 - r0, sums.of(chunk), scratch.floats(0, (size_t)sums.K * sums.C));
  }, floatsNs((double)s.rows * sums.C * sums.K));
}

/*
 * The row loops below are functions with restrict parameters, out of line: GCC honours
 * restrict there (not on a lambda's locals, nor once inlined into one), so the channel loops
 * vectorise instead of giving up on alias checks. Each call takes a block of rows.
 */

/* Sums of x over `rows` rows (the chunk mean's first pass). */
__attribute__((noinline)) void addRows(int C, int rows, const float *__restrict x, float *__restrict s) {
  for (int r = 0; r < rows; r++, x += C)
    for (int c = 0; c < C; c++) s[c] += x[c];
}

/* Sums of d = x - m and d^2 (the second pass). */
__attribute__((noinline)) void addCentred(int C, int rows, const float *__restrict x, const float *__restrict m,
                                          float *__restrict s1, float *__restrict s2) {
  for (int r = 0; r < rows; r++, x += C)
    for (int c = 0; c < C; c++) {
      const float d = x[c] - m[c];
      s1[c] += d;
      s2[c] += d * d;
    }
}

}  // namespace

void batchNormForward(const BatchNormShape &s, const float *x, const float *gamma, const float *beta, float *y,
                      float *mean, float *variance, bool relu, Pool &pool) {
  const int C = s.channels;
  const RowsShape shape{s.rows, s.channels};
  /* Per chunk, while it is in cache: its mean m (one pass), then sums of x - m and (x - m)^2. */
  ChunkedSums sums(shape, 3);
  forSumChunks(shape, pool, sums, [&](int, int r0, int count, double *acc, float *block) {
    double *sx = acc, *s1 = acc + C, *s2 = acc + 2 * C;
    blockSums(C, 1, r0, count, block, sx, [&](size_t at, int n, float *f) { addRows(C, n, x + at, f); });
    std::vector<float> m(C);
    for (int c = 0; c < C; c++) m[c] = (float)(sx[c] / count);
    blockSums(C, 2, r0, count, block, s1, [&](size_t at, int n, float *f) { addCentred(C, n, x + at, m.data(), f, f + C); });
    /* acc becomes (m, sum d, sum d^2): sums of d are about the float m. */
    for (int c = 0; c < C; c++) sx[c] = m[c];
  });
  /* The chunks' means and centred sums of squares, merged by the pairwise update. */
  std::vector<double> m(C, 0.0), m2(C, 0.0);
  double n = 0;
  for (int chunk = 0; chunk < sums.chunks; chunk++) {
    const double nb = std::min(s.rows - chunk * rows::kSumChunkRows, rows::kSumChunkRows);
    const double *k = sums.of(chunk), *s1 = k + C, *s2 = k + 2 * C;
    const double total = n + nb;
    for (int c = 0; c < C; c++) {
      const double meanB = k[c] + s1[c] / nb;
      const double m2B = std::max(0.0, s2[c] - s1[c] * s1[c] / nb);
      const double delta = meanB - m[c];
      m[c] += delta * nb / total;
      m2[c] += m2B + delta * delta * n * nb / total;
    }
    n = total;
  }
  std::vector<float> scale(C), shift(C);
  for (int c = 0; c < C; c++) {
    const double v = n > 0 ? m2[c] / n : 0.0;
    mean[c] = (float)m[c];
    variance[c] = (float)v;
    const double sc = gamma[c] / std::sqrt(v + (double)s.epsilon);
    scale[c] = (float)sc;
    /* (x - hi) * scale + (beta - lo * scale), lo = mean - hi. */
    shift[c] = (float)((double)beta[c] - (m[c] - (double)mean[c]) * (double)scale[c]);
  }
  const float *__restrict sc = scale.data(), *__restrict mu = mean, *__restrict sh = shift.data();
  rows::forChunks(shape, pool, [&](size_t begin, size_t end) {
    for (size_t at = begin; at < end; at += C) {
      const float *__restrict in = x + at;
      float *__restrict out = y + at;
      if (relu)
        for (int c = 0; c < C; c++) out[c] = std::max((in[c] - mu[c]) * sc[c] + sh[c], 0.f);
      else
        for (int c = 0; c < C; c++) out[c] = (in[c] - mu[c]) * sc[c] + sh[c];
    }
  });
}

namespace {

/* The backward sums over `rows` rows: dy, dy * (x - hi), x - hi. */
__attribute__((noinline)) void backwardSums(int C, int rows, const float *__restrict g, const float *__restrict x,
                                            const float *__restrict hi, float *__restrict sg, float *__restrict sgx,
                                            float *__restrict sx) {
  for (int r = 0; r < rows; r++, g += C, x += C)
    for (int c = 0; c < C; c++) {
      const float d = x[c] - hi[c];
      sg[c] += g[c];
      sgx[c] += g[c] * d;
      sx[c] += d;
    }
}

}  // namespace

void batchNormBackward(const BatchNormShape &s, const float *dy, const float *x, const float *gamma,
                       const float *mean, const float *variance, float *dx, float *dgamma, float *dbeta, Pool &pool) {
  const int C = s.channels;
  const double n = s.rows;
  const RowsShape shape{s.rows, s.channels};
  ChunkedSums sums(shape, 3);
  forSumChunks(shape, pool, sums, [&](int, int r0, int count, double *acc, float *block) {
    blockSums(C, 3, r0, count, block, acc,
              [&](size_t at, int n, float *f) { backwardSums(C, n, dy + at, x + at, mean, f, f + C, f + 2 * C); });
  });
  std::vector<double> total((size_t)3 * C);
  sums.total(total.data());
  const double *sumDy = total.data(), *sumDyD = sumDy + C, *sumD = sumDy + 2 * C;
  /* dx = A*dy + B*(x - mean) + D per channel; with x - mean = (x - hi) - lo, D absorbs -B*lo. */
  std::vector<float> A(C), B(C), D(C);
  for (int c = 0; c < C; c++) {
    const double lo = n > 0 ? sumD[c] / n : 0.0;
    const double r = 1.0 / std::sqrt((double)variance[c] + (double)s.epsilon);
    const double sumDyXhat = (sumDyD[c] - lo * sumDy[c]) * r;
    dbeta[c] = (float)sumDy[c];
    dgamma[c] = (float)sumDyXhat;
    const double gr = gamma[c] * r;
    const double b = -gr * r * sumDyXhat / n;
    A[c] = (float)gr;
    B[c] = (float)b;
    D[c] = (float)(-gr * sumDy[c] / n - b * lo);
  }
  const float *__restrict a = A.data(), *__restrict b = B.data(), *__restrict d = D.data(), *__restrict mu = mean;
  rows::forChunks(shape, pool, [&](size_t begin, size_t end) {
    for (size_t at = begin; at < end; at += C) {
      const float *__restrict g = dy + at, *__restrict in = x + at;
      float *__restrict out = dx + at;
      for (int c = 0; c < C; c++) out[c] = a[c] * g[c] + b[c] * (in[c] - mu[c]) + d[c];
    }
  });
}

namespace {

/*
 * The double backward's sums over `rows` rows, with d = x - hi: g, g*d, a, a*d and a*g (then
 * d by addCentredSum: GCC 12 gives up on a loop with a sixth accumulator).
 */
__attribute__((noinline)) void doubleBackwardSums(int C, int rows, const float *__restrict g,
                                                  const float *__restrict a, const float *__restrict x,
                                                  const float *__restrict hi, float *__restrict acc) {
  float *__restrict t0 = acc, *__restrict t1 = acc + C, *__restrict t2 = acc + 2 * C, *__restrict t3 = acc + 3 * C,
                    *__restrict t4 = acc + 4 * C;
  for (int r = 0; r < rows; r++, g += C, a += C, x += C)
    for (int c = 0; c < C; c++) {
      const float d = x[c] - hi[c];
      t0[c] += g[c];
      t1[c] += g[c] * d;
      t2[c] += a[c];
      t3[c] += a[c] * d;
      t4[c] += a[c] * g[c];
    }
}

/* Sums of d = x - hi over `rows` rows. */
__attribute__((noinline)) void addCentredSum(int C, int rows, const float *__restrict x, const float *__restrict hi,
                                             float *__restrict s) {
  for (int r = 0; r < rows; r++, x += C)
    for (int c = 0; c < C; c++) s[c] += x[c] - hi[c];
}

/* k: the per-channel coefficients A1..A4, B1..B3 of x - hi (batchNormDoubleBackward). */
void doubleBackwardRow(int C, const float *__restrict g, const float *__restrict a, const float *__restrict x,
                       const float *__restrict hi, const float *const *k, float *__restrict dg, float *__restrict dx) {
  const float *__restrict a1 = k[0], *__restrict a2 = k[1], *__restrict a3 = k[2], *__restrict a4 = k[3];
  const float *__restrict b1 = k[4], *__restrict b2 = k[5], *__restrict b3 = k[6];
  for (int c = 0; c < C; c++) {
    const float d = x[c] - hi[c];
    dg[c] = b1[c] * a[c] + b2[c] * d + b3[c];
    dx[c] = a1[c] * g[c] + a2[c] * a[c] + a3[c] * d + a4[c];
  }
}

}  // namespace

void batchNormDoubleBackward(const BatchNormShape &s, const float *a, const float *p, const float *q, const float *g,
                             const float *x, const float *gamma, const float *mean, const float *variance, float *dg,
                             float *dxx, float *dgammaOut, Pool &pool) {
  const int C = s.channels;
  const double n = s.rows;
  const RowsShape shape{s.rows, s.channels};
  ChunkedSums sums(shape, 6);
  forSumChunks(shape, pool, sums, [&](int, int r0, int count, double *acc, float *block) {
    blockSums(C, 6, r0, count, block, acc,
              [&](size_t at, int n, float *f) {
                doubleBackwardSums(C, n, g + at, a + at, x + at, mean, f);
                addCentredSum(C, n, x + at, mean, f + 5 * C);
              });
  });
  std::vector<double> total((size_t)6 * C);
  sums.total(total.data());
  const double *sg = total.data(), *sgd = sg + C, *sa = sg + 2 * C, *sad = sg + 3 * C, *sag = sg + 4 * C,
               *sd = sg + 5 * C;
  /*
   * With xhat = (x - mean) r and mean = hi + lo: sums of g*xhat and a*xhat from those about hi.
   * dg = B1 a + B2 xhat + B3;  dx = A1 g + A2 a + A3 xhat + A4 (formulas in
   * gradients/BatchNormTrain_grad.ts), then rewritten in x - hi: xhat = r (x - hi) - r lo.
   */
  std::vector<float> A1(C), A2(C), A3(C), A4(C), B1(C), B2(C), B3(C);
  for (int c = 0; c < C; c++) {
    const double r = 1.0 / std::sqrt((double)variance[c] + (double)s.epsilon);
    const double lo = n > 0 ? sd[c] / n : 0.0;
    const double sgx = (sgd[c] - lo * sg[c]) * r, sax = (sad[c] - lo * sa[c]) * r;
    const double k = gamma[c] * r / n;
    const double dGamma = r / n * (n * sag[c] - sa[c] * sg[c] - sax * sgx);
    const double pk = p[c] - k * sax;
    const double sv = pk * sg[c] - k * sgx * sa[c];
    const double svx = pk * sgx - k * sgx * sax;
    const double a3 = -(r / n * svx + k * dGamma);
    const double a4 = -r / n * sv;
    dgammaOut[c] = (float)dGamma;
    B1[c] = (float)(k * n);
    B2[c] = (float)(pk * r);
    B3[c] = (float)(q[c] - k * sa[c] - pk * r * lo);
    A1[c] = (float)(r * pk);
    A2[c] = (float)(-r * k * sgx);
    A3[c] = (float)(a3 * r);
    A4[c] = (float)(a4 - a3 * r * lo);
  }
  const float *coefficients[7] = {A1.data(), A2.data(), A3.data(), A4.data(), B1.data(), B2.data(), B3.data()};
  rows::forChunks(shape, pool, [&](size_t begin, size_t end) {
    for (size_t at = begin; at < end; at += C)
      doubleBackwardRow(C, g + at, a + at, x + at, mean, coefficients, dg + at, dxx + at);
  });
}
