/* The convolution kernels for AVX-512 (16 floats per vector, 32 registers). */
#include "conv_shape.h"
#define VW 16
#define ISA_NS isa_avx512
#include "conv_impl.h"
