/*
 * Plain element-wise kernels for the cpu backend, whose stock ones are JavaScript loops
 * (a bias gradient's Sum took 18 ms there for 1.6M floats): per-channel sums, and
 * add / subtract / multiply / divide / maximum / minimum of equal-shape arrays, on the kernels' pool.
 */
#pragma once
#include "rows.h"

/* out[c] = sum over rows of x[row][c] (accumulated in double, independent of the thread count). */
void channelSum(const RowsShape &, const float *x, float *out, Pool &);

enum class BinaryOp { Add = 0, Sub = 1, Mul = 2, Div = 3, Max = 4, Min = 5 };

/* out = a op b, element by element, over n floats. */
void binaryOp(BinaryOp op, const float *a, const float *b, float *out, size_t n, Pool &);
