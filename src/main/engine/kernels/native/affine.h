/*
 * Per-channel affine maps over the rows of a [rows, channels] array, with an optional ReLU,
 * and their input gradient. Inference-mode batch norm folds to y = max(x * scale + shift, 0),
 * and a ReLU's gradient is dy * [x > 0]: written as tfjs ops they are three passes each way
 * on one thread (mul, add, relu; step, mul, mul), here one pass on the kernels' pool.
 */
#pragma once
#include "rows.h"

/* y = x * scale + shift per channel, then max(., 0) when relu. */
void channelAffine(const RowsShape &, const float *x, const float *scale, const float *shift, bool relu, float *y,
                   Pool &);

/* dx = dy * (scale per channel, when given) * [mask > 0] (when a mask is given). */
void maskedScale(const RowsShape &, const float *dy, const float *mask, const float *scale, float *dx, Pool &);
