/* Batch normalisation kernels (batchnorm.h). Memory-bound, so plain loops the compiler vectorises. */
#include "batchnorm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "rows.h"

void batchNormForward(const BatchNormShape &s, const float *x, const float *gamma, const float *beta, float *y,
                      float *mean, float *variance, Pool &pool) {
  const int C = s.channels;
  const double n = s.rows;
  /* Sums of (x - k) and (x - k)^2 with k = the first row: shifting by a sample keeps the
     one-pass variance accurate when |mean| is large against the spread. */
  std::vector<float> shift(x, x + C);
  std::vector<double> sum(C), sumSq(C);
  const float *k = shift.data();
  const RowsShape shape{s.rows, s.channels};
  rows::channelSums<2>(shape, pool, {sum.data(), sumSq.data()}, [&](size_t at, float *acc) {
    float *__restrict a = acc, *__restrict b = acc + C;
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
  rows::forChunks(shape, pool, [&](size_t begin, size_t end) {
    for (size_t at = begin; at < end; at += C) {
      const float *__restrict in = x + at;
      float *__restrict out = y + at;
      for (int c = 0; c < C; c++) out[c] = (in[c] - mu[c]) * sc[c] + be[c];
    }
  });
}

void batchNormBackward(const BatchNormShape &s, const float *dy, const float *x, const float *gamma,
                       const float *mean, const float *variance, float *dx, float *dgamma, float *dbeta, Pool &pool) {
  const int C = s.channels;
  const double n = s.rows;
  std::vector<double> sumDy(C), sumDyXc(C);
  const RowsShape shape{s.rows, s.channels};
  rows::channelSums<2>(shape, pool, {sumDy.data(), sumDyXc.data()}, [&](size_t at, float *acc) {
    float *__restrict a = acc, *__restrict b = acc + C;
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
  rows::forChunks(shape, pool, [&](size_t begin, size_t end) {
    for (size_t at = begin; at < end; at += C) {
      const float *__restrict g = dy + at, *__restrict in = x + at;
      float *__restrict out = dx + at;
      for (int c = 0; c < C; c++) out[c] = a[c] * g[c] + b[c] * (in[c] - mu[c]) + d[c];
    }
  });
}
