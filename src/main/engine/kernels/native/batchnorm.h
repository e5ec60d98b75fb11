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

/* y = gamma * (x - mean) / sqrt(variance + epsilon) + beta, then max(y, 0) with relu (the ReLU
   after a ResNet's batch norm, in the same pass); mean and (biased) variance per channel. */
void batchNormForward(const BatchNormShape &, const float *x, const float *gamma, const float *beta, float *y,
                      float *mean, float *variance, bool relu, Pool &);

/*
 * The gradient of that forward pass for an upstream dy (mean and variance being functions of x):
 *   dbeta = sum dy,  dgamma = sum dy * xhat,
 *   dx = gamma * r * (dy - dbeta / rows - xhat * dgamma / rows),  r = 1 / sqrt(variance + epsilon).
 */
void batchNormBackward(const BatchNormShape &, const float *dy, const float *x, const float *gamma,
                       const float *mean, const float *variance, float *dx, float *dgamma, float *dbeta, Pool &);

/*
 * The gradient of batchNormBackward itself (orthogonal training differentiates the input
 * gradient): for upstream gradients a (of dx), p and q (of dgamma and dbeta, per channel) it
 * writes dg (of dy), dxx (of x, through xhat, the mean and the variance) and dgammaOut (of
 * gamma). The formulas are in gradients/BatchNormTrain_grad.ts; here they are folded into
 * per-channel coefficients after one pass of sums, so it is two passes in all.
 */
void batchNormDoubleBackward(const BatchNormShape &, const float *a, const float *p, const float *q, const float *g,
                             const float *x, const float *gamma, const float *mean, const float *variance, float *dg,
                             float *dxx, float *dgammaOut, Pool &);
