/* The convolution kernels for AVX2 + FMA (8 floats per vector, 16 registers). */
#include "conv_shape.h"
#define VW 8
#define ISA_NS isa_avx2
#include "conv_impl.h"
