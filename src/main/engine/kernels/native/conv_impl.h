/*
 * Convolution kernels (NHWC, float32) for one instruction set. Included by conv_avx512.cc,
 * conv_avx2.cc and conv_base.cc, each compiled with its own -m flags and ISA_NS namespace,
 * so one binary carries all three and picks one at load time (ortholens_native.cc).
 *
 * Both kernels work image by image on a "phase-split" copy of the zero-padded input:
 * with stride s, padded pixel (Y, X) goes to plane (Y mod sh, X mod sw) at (Y/sh, X/sw).
 * Tap (a, b) of output (oy, ox) then reads plane (a*dh mod sh, b*dw mod sw) at
 * (oy + a*dh/sh, ox + b*dw/sw): unit stride in ox. Numbering outputs on the plane's grid,
 * q = oy*Wq + ox, makes every tap's input a fixed offset from q, so a block of R
 * consecutive q is one register tile whatever the row boundaries; the few q with ox >= Wo
 * are computed and dropped (forward) or meet zeros in dy (filter gradient).
 *
 * Register tiles: R output pixels x CB vectors of output channels (forward), R input
 * channels x CB vectors of output channels (filter gradient); the accumulators stay in
 * registers for a whole tap loop (forward) or a whole image (filter gradient).
 */
#include <algorithm>
#include <cstring>
#include <vector>

#include "conv_shape.h"

namespace ISA_NS {

typedef float vf __attribute__((vector_size(VW * 4), aligned(4)));

/* The register tiles only stay in registers when their loops are unrolled completely. */
#define UNROLL _Pragma("GCC unroll 32")

/* Unaligned whole-vector access. (A memcpy into a vf was lowered to 16-byte pieces through
   the stack with AVX2, which made that build 10x slower than AVX-512.) */
typedef float vfu __attribute__((vector_size(VW * 4), aligned(4), may_alias));
static inline vf load(const float *p) { return *reinterpret_cast<const vfu *>(p); }
static inline void store(float *p, vf v) { *reinterpret_cast<vfu *>(p) = v; }
/* s in every lane. Written so that it compiles to a scalar add and a register broadcast: the
   `s - vf{}` form folds into multiply-adds with an embedded memory broadcast, which ran these
   kernels 10-20 % slower on the AMD EPYC (AVX-512) they were measured on. */
static inline vf splat(float s) { return vf{} + s; }

/* Accumulator tiles that fit the register file with room for the weights. */
#if VW == 16
static constexpr int ACC_REGS = 24;
#else
static constexpr int ACC_REGS = 12;
#endif
static constexpr int MAX_CB = 4;
static constexpr int rowsFor(int cb) { return ACC_REGS / cb; }

struct Layout {
  int hq, wq, planes, ci; /* phase planes of hq x wq pixels, ci floats per pixel (>= s.ci) */
  int ho, wo;
  size_t planeFloats() const { return (size_t)hq * wq * ci; }
  size_t floats() const { return planeFloats() * planes; }
};

static Layout layoutFor(const ConvShape &s, int slackPixels, int channelStride) {
  Layout l;
  int maxUa = ((s.kh - 1) * s.dh) / s.sh, maxUb = ((s.kw - 1) * s.dw) / s.sw;
  l.wq = std::max(s.wo + maxUb, (s.padLeft + s.w + s.sw - 1) / s.sw);
  int hq = std::max(s.ho + maxUa, (s.padTop + s.h + s.sh - 1) / s.sh);
  /* Spare rows: the last pixel tile may run past Ho*Wq by up to slackPixels. */
  l.hq = hq + (slackPixels + l.wq - 1) / l.wq + 1;
  l.planes = s.sh * s.sw;
  l.ci = channelStride;
  l.ho = s.ho;
  l.wo = s.wo;
  return l;
}

/* Writes image x (h x w x ci) into its zero-padded phase planes. */
static void splitPhases(const ConvShape &s, const Layout &l, const float *x, float *buf) {
  std::memset(buf, 0, l.floats() * sizeof(float));
  const size_t rowBytes = (size_t)s.ci * sizeof(float);
  for (int y = 0; y < s.h; y++) {
    int Y = y + s.padTop;
    int ry = Y % s.sh, yq = Y / s.sh;
    const float *src = x + (size_t)y * s.w * s.ci;
    if (s.sw == 1 && l.ci == s.ci) {
      float *dst = buf + (size_t)ry * l.planeFloats() + ((size_t)yq * l.wq + s.padLeft) * s.ci;
      std::memcpy(dst, src, rowBytes * s.w);
      continue;
    }
    for (int xx = 0; xx < s.w; xx++) {
      int X = xx + s.padLeft;  /* pixel by pixel: strided phases, or padded channels */
      int plane = ry * s.sw + X % s.sw;
      float *dst = buf + (size_t)plane * l.planeFloats() + ((size_t)yq * l.wq + X / s.sw) * l.ci;
      std::memcpy(dst, src + (size_t)xx * s.ci, rowBytes);
    }
  }
}

/* Offset (floats) of tap (a, b)'s input for q = 0, in the phase-split buffer. */
static size_t tapOffset(const ConvShape &s, const Layout &l, int a, int b) {
  int A = a * s.dh, B = b * s.dw;
  int plane = (A % s.sh) * s.sw + (B % s.sw);
  return (size_t)plane * l.planeFloats() + ((size_t)(A / s.sh) * l.wq + B / s.sw) * l.ci;
}

/* A channel count rounded up to whole vectors. */
static int paddedChannels(int c) { return (c + VW - 1) / VW * VW; }

static std::vector<size_t> tapOffsets(const ConvShape &s, const Layout &l) {
  std::vector<size_t> taps((size_t)s.kh * s.kw);
  for (int a = 0; a < s.kh; a++)
    for (int b = 0; b < s.kw; b++) taps[(size_t)a * s.kw + b] = tapOffset(s, l, a, b);
  return taps;
}

/* dy of one image on the plane grid (row pitch wq pixels, cp floats per pixel), zeros elsewhere. */
static void spreadDy(const ConvShape &s, const Layout &l, const float *dy, int cp, float *dyq) {
  const size_t floats = (size_t)s.ho * l.wq * cp;
  std::memset(dyq, 0, floats * sizeof(float));
  for (int oy = 0; oy < s.ho; oy++) {
    if (cp == s.co) {
      std::memcpy(dyq + (size_t)oy * l.wq * cp, dy + (size_t)oy * s.wo * s.co, (size_t)s.wo * s.co * sizeof(float));
      continue;
    }
    for (int ox = 0; ox < s.wo; ox++)
      std::memcpy(dyq + ((size_t)oy * l.wq + ox) * cp, dy + ((size_t)oy * s.wo + ox) * s.co, s.co * sizeof(float));
  }
}

/* ---------------------------------------------------------------- forward ---------- */

/* y[pixels][co] = y * scale + shift per channel (+ residual), then ReLU: a forward
   convolution's epilogue, on one image's output (`at` floats into y and the residual) while it
   is still in cache. ReLU keeps NaN, as std::max(v, 0) does. */
static void applyEpilogue(const Epilogue &ep, float *y, size_t at, size_t pixels, int co) {
  const float *res = ep.residual ? ep.residual + at : nullptr;
  y += at;
  for (size_t p = 0; p < pixels; p++, y += co, res = res ? res + co : nullptr) {
    int c = 0;
    for (; c + VW <= co; c += VW) {
      vf v = load(y + c) * load(ep.scale + c) + load(ep.shift + c);
      if (res) v += load(res + c);
      if (ep.relu) v = v < 0 ? vf{} : v;
      store(y + c, v);
    }
    for (; c < co; c++) {
      float v = y[c] * ep.scale[c] + ep.shift[c];
      if (res) v += res[c];
      y[c] = ep.relu && v < 0 ? 0.f : v;
    }
  }
}

/* Writes a tile's outputs that lie inside the image (ox < Wo, q < Ho*Wq), lanes < co. */
template <int R, int CB>
static void storeTile(const ConvShape &s, const Layout &l, const vf (&acc)[R][CB], int q0, int c0, float *y) {
  const int Q = l.ho * l.wq;
  for (int r = 0; r < R; r++) {
    int q = q0 + r;
    if (q >= Q) break;
    int oy = q / l.wq, ox = q - oy * l.wq;
    if (ox >= l.wo) continue;
    float *dst = y + ((size_t)oy * l.wo + ox) * s.co + c0;
    for (int j = 0; j < CB; j++) {
      int lanes = std::min(VW, s.co - c0 - j * VW);
      if (lanes == VW) {
        store(dst + j * VW, acc[r][j]);
      } else if (lanes > 0) {
        float tmp[VW];
        store(tmp, acc[r][j]);
        std::memcpy(dst + j * VW, tmp, lanes * sizeof(float));
      }
    }
  }
}

/*
 * y[q, c0 .. c0 + CB*VW) for q in [q0, q0 + R), all taps. w is packed [taps][ci][coP].
 * CI > 0 fixes the channel count at compile time (the common 16/32/64), which turns every
 * input read into a constant offset from one pointer, folded into the multiply-add.
 */
template <int R, int CB, int CI>
static void forwardTile(const ConvShape &s, const Layout &l, const float *buf, const size_t *taps,
                        const float *w, int coP, int q0, int c0, float *y) {
  vf acc[R][CB];
  UNROLL for (int r = 0; r < R; r++)
    UNROLL for (int j = 0; j < CB; j++) acc[r][j] = vf{};
  const int ci = CI > 0 ? CI : s.ci, nTaps = s.kh * s.kw;
  for (int t = 0; t < nTaps; t++) {
    const float *in = buf + taps[t] + (size_t)q0 * ci;
    const float *wt = w + (size_t)t * ci * coP + c0;
    for (int c = 0; c < ci; c++) {
      vf wv[CB];
      UNROLL for (int j = 0; j < CB; j++) wv[j] = load(wt + (size_t)c * coP + j * VW);
      UNROLL for (int r = 0; r < R; r++) {
        vf xv = splat(in[(size_t)r * ci + c]);
        UNROLL for (int j = 0; j < CB; j++) acc[r][j] += xv * wv[j];
      }
    }
  }
  storeTile<R, CB>(s, l, acc, q0, c0, y);
}

/*
 * The same tile for stride 1, dilation 1 and three taps per row, the shape of nearly every
 * ResNet layer: taps (a, 0..2) read pixels q, q+1, q+2 of one row, so each broadcast input
 * value feeds three multiply-adds (into three neighbouring outputs) instead of one. With
 * few output channels (CB = 1, every input read a broadcast) this halves the loads.
 */
template <int R, int CB, int CI>
static void forwardTileRow3(const ConvShape &s, const Layout &l, const float *buf, const size_t *taps,
                            const float *w, int coP, int q0, int c0, float *y) {
  vf acc[R][CB];
  UNROLL for (int r = 0; r < R; r++)
    UNROLL for (int j = 0; j < CB; j++) acc[r][j] = vf{};
  const int ci = CI > 0 ? CI : s.ci;
  for (int a = 0; a < s.kh; a++) {
    const float *in = buf + taps[a * 3] + (size_t)q0 * ci;
    const float *wa = w + (size_t)a * 3 * ci * coP + c0;
    for (int c = 0; c < ci; c++) {
      vf w0[CB], w1[CB], w2[CB];
      UNROLL for (int j = 0; j < CB; j++) {
        w0[j] = load(wa + (size_t)c * coP + j * VW);
        w1[j] = load(wa + (size_t)(ci + c) * coP + j * VW);
        w2[j] = load(wa + (size_t)(2 * ci + c) * coP + j * VW);
      }
      UNROLL for (int p = 0; p < R + 2; p++) {
        vf xv = splat(in[(size_t)p * ci + c]);
        UNROLL for (int j = 0; j < CB; j++) {
          if (p < R) acc[p][j] += xv * w0[j];
          if (p >= 1 && p - 1 < R) acc[p - 1][j] += xv * w1[j];
          if (p >= 2) acc[p - 2][j] += xv * w2[j];
        }
      }
    }
  }
  storeTile<R, CB>(s, l, acc, q0, c0, y);
}

#if VW == 16
static constexpr int VECTOR_REGS = 32;
#else
static constexpr int VECTOR_REGS = 16;
#endif

template <int CB, int CI>
static void forwardImageCB(const ConvShape &s, const Layout &l, const float *buf, const size_t *taps,
                           const float *w, int coP, int c0, float *y) {
  constexpr int R = rowsFor(CB);
  const int Q = l.ho * l.wq;
  /* The row form needs its three weight vectors per tile column in registers too. */
  constexpr bool rowFits = R * CB + 3 * CB + 2 <= VECTOR_REGS;
  if (rowFits && s.kw == 3 && s.sh == 1 && s.sw == 1 && s.dh == 1 && s.dw == 1) {
    for (int q0 = 0; q0 < Q; q0 += R) forwardTileRow3<R, CB, CI>(s, l, buf, taps, w, coP, q0, c0, y);
    return;
  }
  for (int q0 = 0; q0 < Q; q0 += R) forwardTile<R, CB, CI>(s, l, buf, taps, w, coP, q0, c0, y);
}

template <int CB>
static void forwardImageCI(const ConvShape &s, const Layout &l, const float *buf, const size_t *taps,
                           const float *w, int coP, int c0, float *y) {
  switch (s.ci) {
    case 16: forwardImageCB<CB, 16>(s, l, buf, taps, w, coP, c0, y); break;
    case 32: forwardImageCB<CB, 32>(s, l, buf, taps, w, coP, c0, y); break;
    case 64: forwardImageCB<CB, 64>(s, l, buf, taps, w, coP, c0, y); break;
    default: forwardImageCB<CB, 0>(s, l, buf, taps, w, coP, c0, y); break;
  }
}

static void forwardImage(const ConvShape &s, const Layout &l, const float *buf, const size_t *taps,
                         const float *w, int coP, float *y) {
  const int vecs = coP / VW;
  for (int v = 0; v < vecs;) {
    int cb = std::min(MAX_CB, vecs - v);
    if (cb == 3 && vecs - v > 4) cb = 2; /* keep 4/2-wide tiles where the count allows */
    int c0 = v * VW;
    switch (cb) {
      case 1: forwardImageCI<1>(s, l, buf, taps, w, coP, c0, y); break;
      case 2: forwardImageCI<2>(s, l, buf, taps, w, coP, c0, y); break;
      case 3: forwardImageCI<3>(s, l, buf, taps, w, coP, c0, y); break;
      default: forwardImageCI<4>(s, l, buf, taps, w, coP, c0, y); break;
    }
    v += cb;
  }
}

/* ---------------------------------------------------------------- filter gradient ---- */

/*
 * dw[tap][c0 .. c0+R)[o0 .. o0 + CB*VW) += sum over q of in[q][c] * dy[q][o], for one image;
 * dyq holds dy on the plane grid (zeros where ox >= Wo), coP channels per pixel.
 */
template <int R, int CB>
static void filterTile(const float *in, int ci, const float *dyq, int coP, int Q, int o0, float *acc_out) {
  vf acc[R][CB];
  UNROLL for (int r = 0; r < R; r++)
    UNROLL for (int j = 0; j < CB; j++) acc[r][j] = load(acc_out + (size_t)r * coP + j * VW);
  const float *d = dyq + o0;
  for (int q = 0; q < Q; q++, in += ci, d += coP) {
    vf dv[CB];
    UNROLL for (int j = 0; j < CB; j++) dv[j] = load(d + j * VW);
    UNROLL for (int r = 0; r < R; r++) {
      vf xv = splat(in[r]);
      UNROLL for (int j = 0; j < CB; j++) acc[r][j] += xv * dv[j];
    }
  }
  UNROLL for (int r = 0; r < R; r++)
    UNROLL for (int j = 0; j < CB; j++) store(acc_out + (size_t)r * coP + j * VW, acc[r][j]);
}

template <int CB>
static void filterRows(const float *in, int ci, int rows, const float *dyq, int coP, int Q, int o0, float *acc) {
  constexpr int R = rowsFor(CB);
  int c = 0;
  for (; c + R <= rows; c += R) filterTile<R, CB>(in + c, ci, dyq, coP, Q, o0, acc + (size_t)c * coP);
  /* Remaining input channels: a narrower tile, chosen at run time among the instances. */
  int left = rows - c;
  if (left <= 0) return;
  in += c;
  acc += (size_t)c * coP;
  switch (left) {
#define TAIL(n) \
  case n: if constexpr (n < R) filterTile<n, CB>(in, ci, dyq, coP, Q, o0, acc); break;
    TAIL(1) TAIL(2) TAIL(3) TAIL(4) TAIL(5) TAIL(6) TAIL(7) TAIL(8) TAIL(9) TAIL(10) TAIL(11)
    TAIL(12) TAIL(13) TAIL(14) TAIL(15) TAIL(16) TAIL(17) TAIL(18) TAIL(19) TAIL(20) TAIL(21) TAIL(22)
    TAIL(23)
#undef TAIL
  }
}

/*
 * The filter gradient's form for stride 1, dilation 1 and three taps per row (as the forward
 * tile row): taps (a, 0..2) read input pixels q, q+1, q+2, so input pixel p meets dy[p],
 * dy[p-1] and dy[p-2]. One broadcast of in[p][c] then feeds three multiply-adds, the three
 * dy vectors sliding along p in registers: about a third of the loads per multiply-add of
 * filterTile. dyPad is dy with two zero pixels before and after. acc holds the row's three
 * taps, tapStride floats apart.
 */
template <int RC, int CB>
static void filterTileRow3(const float *in, int ci, const float *dyPad, int coP, int Q, int o0, float *acc_out,
                           size_t tapStride) {
  vf acc[3][RC][CB];
  UNROLL for (int b = 0; b < 3; b++)
    UNROLL for (int r = 0; r < RC; r++)
      UNROLL for (int j = 0; j < CB; j++) acc[b][r][j] = load(acc_out + b * tapStride + (size_t)r * coP + j * VW);
  vf d1[CB], d2[CB];
  UNROLL for (int j = 0; j < CB; j++) d1[j] = d2[j] = vf{};
  const float *d = dyPad + 2 * (size_t)coP + o0;
  for (int p = 0; p < Q + 2; p++, in += ci) {
    vf d0[CB];
    UNROLL for (int j = 0; j < CB; j++) d0[j] = load(d + (size_t)p * coP + j * VW);
    UNROLL for (int r = 0; r < RC; r++) {
      vf xv = splat(in[r]);
      UNROLL for (int j = 0; j < CB; j++) {
        acc[0][r][j] += xv * d0[j];
        acc[1][r][j] += xv * d1[j];
        acc[2][r][j] += xv * d2[j];
      }
    }
    UNROLL for (int j = 0; j < CB; j++) {
      d2[j] = d1[j];
      d1[j] = d0[j];
    }
  }
  UNROLL for (int b = 0; b < 3; b++)
    UNROLL for (int r = 0; r < RC; r++)
      UNROLL for (int j = 0; j < CB; j++) store(acc_out + b * tapStride + (size_t)r * coP + j * VW, acc[b][r][j]);
}

/* Three accumulator sets and three sliding dy vectors per tile column must fit the registers. */
static constexpr int row3Channels(int cb) { return ACC_REGS / (3 * cb); }
static constexpr bool row3Fits(int cb) { return VW == 16 && cb <= 2 && 3 * row3Channels(cb) * cb + 3 * cb + 1 <= 32; }

template <int CB>
static void filterRowsRow3(const float *in, int ci, const float *dyPad, int coP, int Q, int o0, float *acc,
                           size_t tapStride) {
  constexpr int RC = row3Channels(CB);
  int c = 0;
  for (; c + RC <= ci; c += RC) filterTileRow3<RC, CB>(in + c, ci, dyPad, coP, Q, o0, acc + (size_t)c * coP, tapStride);
  for (; c < ci; c++) filterTileRow3<1, CB>(in + c, ci, dyPad, coP, Q, o0, acc + (size_t)c * coP, tapStride);
}

/*
 * Adds one image's filter gradient to acc ([taps][ci][coP]). dyPad is dy on the plane grid
 * with two zero pixels before and after (the row form reads them).
 */
static void filterImage(const ConvShape &s, const Layout &l, const float *buf, const size_t *taps,
                        const float *dyPad, int coP, float *acc) {
  const int Q = l.ho * l.wq, vecs = coP / VW, nTaps = s.kh * s.kw;
  const float *dyq = dyPad + 2 * (size_t)coP;
  const bool row3 = s.kw == 3 && s.sw == 1 && s.dw == 1;
  const size_t tapStride = (size_t)s.ci * coP;
  for (int t = 0; t < nTaps; t++) {
    const float *in = buf + taps[t];
    float *at = acc + (size_t)t * tapStride;
    for (int v = 0; v < vecs;) {
      int cb = std::min(MAX_CB, vecs - v);
      if (cb == 3 && vecs - v > 4) cb = 2;
      int o0 = v * VW;
      if (row3 && cb <= 2 && row3Fits(cb)) {
        /* Taps (a, 1) and (a, 2) are done with (a, 0). */
        if (t % 3 == 0) {
          if (cb == 1) filterRowsRow3<1>(in, s.ci, dyPad, coP, Q, o0, at + o0, tapStride);
          else filterRowsRow3<2>(in, s.ci, dyPad, coP, Q, o0, at + o0, tapStride);
        }
        v += cb;
        continue;
      }
      switch (cb) {
        case 1: filterRows<1>(in, s.ci, s.ci, dyq, coP, Q, o0, at + o0); break;
        case 2: filterRows<2>(in, s.ci, s.ci, dyq, coP, Q, o0, at + o0); break;
        case 3: filterRows<3>(in, s.ci, s.ci, dyq, coP, Q, o0, at + o0); break;
        default: filterRows<4>(in, s.ci, s.ci, dyq, coP, Q, o0, at + o0); break;
      }
      v += cb;
    }
  }
}

/* ---------------------------------------------------------------- narrow outputs ---- */
/*
 * When the output channels fill a small part of a vector (the input gradient of a first
 * layer has 1 or 3), the tiles above would mostly multiply padding. These kernels vectorise
 * over the input channels instead, which the buffer pads to V whole vectors (cs = V*VW).
 */

/* y[q][o] for q in [q0, q0 + R), every o: dot products over taps and channels. wT is [taps][co][cs]. */
template <int R, int V>
static void dotTile(const ConvShape &s, const Layout &l, const float *buf, const size_t *taps, const float *wT,
                    int q0, float *y) {
  constexpr int cs = V * VW;
  const int nTaps = s.kh * s.kw, Q = l.ho * l.wq;
  for (int o = 0; o < s.co; o++) {
    vf acc[R];
    UNROLL for (int r = 0; r < R; r++) acc[r] = vf{};
    for (int t = 0; t < nTaps; t++) {
      const float *in = buf + taps[t] + (size_t)q0 * cs;
      const float *wt = wT + ((size_t)t * s.co + o) * cs;
      UNROLL for (int v = 0; v < V; v++) {
        vf wv = load(wt + v * VW);
        UNROLL for (int r = 0; r < R; r++) acc[r] += load(in + (size_t)r * cs + v * VW) * wv;
      }
    }
    for (int r = 0; r < R; r++) {
      int q = q0 + r;
      if (q >= Q) break;
      int oy = q / l.wq, ox = q - oy * l.wq;
      if (ox >= l.wo) continue;
      float sum = 0;
      for (int k = 0; k < VW; k++) sum += acc[r][k];
      y[((size_t)oy * l.wo + ox) * s.co + o] = sum;
    }
  }
}

template <int V>
static void dotImage(const ConvShape &s, const Layout &l, const float *buf, const size_t *taps, const float *wT, float *y) {
  constexpr int R = 8;
  const int Q = l.ho * l.wq;
  for (int q0 = 0; q0 < Q; q0 += R) dotTile<R, V>(s, l, buf, taps, wT, q0, y);
}

/*
 * accT[t][o][c] += sum over q of in_t[q][c] dy[q][o] for one tap, vectorised over c; four
 * pixels at a time into separate accumulators, so the additions do not wait on each other.
 */
template <int V>
static void filterDotTap(const float *in, const float *dyq, int co, int Q, float *accT) {
  constexpr int cs = V * VW, U = 4;
  for (int o = 0; o < co; o++) {
    vf a[U][V];
    UNROLL for (int u = 0; u < U; u++)
      UNROLL for (int v = 0; v < V; v++) a[u][v] = vf{};
    int q = 0;
    for (; q + U <= Q; q += U) {
      UNROLL for (int u = 0; u < U; u++) {
        vf d = splat(dyq[(size_t)(q + u) * co + o]);
        UNROLL for (int v = 0; v < V; v++) a[u][v] += load(in + (size_t)(q + u) * cs + v * VW) * d;
      }
    }
    for (; q < Q; q++) {
      vf d = splat(dyq[(size_t)q * co + o]);
      UNROLL for (int v = 0; v < V; v++) a[0][v] += load(in + (size_t)q * cs + v * VW) * d;
    }
    float *dst = accT + (size_t)o * cs;
    UNROLL for (int v = 0; v < V; v++) store(dst + v * VW, load(dst + v * VW) + ((a[0][v] + a[1][v]) + (a[2][v] + a[3][v])));
  }
}

template <int V>
static void filterDotImage(const ConvShape &s, const Layout &l, const float *buf, const size_t *taps, const float *dyq,
                           float *accT) {
  const int nTaps = s.kh * s.kw, Q = l.ho * l.wq;
  for (int t = 0; t < nTaps; t++) filterDotTap<V>(buf + taps[t], dyq, s.co, Q, accT + (size_t)t * s.co * V * VW);
}

/*
 * Whether the dot-product kernels waste less: the broadcast tiles use co of coP lanes, the
 * dot kernels ci of cs (and pay a horizontal sum per output); only up to 4 vectors of channels.
 */
static bool preferDot(const ConvShape &s) {
  const int coP = paddedChannels(s.co), cs = paddedChannels(s.ci);
  return cs / VW <= 4 && 2.0 * s.co / coP < (double)s.ci / cs;
}

#define DISPATCH_V(V, call)             \
  switch (V) {                          \
    case 1: call(1); break;             \
    case 2: call(2); break;             \
    case 3: call(3); break;             \
    default: call(4); break;            \
  }

static void conv2dDot(const ConvShape &s, const float *x, const float *w, float *y, Pool &pool, const Epilogue *ep) {
  const int nTaps = s.kh * s.kw, cs = paddedChannels(s.ci), V = cs / VW;
  const Layout l = layoutFor(s, 8, cs);
  std::vector<float> wT((size_t)nTaps * s.co * cs, 0.f);
  for (int t = 0; t < nTaps; t++)
    for (int c = 0; c < s.ci; c++)
      for (int o = 0; o < s.co; o++) wT[((size_t)t * s.co + o) * cs + c] = w[((size_t)t * s.ci + c) * s.co + o];
  const std::vector<size_t> taps = tapOffsets(s, l);
  const size_t inImage = (size_t)s.h * s.w * s.ci, outImage = (size_t)s.ho * s.wo * s.co;
  pool.run(s.n, [&](int n, Scratch &scratch) {
    float *buf = scratch.floats(0, l.floats());
    splitPhases(s, l, x + n * inImage, buf);
#define RUN(v) dotImage<v>(s, l, buf, taps.data(), wT.data(), y + n * outImage)
    DISPATCH_V(V, RUN)
#undef RUN
    if (ep) applyEpilogue(*ep, y, n * outImage, (size_t)s.ho * s.wo, s.co);
  }, convNs(s));
}

/*
 * Filter gradients sum over images. The images are cut into contiguous groups, each summed
 * into its own partial, and the partials are added in group order. The cut is fixed by the
 * shape, never by the thread count, so results are the same at any thread count and from run
 * to run; per-worker partials were not, because which worker took which image decided the
 * order of the additions (training at 2 threads was not reproducible).
 *
 * kMaxGroups groups where their partials fit kPartialBudgetFloats, fewer for wide layers (a
 * VGG 512x512 layer's one partial is 2.4M floats), but never fewer than kMinGroups, so that
 * wide layers still run on several threads.
 */
static constexpr int kMaxGroups = 16, kMinGroups = 4;
static constexpr size_t kPartialBudgetFloats = (size_t)1 << 22;

static int filterGradGroups(int n, size_t accFloats) {
  const size_t byBudget = kPartialBudgetFloats / std::max<size_t>(1, accFloats);
  const int groups = (int)std::clamp<size_t>(byBudget, kMinGroups, kMaxGroups);
  return std::max(1, std::min(n, groups));
}

/*
 * The calling thread's partials, reused between calls; trimPartials gives back more than
 * kKeptPartialFloats (an imported model's wide dense layer can take gigabytes once).
 */
static constexpr size_t kKeptPartialFloats = (size_t)1 << 24;
static std::vector<float> &partialArena() {
  static thread_local std::vector<float> arena;
  return arena;
}
static void trimPartials() {
  std::vector<float> &arena = partialArena();
  if (arena.capacity() > kKeptPartialFloats) std::vector<float>().swap(arena);
}

/*
 * Runs perImage(image, scratch, partial) for every image, one task per group, and returns the
 * groups' partials (groups x accFloats), valid until trimPartials.
 */
template <typename PerImage>
static const float *groupPartials(int n, size_t accFloats, Pool &pool, double workNs, int &groups, PerImage perImage) {
  groups = filterGradGroups(n, accFloats);
  std::vector<float> &arena = partialArena();
  const size_t floats = (size_t)groups * accFloats;
  if (arena.size() < floats) arena.resize(floats);
  float *base = arena.data();
  pool.run(groups, [&](int g, Scratch &scratch) {
    float *acc = base + (size_t)g * accFloats;
    std::fill(acc, acc + accFloats, 0.f);
    for (int i = (int)((long)g * n / groups), end = (int)((long)(g + 1) * n / groups); i < end; i++) perImage(i, scratch, acc);
  }, workNs);
  return base;
}

static void conv2dFilterGradDot(const ConvShape &s, const float *x, const float *dy, float *dw, Pool &pool) {
  const int nTaps = s.kh * s.kw, cs = paddedChannels(s.ci), V = cs / VW;
  const Layout l = layoutFor(s, 0, cs);
  const std::vector<size_t> taps = tapOffsets(s, l);
  const size_t inImage = (size_t)s.h * s.w * s.ci, outImage = (size_t)s.ho * s.wo * s.co;
  const size_t accFloats = (size_t)nTaps * s.co * cs, dyqFloats = (size_t)s.ho * l.wq * s.co;
  int groups = 0;
  const float *partial = groupPartials(s.n, accFloats, pool, convNs(s), groups, [&](int n, Scratch &scratch, float *acc) {
    float *buf = scratch.floats(0, l.floats());
    splitPhases(s, l, x + n * inImage, buf);
    float *dyq = scratch.floats(1, dyqFloats);
    spreadDy(s, l, dy + n * outImage, s.co, dyq);
#define RUN(v) filterDotImage<v>(s, l, buf, taps.data(), dyq, acc)
    DISPATCH_V(V, RUN)
#undef RUN
  });
  /* dw[t][c][o] = sum over groups of accT[t][o][c]. */
  for (int t = 0; t < nTaps; t++)
    for (int c = 0; c < s.ci; c++)
      for (int o = 0; o < s.co; o++) {
        float sum = 0;
        for (int g = 0; g < groups; g++) sum += partial[(size_t)g * accFloats + ((size_t)t * s.co + o) * cs + c];
        dw[((size_t)t * s.ci + c) * s.co + o] = sum;
      }
  trimPartials();
}

/* ---------------------------------------------------------------- input gradient ----- */

/*
 * dx of y = conv2d(x, w), by scattering: every dy pixel adds w[a][b] . dy[oy][ox] to the
 * padded input pixel (oy*sh + a*dh, ox*sw + b*dw) it came from. The engine uses it for
 * strides above 1, where a forward convolution of dy would need dy spread out with zeros
 * or split into sub-pixel phases and interleaved back. Vectorised over the input channels
 * (padded to ciP); a tile is R neighbouring dy pixels of one row for one tap, with CB
 * vectors of channels: the accumulators are read from and written back to the padded image,
 * since the taps of neighbouring pixels overlap. wT is [taps][co][ciP].
 */
template <int R, int CB>
static void inputGradTile(const ConvShape &s, const float *dyRow, const float *wt, int ciP, int c0, float *dst,
                          int pixelStep) {
  vf acc[R][CB];
  UNROLL for (int r = 0; r < R; r++)
    UNROLL for (int j = 0; j < CB; j++) acc[r][j] = load(dst + (size_t)r * pixelStep + c0 + j * VW);
  for (int o = 0; o < s.co; o++) {
    vf wv[CB];
    UNROLL for (int j = 0; j < CB; j++) wv[j] = load(wt + (size_t)o * ciP + c0 + j * VW);
    UNROLL for (int r = 0; r < R; r++) {
      vf g = splat(dyRow[(size_t)r * s.co + o]);
      UNROLL for (int j = 0; j < CB; j++) acc[r][j] += g * wv[j];
    }
  }
  UNROLL for (int r = 0; r < R; r++)
    UNROLL for (int j = 0; j < CB; j++) store(dst + (size_t)r * pixelStep + c0 + j * VW, acc[r][j]);
}

template <int CB>
static void inputGradImage(const ConvShape &s, const float *dy, const float *wT, int ciP, int c0, int wp,
                           float *dxp) {
  constexpr int R = rowsFor(CB);
  const int pixelStep = s.sw * ciP;
  for (int oy = 0; oy < s.ho; oy++) {
    const float *dyRow = dy + (size_t)oy * s.wo * s.co;
    for (int a = 0; a < s.kh; a++)
      for (int b = 0; b < s.kw; b++) {
        const float *wt = wT + (size_t)(a * s.kw + b) * s.co * ciP;
        float *row = dxp + ((size_t)(oy * s.sh + a * s.dh) * wp + b * s.dw) * ciP;
        int ox = 0;
        for (; ox + R <= s.wo; ox += R)
          inputGradTile<R, CB>(s, dyRow + (size_t)ox * s.co, wt, ciP, c0, row + (size_t)ox * pixelStep, pixelStep);
        for (; ox < s.wo; ox++)
          inputGradTile<1, CB>(s, dyRow + (size_t)ox * s.co, wt, ciP, c0, row + (size_t)ox * pixelStep, pixelStep);
      }
  }
}

void conv2dInputGrad(const ConvShape &s, const float *dy, const float *w, float *dx, Pool &pool) {
  const int ciP = paddedChannels(s.ci), nTaps = s.kh * s.kw;
  std::vector<float> wT((size_t)nTaps * s.co * ciP, 0.f);
  for (int t = 0; t < nTaps; t++)
    for (int c = 0; c < s.ci; c++)
      for (int o = 0; o < s.co; o++) wT[((size_t)t * s.co + o) * ciP + c] = w[((size_t)t * s.ci + c) * s.co + o];
  /* The padded image every tap of every dy pixel lands in (and at least x's extent). */
  const int hp = std::max((s.ho - 1) * s.sh + (s.kh - 1) * s.dh + 1, s.padTop + s.h);
  const int wp = std::max((s.wo - 1) * s.sw + (s.kw - 1) * s.dw + 1, s.padLeft + s.w);
  const size_t inImage = (size_t)s.h * s.w * s.ci, outImage = (size_t)s.ho * s.wo * s.co;
  pool.run(s.n, [&](int n, Scratch &scratch) {
    float *dxp = scratch.floats(0, (size_t)hp * wp * ciP);
    std::memset(dxp, 0, (size_t)hp * wp * ciP * sizeof(float));
    const int vecs = ciP / VW;
    for (int v = 0; v < vecs;) {
      int cb = std::min(MAX_CB, vecs - v);
      switch (cb) {
        case 1: inputGradImage<1>(s, dy + n * outImage, wT.data(), ciP, v * VW, wp, dxp); break;
        case 2: inputGradImage<2>(s, dy + n * outImage, wT.data(), ciP, v * VW, wp, dxp); break;
        case 3: inputGradImage<3>(s, dy + n * outImage, wT.data(), ciP, v * VW, wp, dxp); break;
        default: inputGradImage<4>(s, dy + n * outImage, wT.data(), ciP, v * VW, wp, dxp); break;
      }
      v += cb;
    }
    float *out = dx + n * inImage;
    for (int y = 0; y < s.h; y++)
      for (int xx = 0; xx < s.w; xx++)
        std::memcpy(out + ((size_t)y * s.w + xx) * s.ci, dxp + ((size_t)(y + s.padTop) * wp + xx + s.padLeft) * ciP,
                    s.ci * sizeof(float));
  }, convNs(s));
}

/* ---------------------------------------------------------------- Winograd ---------- */

#include "winograd_impl.h"

/* ---------------------------------------------------------------- entry points ------ */

void conv2d(const ConvShape &s, const float *x, const float *w, float *y, Pool &pool, const Epilogue *ep) {
  if (winogradForwardPays(s)) return conv2dWinograd(s, x, w, y, pool, ep);
  if (preferDot(s)) return conv2dDot(s, x, w, y, pool, ep);
  const int coP = paddedChannels(s.co), nTaps = s.kh * s.kw;
  const Layout l = layoutFor(s, rowsFor(1) + 2, s.ci);
  std::vector<float> packed;
  const float *wp = w;
  if (coP != s.co) {
    packed.assign((size_t)nTaps * s.ci * coP, 0.f);
    for (size_t k = 0; k < (size_t)nTaps * s.ci; k++)
      std::memcpy(&packed[k * coP], w + k * s.co, s.co * sizeof(float));
    wp = packed.data();
  }
  const std::vector<size_t> taps = tapOffsets(s, l);
  const size_t inImage = (size_t)s.h * s.w * s.ci, outImage = (size_t)s.ho * s.wo * s.co;
  pool.run(s.n, [&](int n, Scratch &scratch) {
    float *buf = scratch.floats(0, l.floats());
    splitPhases(s, l, x + n * inImage, buf);
    forwardImage(s, l, buf, taps.data(), wp, coP, y + n * outImage);
    if (ep) applyEpilogue(*ep, y, n * outImage, (size_t)s.ho * s.wo, s.co);
  }, convNs(s));
}

void conv2dFilterGrad(const ConvShape &s, const float *x, const float *dy, float *dw, Pool &pool) {
  if (winogradFits(s)) return conv2dFilterGradWinograd(s, x, dy, dw, pool);
  if (preferDot(s)) return conv2dFilterGradDot(s, x, dy, dw, pool);
  const int coP = paddedChannels(s.co), nTaps = s.kh * s.kw;
  const Layout l = layoutFor(s, 0, s.ci);
  const std::vector<size_t> taps = tapOffsets(s, l);
  const size_t inImage = (size_t)s.h * s.w * s.ci, outImage = (size_t)s.ho * s.wo * s.co;
  const size_t accFloats = (size_t)nTaps * s.ci * coP;
  /* dy on the plane grid with two zero pixels before and after (filterImage's row form). */
  const size_t dyqFloats = ((size_t)s.ho * l.wq + 4) * coP;
  int groups = 0;
  const float *partial = groupPartials(s.n, accFloats, pool, convNs(s), groups, [&](int n, Scratch &scratch, float *acc) {
    float *buf = scratch.floats(0, l.floats());
    splitPhases(s, l, x + n * inImage, buf);
    float *dyPad = scratch.floats(1, dyqFloats);
    std::memset(dyPad, 0, 2 * (size_t)coP * sizeof(float));
    std::memset(dyPad + dyqFloats - 2 * (size_t)coP, 0, 2 * (size_t)coP * sizeof(float));
    spreadDy(s, l, dy + n * outImage, coP, dyPad + 2 * (size_t)coP);
    filterImage(s, l, buf, taps.data(), dyPad, coP, acc);
  });
  /* Sum the groups' partial gradients in order, dropping the padded output channels; on the
     pool, as wide layers' partials are megabytes. */
  const size_t rows = (size_t)nTaps * s.ci;
  const int chunks = (int)std::min<size_t>(rows, 64);
  pool.run(chunks, [&](int chunk, Scratch &) {
    for (size_t k = rows * chunk / chunks, end = rows * (chunk + 1) / chunks; k < end; k++) {
      float *dst = dw + k * s.co;
      std::memcpy(dst, partial + k * coP, s.co * sizeof(float));
      for (int g = 1; g < groups; g++) {
        const float *src = partial + (size_t)g * accFloats + k * coP;
        for (int o = 0; o < s.co; o++) dst[o] += src[o];
      }
    }
  }, floatsNs((double)rows * coP * groups));
  trimPartials();
}

}  // namespace ISA_NS
