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

/*
 * One row of the double backward's sums and outputs, as functions with restrict parameters:
 * GCC honours restrict there (not on a lambda's locals), so these loops vectorise instead of
 * giving up on the alias checks between five streams.
 */
static void doubleBackwardSums(int C, const float *__restrict g, const float *__restrict a, const float *__restrict x,
                               const float *__restrict mu, const float *__restrict r, float *__restrict acc) {
  float *__restrict t0 = acc, *__restrict t1 = acc + C, *__restrict t2 = acc + 2 * C, *__restrict t3 = acc + 3 * C,
                    *__restrict t4 = acc + 4 * C;
  for (int c = 0; c < C; c++) {
    const float xh = (x[c] - mu[c]) * r[c];
    t0[c] += g[c];
    t1[c] += g[c] * xh;
    t2[c] += a[c];
    t3[c] += a[c] * xh;
    t4[c] += a[c] * g[c];
  }
}

/* k: the per-channel coefficients A1..A4, B1..B3 (batchNormDoubleBackward). */
static void doubleBackwardRow(int C, const float *__restrict g, const float *__restrict a, const float *__restrict x,
                              const float *__restrict mu, const float *__restrict r, const float *const *k,
                              float *__restrict dg, float *__restrict dx) {
  const float *__restrict a1 = k[0], *__restrict a2 = k[1], *__restrict a3 = k[2], *__restrict a4 = k[3];
  const float *__restrict b1 = k[4], *__restrict b2 = k[5], *__restrict b3 = k[6];
  for (int c = 0; c < C; c++) {
    const float xh = (x[c] - mu[c]) * r[c];
    dg[c] = b1[c] * a[c] + b2[c] * xh + b3[c];
    dx[c] = a1[c] * g[c] + a2[c] * a[c] + a3[c] * xh + a4[c];
  }
}

void batchNormDoubleBackward(const BatchNormShape &s, const float *a, const float *p, const float *q, const float *g,
                             const float *x, const float *gamma, const float *mean, const float *variance, float *dg,
                             float *dxx, float *dgammaOut, Pool &pool) {
  const int C = s.channels;
  const double n = s.rows;
  std::vector<double> r(C);
  for (int c = 0; c < C; c++) r[c] = 1.0 / std::sqrt((double)variance[c] + (double)s.epsilon);
  std::vector<float> rf(r.begin(), r.end());
  /* Sums of g, g*xhat, a, a*xhat and a*g per channel. */
  std::vector<double> sg(C), sgx(C), sa(C), sax(C), sag(C);
  const RowsShape shape{s.rows, s.channels};
  const float *rScale = rf.data();
  rows::channelSums<5>(shape, pool, {sg.data(), sgx.data(), sa.data(), sax.data(), sag.data()},
                       [&](size_t at, float *acc) { doubleBackwardSums(C, g + at, a + at, x + at, mean, rScale, acc); });
  /* dg = B1 a + B2 xhat + B3;  dx = A1 g + A2 a + A3 xhat + A4. */
  std::vector<float> A1(C), A2(C), A3(C), A4(C), B1(C), B2(C), B3(C);
  for (int c = 0; c < C; c++) {
    const double k = gamma[c] * r[c] / n;
    const double dGamma = r[c] / n * (n * sag[c] - sa[c] * sg[c] - sax[c] * sgx[c]);
    const double pk = p[c] - k * sax[c];
    const double sv = pk * sg[c] - k * sgx[c] * sa[c];
    const double svx = pk * sgx[c] - k * sgx[c] * sax[c];
    dgammaOut[c] = (float)dGamma;
    B1[c] = (float)(k * n);
    B2[c] = (float)pk;
    B3[c] = (float)(q[c] - k * sa[c]);
    A1[c] = (float)(r[c] * pk);
    A2[c] = (float)(-r[c] * k * sgx[c]);
    A3[c] = (float)(-(r[c] / n * svx + k * dGamma));
    A4[c] = (float)(-r[c] / n * sv);
  }
  const float *coefficients[7] = {A1.data(), A2.data(), A3.data(), A4.data(), B1.data(), B2.data(), B3.data()};
  rows::forChunks(shape, pool, [&](size_t begin, size_t end) {
    for (size_t at = begin; at < end; at += C)
      doubleBackwardRow(C, g + at, a + at, x + at, mean, rScale, coefficients, dg + at, dxx + at);
  });
}
