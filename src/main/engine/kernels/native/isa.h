/* The per-ISA entry points (conv_impl.h compiled three times). */
#pragma once
#include "conv_shape.h"
#define ORTHOLENS_DECLARE_ISA(ns)                                                              \
  namespace ns {                                                                               \
  void conv2d(const ConvShape &, const float *x, const float *w, float *y, Pool &, const Epilogue *); \
  void conv2dFilterGrad(const ConvShape &, const float *x, const float *dy, float *dw, Pool &); \
  void conv2dInputGrad(const ConvShape &, const float *dy, const float *w, float *dx, Pool &);   \
  }
ORTHOLENS_DECLARE_ISA(isa_avx512)
ORTHOLENS_DECLARE_ISA(isa_avx2)
ORTHOLENS_DECLARE_ISA(isa_base)
