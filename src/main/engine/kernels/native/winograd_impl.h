/*
 * Winograd F(2x2, 3x3) for the 3x3, stride-1 convolutions that carry nearly all of a ResNet's
 * arithmetic: the forward pass, the input gradient (a convolution with the flipped filter) and
 * the filter gradient (below). Included by conv_impl.h inside its ISA namespace, so it shares vf, load, store,
 * splat, UNROLL and rowsFor.
 *
 * Each 2x2 block of outputs ("tile") is computed from its 4x4 input patch d as
 *   Y = A^T [ (G g G^T) . (B^T d B) ] A,
 * 16 multiplies per output channel and input channel instead of the direct form's 36. The
 * transforms only add, subtract and halve (exact in float32 but for the sums' rounding), so the
 * result differs from the direct sum in the last bits, like any other summation order; it does
 * not depend on the thread count, as each tile's sums run in one fixed order.
 *
 * Per work item (a block of one image's tiles):
 *   V[xi][t][ci]  = (B^T d_t B)[xi]           the input transform, channels vectorised
 *   M[xi][t][co]  = sum_ci V[xi][t][ci] U[xi][ci][co]   16 small matrix products (register tiles)
 *   y[tile t]     = A^T M[.][t] A              the output transform
 * with U = G g G^T computed once per call.
 */

/* Channel counts in whole vectors, so every transform is vector-wide with no masked lanes. */
static bool winogradFits(const ConvShape &s) {
  return winogradEnabled() && s.kh == 3 && s.kw == 3 && s.sh == 1 && s.sw == 1 && s.dh == 1 && s.dw == 1 &&
         s.ci % VW == 0 && s.co % VW == 0 && s.ci >= 8 && s.co >= 8 && s.ho >= 2 && s.wo >= 2;
}

/*
 * The forward form only where its products are long enough to pay for the transforms: with 16
 * channels each way (a ResNet's first stage) the 16-term products ran no faster than the
 * direct row tiles on one thread and 5-10 % slower on two. The filter gradient's products run
 * over every tile of an image, so it takes the Winograd form at any channel count. Shape only,
 * never the thread count: the result must not depend on it.
 */
static bool winogradForwardPays(const ConvShape &s) { return winogradFits(s) && s.ci * s.co >= 32 * 32; }

/* U[xi][ci][co] = (G g G^T)[xi] for every channel pair; g is the HWIO filter [3][3][ci][co]. */
static void winogradFilter(const ConvShape &s, const float *w, float *u) {
  const size_t plane = (size_t)s.ci * s.co;
  for (size_t k = 0; k < plane; k += VW) {
    vf g[3][3];
    for (int a = 0; a < 3; a++)
      for (int b = 0; b < 3; b++) g[a][b] = load(w + (size_t)(a * 3 + b) * plane + k);
    /* G g: rows (g0, (g0+g1+g2)/2, (g0-g1+g2)/2, g2) of each column. */
    vf t[4][3];
    for (int b = 0; b < 3; b++) {
      t[0][b] = g[0][b];
      t[1][b] = (g[0][b] + g[1][b] + g[2][b]) * 0.5f;
      t[2][b] = (g[0][b] - g[1][b] + g[2][b]) * 0.5f;
      t[3][b] = g[2][b];
    }
    for (int i = 0; i < 4; i++) {
      float *row = u + (size_t)i * 4 * plane + k;
      store(row, t[i][0]);
      store(row + plane, (t[i][0] + t[i][1] + t[i][2]) * 0.5f);
      store(row + 2 * plane, (t[i][0] - t[i][1] + t[i][2]) * 0.5f);
      store(row + 3 * plane, t[i][2]);
    }
  }
}

/* V[xi][t][cv .. cv+VW) of tile t = (ty, tx) of one image; v points at tile t's row of V[0]. */
static void winogradInputTile(const ConvShape &s, const float *x, int ty, int tx, float *v, size_t xiStride, int cv) {
  const int y0 = 2 * ty - s.padTop, x0 = 2 * tx - s.padLeft;
  vf d[4][4];
  const bool inside = y0 >= 0 && x0 >= 0 && y0 + 4 <= s.h && x0 + 4 <= s.w;
  UNROLL for (int i = 0; i < 4; i++)
    UNROLL for (int j = 0; j < 4; j++) {
      const int yy = y0 + i, xx = x0 + j;
      if (inside || (yy >= 0 && yy < s.h && xx >= 0 && xx < s.w))
        d[i][j] = load(x + ((size_t)yy * s.w + xx) * s.ci + cv);
      else
        d[i][j] = vf{};
    }
  /* B^T d, then (B^T d) B: rows and columns (r0 - r2, r1 + r2, r2 - r1, r1 - r3). */
  vf t[4][4];
  UNROLL for (int j = 0; j < 4; j++) {
    t[0][j] = d[0][j] - d[2][j];
    t[1][j] = d[1][j] + d[2][j];
    t[2][j] = d[2][j] - d[1][j];
    t[3][j] = d[1][j] - d[3][j];
  }
  UNROLL for (int i = 0; i < 4; i++) {
    float *row = v + (size_t)i * 4 * xiStride + cv;
    store(row, t[i][0] - t[i][2]);
    store(row + xiStride, t[i][1] + t[i][2]);
    store(row + 2 * xiStride, t[i][2] - t[i][1]);
    store(row + 3 * xiStride, t[i][1] - t[i][3]);
  }
}

/* y's 2x2 block of tile (ty, tx), channels [cv, cv + VW), from M[xi][t], through the epilogue if
   any (residual: the epilogue's, at this image). */
static void winogradOutputTile(const ConvShape &s, const float *m, size_t xiStride, int ty, int tx, float *y, int cv,
                               const Epilogue *ep, const float *residual) {
  vf r[4][4];
  UNROLL for (int i = 0; i < 4; i++)
    UNROLL for (int j = 0; j < 4; j++) r[i][j] = load(m + (size_t)(i * 4 + j) * xiStride + cv);
  /* A^T M A with A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]. */
  vf a0[4], a1[4];
  UNROLL for (int j = 0; j < 4; j++) {
    a0[j] = r[0][j] + r[1][j] + r[2][j];
    a1[j] = r[1][j] - r[2][j] - r[3][j];
  }
  vf out[2][2] = {{a0[0] + a0[1] + a0[2], a0[1] - a0[2] - a0[3]}, {a1[0] + a1[1] + a1[2], a1[1] - a1[2] - a1[3]}};
  for (int i = 0; i < 2; i++) {
    const int oy = 2 * ty + i;
    if (oy >= s.ho) break;
    for (int j = 0; j < 2; j++) {
      const int ox = 2 * tx + j;
      if (ox >= s.wo) break;
      const size_t at = ((size_t)oy * s.wo + ox) * s.co + cv;
      vf v = out[i][j];
      if (ep) {
        v = v * load(ep->scale + cv) + load(ep->shift + cv);
        if (residual) v += load(residual + at);
        if (ep->relu) v = v < 0 ? vf{} : v;
      }
      store(y + at, v);
    }
  }
}

/* M[t0 .. t0+R)[c0 .. c0 + CB*VW) = V[t0 .. t0+R)[:] U[:][c0 ..] for one xi. */
template <int R, int CB, int CI>
static void winogradProductTile(const float *v, int ciRun, const float *u, int co, float *m) {
  const int ci = CI > 0 ? CI : ciRun;
  vf acc[R][CB];
  UNROLL for (int r = 0; r < R; r++)
    UNROLL for (int j = 0; j < CB; j++) acc[r][j] = vf{};
  for (int c = 0; c < ci; c++) {
    vf uv[CB];
    UNROLL for (int j = 0; j < CB; j++) uv[j] = load(u + (size_t)c * co + j * VW);
    UNROLL for (int r = 0; r < R; r++) {
      vf xv = splat(v[(size_t)r * ci + c]);
      UNROLL for (int j = 0; j < CB; j++) acc[r][j] += xv * uv[j];
    }
  }
  UNROLL for (int r = 0; r < R; r++)
    UNROLL for (int j = 0; j < CB; j++) store(m + (size_t)r * co + j * VW, acc[r][j]);
}

template <int CB, int CI>
static void winogradProductBlock(const float *v, int ci, const float *u, int co, int c0, int tiles, float *m) {
  constexpr int R = rowsFor(CB);
  for (int t0 = 0; t0 < tiles; t0 += R)
    winogradProductTile<R, CB, CI>(v + (size_t)t0 * ci, ci, u + c0, co, m + (size_t)t0 * co + c0);
}

template <int CB>
static void winogradProductCI(const float *v, int ci, const float *u, int co, int c0, int tiles, float *m) {
  switch (ci) {
    case 16: winogradProductBlock<CB, 16>(v, ci, u, co, c0, tiles, m); break;
    case 32: winogradProductBlock<CB, 32>(v, ci, u, co, c0, tiles, m); break;
    case 64: winogradProductBlock<CB, 64>(v, ci, u, co, c0, tiles, m); break;
    default: winogradProductBlock<CB, 0>(v, ci, u, co, c0, tiles, m); break;
  }
}

/* The 16 products of one work item; tiles is a multiple of rowsFor(1) (so of every rowsFor). */
static void winogradProducts(const ConvShape &s, const float *v, size_t vStride, const float *u, int tiles, float *m,
                             size_t mStride) {
  const int vecs = s.co / VW;
  const size_t uStride = (size_t)s.ci * s.co;
  for (int xi = 0; xi < 16; xi++) {
    const float *vx = v + xi * vStride, *ux = u + xi * uStride;
    float *mx = m + xi * mStride;
    for (int vv = 0; vv < vecs;) {
      int cb = std::min(MAX_CB, vecs - vv);
      if (cb == 3 && vecs - vv > 4) cb = 2;
      const int c0 = vv * VW;
      switch (cb) {
        case 1: winogradProductCI<1>(vx, s.ci, ux, s.co, c0, tiles, mx); break;
        case 2: winogradProductCI<2>(vx, s.ci, ux, s.co, c0, tiles, mx); break;
        case 3: winogradProductCI<3>(vx, s.ci, ux, s.co, c0, tiles, mx); break;
        default: winogradProductCI<4>(vx, s.ci, ux, s.co, c0, tiles, mx); break;
      }
      vv += cb;
    }
  }
}

/* Transformed input and products of one block of tiles kept within about this many floats. */
static size_t kWinogradBlockFloats = (size_t)1 << 17;

static void conv2dWinograd(const ConvShape &s, const float *x, const float *w, float *y, Pool &pool, const Epilogue *ep) {
  const int th = (s.ho + 1) / 2, tw = (s.wo + 1) / 2, perImage = th * tw;
  std::vector<float> u((size_t)16 * s.ci * s.co);
  winogradFilter(s, w, u.data());
  /* A block: consecutive tiles (row-major) of one image, a whole number of register tiles. Its
     size follows the shape only, never the thread count, so the sums (and the result) are the
     same on any number of threads. */
  const int align = rowsFor(1);
  const size_t perTile = (size_t)16 * (s.ci + s.co);
  const int block = (int)std::max<size_t>(align, kWinogradBlockFloats / perTile / align * align);
  const int blocks = (perImage + block - 1) / block;
  const size_t inImage = (size_t)s.h * s.w * s.ci, outImage = (size_t)s.ho * s.wo * s.co;
  pool.run(s.n * blocks, [&](int item, Scratch &scratch) {
    const int n = item / blocks, t0 = (item % blocks) * block, count = std::min(block, perImage - t0);
    const int tiles = (count + align - 1) / align * align;
    /* The 16 planes of V and of M one cache line more than a whole number of tiles apart:
       at power-of-two strides the transforms' 16 streams fell into the same cache sets. */
    const size_t vStride = (size_t)tiles * s.ci + 16, mStride = (size_t)tiles * s.co + 16;
    float *v = scratch.floats(0, 16 * vStride);
    float *m = scratch.floats(1, 16 * mStride);
    const float *xn = x + n * inImage;
    for (int t = 0; t < count; t++) {
      const int ty = (t0 + t) / tw, tx = (t0 + t) % tw;
      for (int cv = 0; cv < s.ci; cv += VW) winogradInputTile(s, xn, ty, tx, v + (size_t)t * s.ci, vStride, cv);
    }
    /* The padding tiles that round the count up to whole register tiles: zeros, not stale data. */
    for (int xi = 0; xi < 16; xi++)
      std::memset(v + xi * vStride + (size_t)count * s.ci, 0, (size_t)(tiles - count) * s.ci * sizeof(float));
    winogradProducts(s, v, vStride, u.data(), tiles, m, mStride);
    float *yn = y + n * outImage;
    const float *rn = ep && ep->residual ? ep->residual + n * outImage : nullptr;
    for (int t = 0; t < count; t++) {
      const int ty = (t0 + t) / tw, tx = (t0 + t) % tw;
      for (int cv = 0; cv < s.co; cv += VW) winogradOutputTile(s, m + (size_t)t * s.co, mStride, ty, tx, yn, cv, ep, rn);
    }
  }, convNs(s));
}

/* ---------------------------------------------------------------- filter gradient ---- */

/*
 * The filter gradient in the same form. Y = A^T (U . V) A is linear in U, so
 *   dL/dU[xi][ci][co] = sum over tiles of V[xi][t][ci] * (A dY_t A^T)[xi][co]
 * and dL/dg = G^T (dL/dU) G: one long sum over tiles per (xi, ci, co), as the direct filter
 * gradient's over pixels, with 16 terms per tile instead of 36 per 2x2 block.
 */

/* W[xi][t][cv .. cv+VW) = (A dY_t A^T)[xi] for tile t = (ty, tx); dY_t is zero past the edge. */
static void winogradDyTile(const ConvShape &s, const float *dy, int ty, int tx, float *wt, size_t xiStride, int cv) {
  vf g[2][2];
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++) {
      const int oy = 2 * ty + i, ox = 2 * tx + j;
      g[i][j] = oy < s.ho && ox < s.wo ? load(dy + ((size_t)oy * s.wo + ox) * s.co + cv) : vf{};
    }
  /* A dY with A = [[1, 0], [1, 1], [1, -1], [0, -1]], then (A dY) A^T. */
  const vf r[4][2] = {{g[0][0], g[0][1]},
                      {g[0][0] + g[1][0], g[0][1] + g[1][1]},
                      {g[0][0] - g[1][0], g[0][1] - g[1][1]},
                      {-g[1][0], -g[1][1]}};
  UNROLL for (int i = 0; i < 4; i++) {
    float *row = wt + (size_t)i * 4 * xiStride + cv;
    store(row, r[i][0]);
    store(row + xiStride, r[i][0] + r[i][1]);
    store(row + 2 * xiStride, r[i][0] - r[i][1]);
    store(row + 3 * xiStride, -r[i][1]);
  }
}

/* dU[c0 .. c0+R)[o0 .. o0 + CB*VW) += sum over t of V[t][c] W[t][o], for one xi. */
template <int R, int CB>
static void winogradGradTile(const float *v, int ci, const float *wt, int co, int tiles, float *acc_out) {
  vf acc[R][CB];
  UNROLL for (int r = 0; r < R; r++)
    UNROLL for (int j = 0; j < CB; j++) acc[r][j] = load(acc_out + (size_t)r * co + j * VW);
  for (int t = 0; t < tiles; t++, v += ci, wt += co) {
    vf dv[CB];
    UNROLL for (int j = 0; j < CB; j++) dv[j] = load(wt + j * VW);
    UNROLL for (int r = 0; r < R; r++) {
      vf xv = splat(v[r]);
      UNROLL for (int j = 0; j < CB; j++) acc[r][j] += xv * dv[j];
    }
  }
  UNROLL for (int r = 0; r < R; r++)
    UNROLL for (int j = 0; j < CB; j++) store(acc_out + (size_t)r * co + j * VW, acc[r][j]);
}

/* Rows of input channels per register tile: VW with one vector of output channels, VW/2 with
   two or three (ci is a whole number of vectors, so both divide it). */
template <int CB>
static void winogradGradColumns(const float *v, int ci, const float *wt, int co, int tiles, int o0, float *du) {
  constexpr int R = CB == 1 ? VW : VW / 2;
  for (int c0 = 0; c0 < ci; c0 += R) winogradGradTile<R, CB>(v + c0, ci, wt + o0, co, tiles, du + (size_t)c0 * co + o0);
}

static void winogradGradProducts(const ConvShape &s, const float *v, size_t vStride, const float *wt, size_t wStride,
                                 int tiles, float *du) {
  const int vecs = s.co / VW;
  const size_t plane = (size_t)s.ci * s.co;
  for (int xi = 0; xi < 16; xi++) {
    const float *vx = v + xi * vStride, *wx = wt + xi * wStride;
    float *dux = du + xi * plane;
    for (int vv = 0; vv < vecs;) {
      const int left = vecs - vv, cb = left == 4 ? 2 : std::min(left, 3), o0 = vv * VW;
      switch (cb) {
        case 1: winogradGradColumns<1>(vx, s.ci, wx, s.co, tiles, o0, dux); break;
        case 2: winogradGradColumns<2>(vx, s.ci, wx, s.co, tiles, o0, dux); break;
        default: winogradGradColumns<3>(vx, s.ci, wx, s.co, tiles, o0, dux); break;
      }
      vv += cb;
    }
  }
}

/* dw[3][3][k .. k+VW) = G^T dU G, dU[16][k ..) the summed products of one vector of channel pairs. */
static void winogradFilterBack(const vf (&du)[4][4], float *dw, size_t plane) {
  vf t[3][4];
  UNROLL for (int j = 0; j < 4; j++) {
    const vf half = (du[1][j] + du[2][j]) * 0.5f;
    t[0][j] = du[0][j] + half;
    t[1][j] = (du[1][j] - du[2][j]) * 0.5f;
    t[2][j] = half + du[3][j];
  }
  UNROLL for (int i = 0; i < 3; i++) {
    const vf half = (t[i][1] + t[i][2]) * 0.5f;
    store(dw + (size_t)(i * 3) * plane, t[i][0] + half);
    store(dw + (size_t)(i * 3 + 1) * plane, (t[i][1] - t[i][2]) * 0.5f);
    store(dw + (size_t)(i * 3 + 2) * plane, half + t[i][3]);
  }
}

static void conv2dFilterGradWinograd(const ConvShape &s, const float *x, const float *dy, float *dw, Pool &pool) {
  const int th = (s.ho + 1) / 2, tw = (s.wo + 1) / 2, perImage = th * tw;
  const size_t perTile = (size_t)16 * (s.ci + s.co), plane = (size_t)s.ci * s.co, accFloats = 16 * plane;
  const int block = (int)std::max<size_t>(1, kWinogradBlockFloats / perTile);
  const size_t inImage = (size_t)s.h * s.w * s.ci, outImage = (size_t)s.ho * s.wo * s.co;
  int groups = 0;
  const float *partial = groupPartials(s.n, accFloats, pool, convNs(s), groups, [&](int n, Scratch &scratch, float *du) {
    const float *xn = x + n * inImage, *dyn = dy + n * outImage;
    for (int t0 = 0; t0 < perImage; t0 += block) {
      const int count = std::min(block, perImage - t0);
      const size_t vStride = (size_t)count * s.ci + 16, wStride = (size_t)count * s.co + 16;
      float *v = scratch.floats(0, 16 * vStride);
      float *wt = scratch.floats(1, 16 * wStride);
      for (int t = 0; t < count; t++) {
        const int ty = (t0 + t) / tw, tx = (t0 + t) % tw;
        for (int cv = 0; cv < s.ci; cv += VW) winogradInputTile(s, xn, ty, tx, v + (size_t)t * s.ci, vStride, cv);
        for (int cv = 0; cv < s.co; cv += VW) winogradDyTile(s, dyn, ty, tx, wt + (size_t)t * s.co, wStride, cv);
      }
      winogradGradProducts(s, v, vStride, wt, wStride, count, du);
    }
  });
  /* The groups' partials added in group order, then taken back to the 3x3 filter. */
  const size_t vectors = plane / VW;
  const int chunks = (int)std::min<size_t>(vectors, 64);
  pool.run(chunks, [&](int chunk, Scratch &) {
    for (size_t k = vectors * chunk / chunks * VW, end = vectors * (chunk + 1) / chunks * VW; k < end; k += VW) {
      vf du[4][4];
      UNROLL for (int xi = 0; xi < 16; xi++) {
        vf sum = load(partial + xi * plane + k);
        for (int g = 1; g < groups; g++) sum += load(partial + (size_t)g * accFloats + xi * plane + k);
        du[xi / 4][xi % 4] = sum;
      }
      winogradFilterBack(du, dw + k, plane);
    }
  }, floatsNs((double)accFloats * groups));
  trimPartials();
}
