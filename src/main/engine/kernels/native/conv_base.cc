/* The convolution kernels for any CPU (4-float vectors: SSE2 on x86-64, NEON on arm64). */
#include "conv_shape.h"
#define VW 4
#define ISA_NS isa_base
#include "conv_impl.h"
