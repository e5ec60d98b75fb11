/*
 * Node-API binding of the native convolution kernels. The engine calls them from tfjs
 * kernels registered on the wasm backend, passing Float32Array views of the wasm heap, so
 * they read and write tensors where they lie (the heap's ArrayBuffer, or SharedArrayBuffer
 * with the threaded build, is ordinary process memory).
 *
 *   conv2d(x, filter, y, shape[, scale, shift[, relu[, residual]]])
 *                                          y = conv2d(x, filter)       (NHWC), then, with scale and
 *                                          shift, y * scale + shift per channel (+ residual, an
 *                                          array of y's size) (then ReLU)
 *   conv2dFilterGrad(x, dy, dw, shape)     dw = dL/dfilter of that convolution
 *   conv2dInputGrad(dy, filter, dx, shape) dx = dL/dx of that convolution
 *   shape: Int32Array [n,h,w,ci, kh,kw,co, sh,sw, dh,dw, padTop,padLeft, ho,wo]
 *   batchNormForward(x, gamma, beta, y, mean, variance, dims, epsilon[, relu])
 *   batchNormBackward(dy, x, gamma, mean, variance, dx, dgamma, dbeta, dims, epsilon)
 *   batchNormDoubleBackward(a, p, q, dy, x, gamma, mean, variance, ddy, ddx, ddgamma, dims, epsilon)
 *                                          training-mode batch norm (batchnorm.h); dims [rows, channels]
 *   channelAffine(x, scale, shift, y, dims, relu)
 *                                          y = x * scale + shift per channel (then ReLU) (affine.h)
 *   maskedScale(dy, mask | null, scale | null, dx, dims)
 *                                          dx = dy * scale * [mask > 0], the gradient of the above
 *   channelSum(x, out, dims)              out[c] = sum over rows of x (elementwise.h)
 *   binaryOp(op, a, b, out)               out = a + b | a - b | a * b | a / b | max | min (op 0-5), equal sizes
 *   configure({ threads?, isa?, winograd? })
 *                                          thread count; instruction set; Winograd form of 3x3
 *                                          stride-1 convolutions (tests and bench compare them)
 *   info()                                 { isa, isas, threads, winograd }
 *
 * Node-API is ABI-stable, so one build serves Node and Electron alike. Each JavaScript
 * environment (main thread, each worker thread) gets its own thread pool.
 */
#include <node_api.h>

#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "affine.h"
#include "batchnorm.h"
#include "elementwise.h"
#include "isa.h"

namespace {

typedef void (*ConvFn)(const ConvShape &, const float *, const float *, float *, Pool &);
typedef void (*ForwardFn)(const ConvShape &, const float *, const float *, float *, Pool &, const Epilogue *);

struct Isa {
  const char *name;
  ForwardFn conv2d;
  ConvFn filterGrad;
  ConvFn inputGrad;
};

std::vector<Isa> supportedIsas() {
  std::vector<Isa> out;
#if defined(ORTHOLENS_X86)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
    out.push_back({"avx512", isa_avx512::conv2d, isa_avx512::conv2dFilterGrad, isa_avx512::conv2dInputGrad});
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    out.push_back({"avx2", isa_avx2::conv2d, isa_avx2::conv2dFilterGrad, isa_avx2::conv2dInputGrad});
#endif
  out.push_back({"base", isa_base::conv2d, isa_base::conv2dFilterGrad, isa_base::conv2dInputGrad});
  return out;
}

struct Instance {
  std::vector<Isa> isas = supportedIsas();
  Isa isa = isas.front();
  std::unique_ptr<Pool> pool = std::make_unique<Pool>(1);
};

#define CHECK(call)                                                  \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      napi_throw_error(env, nullptr, "ortholens native: " #call);    \
      return nullptr;                                                \
    }                                                                \
  } while (0)

bool floatArray(napi_env env, napi_value v, float **data, size_t *length, const char *what) {
  bool is = false;
  napi_typedarray_type type;
  void *ptr = nullptr;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is ||
      napi_get_typedarray_info(env, v, &type, length, &ptr, nullptr, nullptr) != napi_ok ||
      type != napi_float32_array) {
    napi_throw_type_error(env, nullptr, (std::string(what) + " must be a Float32Array").c_str());
    return false;
  }
  *data = static_cast<float *>(ptr);
  return true;
}

/* The int32 values of an Int32Array of exactly `length` values, or null (with a TypeError thrown). */
const int32_t *int32Values(napi_env env, napi_value v, size_t length, const char *message) {
  bool is = false;
  napi_typedarray_type type;
  size_t n = 0;
  void *ptr = nullptr;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is ||
      napi_get_typedarray_info(env, v, &type, &n, &ptr, nullptr, nullptr) != napi_ok || type != napi_int32_array ||
      n != length) {
    napi_throw_type_error(env, nullptr, message);
    return nullptr;
  }
  return static_cast<const int32_t *>(ptr);
}

bool readShape(napi_env env, napi_value v, ConvShape *s) {
  const int32_t *d = int32Values(env, v, 15, "shape must be an Int32Array of 15 values");
  if (!d) return false;
  *s = ConvShape{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14]};
  bool ok = s->n > 0 && s->h > 0 && s->w > 0 && s->ci > 0 && s->kh > 0 && s->kw > 0 && s->co > 0 && s->sh > 0 &&
            s->sw > 0 && s->dh > 0 && s->dw > 0 && s->padTop >= 0 && s->padLeft >= 0 && s->ho > 0 && s->wo > 0;
  /* Any positive shape is memory-safe: the kernels size their padded copies from it. */
  if (!ok) napi_throw_range_error(env, nullptr, "invalid convolution shape");
  return ok;
}

/* The call's first `want` arguments and this environment's instance; false (with a JavaScript
   error thrown) when there are fewer arguments. `usage` names them for that error. */
bool callArgs(napi_env env, napi_callback_info info, size_t want, napi_value *argv, Instance **inst, const char *usage) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok ||
      napi_get_instance_data(env, reinterpret_cast<void **>(inst)) != napi_ok) {
    napi_throw_error(env, nullptr, "ortholens native: bad call");
    return false;
  }
  if (argc < want) {
    napi_throw_type_error(env, nullptr, (std::string("expected ") + usage).c_str());
    return false;
  }
  return true;
}

enum class ConvOp { Forward, FilterGrad, InputGrad };

/* Shared by the three entry points: args (a, b, out, shape) with a/b/out sizes checked. */
napi_value runConv(napi_env env, napi_callback_info info, ConvOp op) {
  napi_value argv[4];
  Instance *inst = nullptr;
  if (!callArgs(env, info, 4, argv, &inst, "(x|dy, filter|dy, out, shape)")) return nullptr;
  float *a, *b, *out;
  size_t na, nb, nout;
  ConvShape s;
  static const char *names[3][3] = {{"x", "filter", "y"}, {"x", "dy", "dw"}, {"dy", "filter", "dx"}};
  const char *const *name = names[(int)op];
  if (!floatArray(env, argv[0], &a, &na, name[0]) || !floatArray(env, argv[1], &b, &nb, name[1]) ||
      !floatArray(env, argv[2], &out, &nout, name[2]) || !readShape(env, argv[3], &s))
    return nullptr;
  const size_t xSize = (size_t)s.n * s.h * s.w * s.ci;
  const size_t wSize = (size_t)s.kh * s.kw * s.ci * s.co;
  const size_t ySize = (size_t)s.n * s.ho * s.wo * s.co;
  const size_t want[3][3] = {{xSize, wSize, ySize}, {xSize, ySize, wSize}, {ySize, wSize, xSize}};
  if (na != want[(int)op][0] || nb != want[(int)op][1] || nout != want[(int)op][2]) {
    napi_throw_range_error(env, nullptr, "array sizes do not match the convolution shape");
    return nullptr;
  }
  /* conv2d's optional epilogue: (x, filter, y, shape, scale, shift, relu, residual). */
  Epilogue epilogue;
  bool withEpilogue = false;
  if (op == ConvOp::Forward) {
    size_t argc = 8;
    napi_value args[8];
    CHECK(napi_get_cb_info(env, info, &argc, args, nullptr, nullptr));
    if (argc >= 6) {
      float *scale, *shift;
      size_t ns, nh;
      if (!floatArray(env, args[4], &scale, &ns, "scale") || !floatArray(env, args[5], &shift, &nh, "shift"))
        return nullptr;
      if (ns != (size_t)s.co || nh != (size_t)s.co) {
        napi_throw_range_error(env, nullptr, "scale and shift need one value per output channel");
        return nullptr;
      }
      bool relu = false;
      if (argc >= 7) CHECK(napi_get_value_bool(env, args[6], &relu));
      epilogue.scale = scale;
      epilogue.shift = shift;
      epilogue.relu = relu;
      if (argc >= 8) {
        napi_valuetype type;
        CHECK(napi_typeof(env, args[7], &type));
        if (type != napi_undefined && type != napi_null) {
          float *residual;
          size_t nr;
          if (!floatArray(env, args[7], &residual, &nr, "residual")) return nullptr;
          if (nr != ySize) {
            napi_throw_range_error(env, nullptr, "the residual must have the output's size");
            return nullptr;
          }
          epilogue.residual = residual;
        }
      }
      withEpilogue = true;
    }
  }
  try {
    switch (op) {
      case ConvOp::Forward: inst->isa.conv2d(s, a, b, out, *inst->pool, withEpilogue ? &epilogue : nullptr); break;
      case ConvOp::FilterGrad: inst->isa.filterGrad(s, a, b, out, *inst->pool); break;
      case ConvOp::InputGrad: inst->isa.inputGrad(s, a, b, out, *inst->pool); break;
    }
  } catch (const std::exception &e) {
    /* Scratch allocation failed (std::bad_alloc): a JavaScript error, not an abort. */
    napi_throw_error(env, nullptr, (std::string("ortholens native convolution failed: ") + e.what()).c_str());
  }
  return nullptr;
}

/* dims: an Int32Array [rows, channels] of positive values. */
bool readRows(napi_env env, napi_value v, RowsShape *s) {
  const int32_t *d = int32Values(env, v, 2, "dims must be an Int32Array [rows, channels]");
  if (!d) return false;
  *s = RowsShape{d[0], d[1]};
  if (s->rows <= 0 || s->channels <= 0) {
    napi_throw_range_error(env, nullptr, "invalid [rows, channels] shape");
    return false;
  }
  return true;
}

/* A Float32Array of exactly `want` floats, or (when allowed) null for "none". */
bool sizedFloatArray(napi_env env, napi_value v, size_t want, bool nullable, float **data, const char *what) {
  if (nullable) {
    napi_valuetype type;
    if (napi_typeof(env, v, &type) == napi_ok && type == napi_null) {
      *data = nullptr;
      return true;
    }
  }
  size_t n = 0;
  if (!floatArray(env, v, data, &n, what)) return false;
  if (n != want) {
    napi_throw_range_error(env, nullptr, (std::string(what) + ": array size does not match the shape").c_str());
    return false;
  }
  return true;
}

/*
 * Shared by both batch-norm entry points: argv holds `count` Float32Arrays, then dims
 * (Int32Array [rows, channels]) and epsilon. `channelWide[i]` says whether array i has one
 * value per channel (else rows * channels).
 */
bool readBatchNormArgs(napi_env env, napi_callback_info info, size_t count, const bool *channelWide,
                       float **arrays, BatchNormShape *s, Instance **inst) {
  napi_value argv[16];
  if (count + 2 > 16) {
    napi_throw_error(env, nullptr, "ortholens native: too many batch-norm arguments");
    return false;
  }
  if (!callArgs(env, info, count + 2, argv, inst, "the arrays, dims and epsilon")) return false;
  RowsShape dims;
  if (!readRows(env, argv[count], &dims)) return false;
  double epsilon = 0;
  if (napi_get_value_double(env, argv[count + 1], &epsilon) != napi_ok || !(epsilon >= 0)) {
    napi_throw_type_error(env, nullptr, "epsilon must be a number >= 0");
    return false;
  }
  *s = BatchNormShape{dims.rows, dims.channels, (float)epsilon};
  for (size_t i = 0; i < count; i++) {
    const size_t want = channelWide[i] ? (size_t)s->channels : (size_t)s->rows * s->channels;
    if (!sizedFloatArray(env, argv[i], want, false, &arrays[i], "batch norm")) return false;
  }
  return true;
}

napi_value BatchNormForward(napi_env env, napi_callback_info info) {
  static const bool channelWide[] = {false, true, true, false, true, true};  // x gamma beta y mean variance
  float *a[6];
  BatchNormShape s;
  Instance *inst = nullptr;
  if (!readBatchNormArgs(env, info, 6, channelWide, a, &s, &inst)) return nullptr;
  /* An optional ninth argument: ReLU after the normalisation. */
  size_t argc = 9;
  napi_value argv[9];
  bool relu = false;
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc >= 9) CHECK(napi_get_value_bool(env, argv[8], &relu));
  try {
    batchNormForward(s, a[0], a[1], a[2], a[3], a[4], a[5], relu, *inst->pool);
  } catch (const std::exception &e) {
    napi_throw_error(env, nullptr, (std::string("ortholens native batch norm failed: ") + e.what()).c_str());
  }
  return nullptr;
}

napi_value BatchNormBackward(napi_env env, napi_callback_info info) {
  // dy x gamma mean variance dx dgamma dbeta
  static const bool channelWide[] = {false, false, true, true, true, false, true, true};
  float *a[8];
  BatchNormShape s;
  Instance *inst = nullptr;
  if (!readBatchNormArgs(env, info, 8, channelWide, a, &s, &inst)) return nullptr;
  try {
    batchNormBackward(s, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], *inst->pool);
  } catch (const std::exception &e) {
    napi_throw_error(env, nullptr, (std::string("ortholens native batch norm failed: ") + e.what()).c_str());
  }
  return nullptr;
}

napi_value BatchNormDoubleBackward(napi_env env, napi_callback_info info) {
  // a p q dy x gamma mean variance ddy ddx ddgamma
  static const bool channelWide[] = {false, true, true, false, false, true, true, true, false, false, true};
  float *v[11];
  BatchNormShape s;
  Instance *inst = nullptr;
  if (!readBatchNormArgs(env, info, 11, channelWide, v, &s, &inst)) return nullptr;
  try {
    batchNormDoubleBackward(s, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], *inst->pool);
  } catch (const std::exception &e) {
    napi_throw_error(env, nullptr, (std::string("ortholens native batch norm failed: ") + e.what()).c_str());
  }
  return nullptr;
}

napi_value ChannelAffine(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  Instance *inst = nullptr;
  if (!callArgs(env, info, 6, argv, &inst, "(x, scale, shift, y, dims, relu)")) return nullptr;
  RowsShape s;
  float *x, *scale, *shift, *y;
  bool relu = false;
  if (!readRows(env, argv[4], &s)) return nullptr;
  const size_t all = (size_t)s.rows * s.channels;
  if (!sizedFloatArray(env, argv[0], all, false, &x, "x") || !sizedFloatArray(env, argv[1], s.channels, false, &scale, "scale") ||
      !sizedFloatArray(env, argv[2], s.channels, false, &shift, "shift") || !sizedFloatArray(env, argv[3], all, false, &y, "y"))
    return nullptr;
  CHECK(napi_get_value_bool(env, argv[5], &relu));
  channelAffine(s, x, scale, shift, relu, y, *inst->pool);
  return nullptr;
}

napi_value MaskedScale(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  Instance *inst = nullptr;
  if (!callArgs(env, info, 5, argv, &inst, "(dy, mask, scale, dx, dims)")) return nullptr;
  RowsShape s;
  float *dy, *mask, *scale, *dx;
  if (!readRows(env, argv[4], &s)) return nullptr;
  const size_t all = (size_t)s.rows * s.channels;
  if (!sizedFloatArray(env, argv[0], all, false, &dy, "dy") || !sizedFloatArray(env, argv[1], all, true, &mask, "mask") ||
      !sizedFloatArray(env, argv[2], s.channels, true, &scale, "scale") || !sizedFloatArray(env, argv[3], all, false, &dx, "dx"))
    return nullptr;
  maskedScale(s, dy, mask, scale, dx, *inst->pool);
  return nullptr;
}

napi_value ChannelSum(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  Instance *inst = nullptr;
  if (!callArgs(env, info, 3, argv, &inst, "(x, out, dims)")) return nullptr;
  RowsShape s;
  float *x, *out;
  if (!readRows(env, argv[2], &s) || !sizedFloatArray(env, argv[0], (size_t)s.rows * s.channels, false, &x, "x") ||
      !sizedFloatArray(env, argv[1], s.channels, false, &out, "out"))
    return nullptr;
  try {
    channelSum(s, x, out, *inst->pool);
  } catch (const std::exception &e) {
    napi_throw_error(env, nullptr, (std::string("ortholens native sum failed: ") + e.what()).c_str());
  }
  return nullptr;
}

napi_value BinaryOpFn(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  Instance *inst = nullptr;
  if (!callArgs(env, info, 4, argv, &inst, "(op, a, b, out)")) return nullptr;
  int32_t op = -1;
  if (napi_get_value_int32(env, argv[0], &op) != napi_ok || op < 0 || op > 5) {
    napi_throw_range_error(env, nullptr, "op must be 0 (add), 1 (sub), 2 (mul), 3 (div), 4 (max) or 5 (min)");
    return nullptr;
  }
  float *a, *b, *out;
  size_t n = 0;
  if (!floatArray(env, argv[1], &a, &n, "a") || !sizedFloatArray(env, argv[2], n, false, &b, "b") ||
      !sizedFloatArray(env, argv[3], n, false, &out, "out"))
    return nullptr;
  binaryOp((BinaryOp)op, a, b, out, n, *inst->pool);
  return nullptr;
}

napi_value Conv2d(napi_env env, napi_callback_info info) { return runConv(env, info, ConvOp::Forward); }
napi_value Conv2dFilterGrad(napi_env env, napi_callback_info info) { return runConv(env, info, ConvOp::FilterGrad); }
napi_value Conv2dInputGrad(napi_env env, napi_callback_info info) { return runConv(env, info, ConvOp::InputGrad); }

napi_value Configure(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value opts;
  Instance *inst = nullptr;
  CHECK(napi_get_cb_info(env, info, &argc, &opts, nullptr, nullptr));
  CHECK(napi_get_instance_data(env, reinterpret_cast<void **>(&inst)));
  if (argc < 1) return nullptr;
  bool has = false;
  CHECK(napi_has_named_property(env, opts, "threads", &has));
  if (has) {
    napi_value v;
    int32_t threads = 1;
    CHECK(napi_get_named_property(env, opts, "threads", &v));
    CHECK(napi_get_value_int32(env, v, &threads));
    inst->pool->resize(threads < 1 ? 1 : threads > 64 ? 64 : threads);
  }
  CHECK(napi_has_named_property(env, opts, "winograd", &has));
  if (has) {
    napi_value v;
    bool on = true;
    CHECK(napi_get_named_property(env, opts, "winograd", &v));
    CHECK(napi_get_value_bool(env, v, &on));
    winogradSwitch().store(on);
  }
  CHECK(napi_has_named_property(env, opts, "isa", &has));
  if (has) {
    napi_value v;
    char name[32] = {0};
    size_t len = 0;
    CHECK(napi_get_named_property(env, opts, "isa", &v));
    CHECK(napi_get_value_string_utf8(env, v, name, sizeof name, &len));
    for (const Isa &isa : inst->isas)
      if (std::strcmp(isa.name, name) == 0) {
        inst->isa = isa;
        return nullptr;
      }
    napi_throw_range_error(env, nullptr, (std::string("instruction set not available here: ") + name).c_str());
  }
  return nullptr;
}

napi_value Info(napi_env env, napi_callback_info info) {
  Instance *inst = nullptr;
  CHECK(napi_get_instance_data(env, reinterpret_cast<void **>(&inst)));
  napi_value out, isa, isas, threads;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_string_utf8(env, inst->isa.name, NAPI_AUTO_LENGTH, &isa));
  CHECK(napi_create_array_with_length(env, inst->isas.size(), &isas));
  for (size_t i = 0; i < inst->isas.size(); i++) {
    napi_value name;
    CHECK(napi_create_string_utf8(env, inst->isas[i].name, NAPI_AUTO_LENGTH, &name));
    CHECK(napi_set_element(env, isas, (uint32_t)i, name));
  }
  CHECK(napi_create_int32(env, inst->pool->size(), &threads));
  CHECK(napi_set_named_property(env, out, "isa", isa));
  CHECK(napi_set_named_property(env, out, "isas", isas));
  CHECK(napi_set_named_property(env, out, "threads", threads));
  napi_value winograd;
  CHECK(napi_get_boolean(env, winogradEnabled(), &winograd));
  CHECK(napi_set_named_property(env, out, "winograd", winograd));
  return out;
}

}  // namespace

NAPI_MODULE_INIT() {
  Instance *inst = new Instance();
  if (napi_set_instance_data(
          env, inst, [](napi_env, void *data, void *) { delete static_cast<Instance *>(data); }, nullptr) != napi_ok)
    return nullptr;
  napi_property_descriptor props[] = {
      {"conv2d", nullptr, Conv2d, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dFilterGrad", nullptr, Conv2dFilterGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dInputGrad", nullptr, Conv2dInputGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormForward", nullptr, BatchNormForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormBackward", nullptr, BatchNormBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormDoubleBackward", nullptr, BatchNormDoubleBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"channelAffine", nullptr, ChannelAffine, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maskedScale", nullptr, MaskedScale, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"channelSum", nullptr, ChannelSum, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binaryOp", nullptr, BinaryOpFn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"configure", nullptr, Configure, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return nullptr;
  return exports;
}
