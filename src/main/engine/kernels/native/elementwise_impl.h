/*
 * Element-wise binary ops for one instruction set (included by the isa_*.cc files after
 * conv_impl.h, same namespace and vector type). WebAssembly runs these on one thread at
 * 128 bits; batch norm and ReLU gradients make them a quarter of a ResNet step.
 *
 * out[i] = a[i mod na] op b[i mod nb]: either operand may repeat along the leading axes
 * (na or nb divides n), as a per-channel scale or bias does.
 */
namespace ISA_NS {

template <int OP>
static inline vf apply(vf x, vf y) {
  if constexpr (OP == 0) return x + y;
  else if constexpr (OP == 1) return x - y;
  else if constexpr (OP == 2) return x * y;
  else return x / y;
}
template <int OP>
static inline float apply1(float x, float y) {
  if constexpr (OP == 0) return x + y;
  else if constexpr (OP == 1) return x - y;
  else if constexpr (OP == 2) return x * y;
  else return x / y;
}

/* out[0..len) = a[0..len) op b[0..len) */
template <int OP>
static void run(const float *a, const float *b, float *out, size_t len) {
  size_t i = 0;
  for (; i + 4 * VW <= len; i += 4 * VW) {
    UNROLL for (int u = 0; u < 4; u++) store(out + i + u * VW, apply<OP>(load(a + i + u * VW), load(b + i + u * VW)));
  }
  for (; i + VW <= len; i += VW) store(out + i, apply<OP>(load(a + i), load(b + i)));
  for (; i < len; i++) out[i] = apply1<OP>(a[i], b[i]);
}

template <int OP>
static void binaryOp(const float *a, size_t na, const float *b, size_t nb, float *out, size_t n, Pool &pool) {
  constexpr size_t CHUNK = 1 << 15; /* floats per task: 128 KB, enough to amortise a hand-off */
  if (na == nb) {
    pool.run((int)((n + CHUNK - 1) / CHUNK), [&](int c, Scratch &) {
      size_t lo = (size_t)c * CHUNK, hi = std::min(n, lo + CHUNK);
      run<OP>(a + lo, b + lo, out + lo, hi - lo);
    });
    return;
  }
  /* The repeating operand is walked period by period; each task takes whole periods. */
  const size_t period = std::min(na, nb);
  const size_t perChunk = std::max<size_t>(1, CHUNK / period);
  const size_t periods = n / period, chunks = (periods + perChunk - 1) / perChunk;
  pool.run((int)chunks, [&](int c, Scratch &) {
    size_t p0 = (size_t)c * perChunk, p1 = std::min(periods, p0 + perChunk);
    for (size_t p = p0; p < p1; p++) {
      const size_t at = p * period;
      run<OP>(na == n ? a + at : a, nb == n ? b + at : b, out + at, period);
    }
  });
}

void binary(int op, const float *a, size_t na, const float *b, size_t nb, float *out, size_t n, Pool &pool) {
  switch (op) {
    case 0: binaryOp<0>(a, na, b, nb, out, n, pool); break;
    case 1: binaryOp<1>(a, na, b, nb, out, n, pool); break;
    case 2: binaryOp<2>(a, na, b, nb, out, n, pool); break;
    default: binaryOp<3>(a, na, b, nb, out, n, pool); break;
  }
}

}  // namespace ISA_NS
