/* The per-ISA entry points (conv_impl.h and elementwise_impl.h, compiled three times). */
#pragma once
#include "conv_shape.h"
#define ORTHOLENS_DECLARE_ISA(ns)                                                              \
  namespace ns {                                                                               \
  void conv2d(const ConvShape &, const float *x, const float *w, float *y, Pool &);           \
  void conv2dFilterGrad(const ConvShape &, const float *x, const float *dy, float *dw, Pool &); \
  void binary(int op, const float *a, size_t na, const float *b, size_t nb, float *out, size_t n, Pool &); \
  }
ORTHOLENS_DECLARE_ISA(isa_avx512)
ORTHOLENS_DECLARE_ISA(isa_avx2)
ORTHOLENS_DECLARE_ISA(isa_base)
