/* Element-wise kernels (elementwise.h): loops the compiler vectorises. */
#include "elementwise.h"

#include <vector>

void channelSum(const RowsShape &s, const float *x, float *out, Pool &pool) {
  const int C = s.channels;
  std::vector<double> sum(C);
  rows::channelSums<1>(s, pool, {sum.data()}, [&](size_t at, float *__restrict acc) {
    const float *__restrict row = x + at;
    for (int c = 0; c < C; c++) acc[c] += row[c];
  });
  for (int c = 0; c < C; c++) out[c] = (float)sum[c];
}

template <typename F>
static void apply(const float *a, const float *b, float *out, size_t n, Pool &pool, F f) {
  /* Flat arrays cut as rows of 1024 floats; a ragged tail is its own short chunk. */
  const size_t width = 1024, full = n / width;
  if (full > 0)
    rows::forChunks(RowsShape{(int)full, (int)width}, pool, [&](size_t begin, size_t end) {
    const float *__restrict x = a, *__restrict y = b;
    float *__restrict o = out;
    for (size_t i = begin; i < end; i++) o[i] = f(x[i], y[i]);
  });
  for (size_t i = full * width; i < n; i++) out[i] = f(a[i], b[i]);
}

void binaryOp(BinaryOp op, const float *a, const float *b, float *out, size_t n, Pool &pool) {
  switch (op) {
    case BinaryOp::Add: apply(a, b, out, n, pool, [](float x, float y) { return x + y; }); break;
    case BinaryOp::Sub: apply(a, b, out, n, pool, [](float x, float y) { return x - y; }); break;
    case BinaryOp::Mul: apply(a, b, out, n, pool, [](float x, float y) { return x * y; }); break;
    case BinaryOp::Div: apply(a, b, out, n, pool, [](float x, float y) { return x / y; }); break;
    /* NaN in either operand gives NaN, as Math.max and Math.min do in the stock kernels. */
    case BinaryOp::Max: apply(a, b, out, n, pool, [](float x, float y) { return x != x || y != y ? x + y : (x > y ? x : y); }); break;
    case BinaryOp::Min: apply(a, b, out, n, pool, [](float x, float y) { return x != x || y != y ? x + y : (x < y ? x : y); }); break;
  }
}
