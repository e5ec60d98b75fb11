/*
 * Training-mode batch normalisation over the rows of a [rows, channels] array (an NHWC
 * tensor with rows = n*h*w), forward and backward, on the kernels' thread pool.
 *
 * Why native: written as tfjs ops, one batch norm is ~6 full-size passes forward and ~12
 * backward, each allocating a tensor in the wasm heap and running on one thread; here it is
 * 2 passes each way. The results do not depend on the thread count: rows are cut into
 * fixed chunks whose per-channel partial sums (in double) are added in chunk order.
 */
#pragma once
#include "conv_shape.h"

struct BatchNormShape {
  int rows, channels;
  float epsilon;
};

/* y = gamma * (x - mean) / sqrt(variance + epsilon) + beta; mean and (biased) variance per channel. */
void batchNormForward(const BatchNormShape &, const float *x, const float *gamma, const float *beta, float *y,
                      float *mean, float *variance, Pool &);

/*
 * The gradient of that forward pass for an upstream dy (mean and variance being functions of x):
 *   dbeta = sum dy,  dgamma = sum dy * xhat,
 *   dx = gamma * r * (dy - dbeta / rows - xhat * dgamma / rows),  r = 1 / sqrt(variance + epsilon).
 */
void batchNormBackward(const BatchNormShape &, const float *dy, const float *x, const float *gamma,
                       const float *mean, const float *variance, float *dx, float *dgamma, float *dbeta, Pool &);
