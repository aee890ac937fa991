// genre-lab TensorFlow CPU ops: kernels registered into the TensorFlow runtime that tfjs-node has
// already loaded, through TF's C kernel API (tensorflow/c/kernels.h, ops.h), so tfjs-node runs them
// by name like any TF op (binding.executeOp → TFE_Execute): no copy out of TF, no JS buffer, the
// result is a TF tensor. Loaded with the recurrent kernel's addon (native/rnn.cc: same build, same
// thread pool); lib/layers/nativeKernels.ts swaps them in on the native CPU backend only.
//
// The C API is looked up at run time (dlsym in the libtensorflow_framework already in the process)
// instead of linked, so the addon builds without TF's libraries and loads in processes without TF.
//
// Ops:
//   GenreLabMaxPoolGrad(x: float [N,H,W,C], dy: float [N,OH,OW,C]) -> dx: float [N,H,W,C]
//     attrs ksize, strides (list(int), NHWC, 1 on N and C), padding ("SAME" | "VALID").
//     TF's MaxPoolGrad on the CPU: the same argmax (first maximum of the window in row-major order,
//     NaN only when first) and the same order of accumulation (output positions in order), so the
//     same bits. TF's own CPU kernel (SpatialMaxPoolWithArgMaxHelper) runs a scalar loop per channel
//     that costs ~25× its forward pool; here the channels are the inner, vectorised loop.
//   GenreLabMaxPoolArgmax(x: float [N,H,W,C]) -> y: float [N,OH,OW,C], argmax: int32 [N,OH,OW,C]
//     attrs as GenreLabMaxPoolGrad. TF's MaxPool forward and the window's argmax (same rule as above),
//     as an offset (h·W + w)·C + c inside its batch item, for the gradient below.
//   GenreLabMaxPoolScatter(dy: float [N,OH,OW,C], argmax: int32, x_shape: int32 [4]) -> dx: float [N,H,W,C]
//     dx = 0, then dx[argmax] += dy in output order: GenreLabMaxPoolGrad's values without re-searching x.
//   GenreLabMaxPoolScatterRelu(dy, argmax, y: float pooled, x_shape) -> dx, db: float [C]
//     For a pool whose input is relu(z): dx = dz = the scatter of dy·(y > 0) (at an argmax the input
//     equals y; elsewhere dx is 0 anyway), which is ReluGrad(pool gradient, relu output); db = Σ dz per
//     channel (items' sums added in item order: deterministic), BiasAddGrad of it.
//   GenreLabBiasReluPool(x: float [N,H,W,C], bias: float [C]) -> y, argmax: [N,OH,OW,C]
//     attrs as GenreLabMaxPoolArgmax. GenreLabBiasRelu then GenreLabMaxPoolArgmax in one pass over x
//     (relu(x + bias) computed per window element, nothing full-size written): the same y bits and
//     argmax. Its gradient is GenreLabMaxPoolScatterRelu.
//   GenreLabBatchNormReluPool(x: float [N,H,W,C], bias, gamma, beta, moving_mean, moving_var: float [C])
//       -> y, argmax: [N,OH,OW,C], mean, inv_std, new_moving_mean, new_moving_var: float [C]
//     attrs epsilon, decay (as GenreLabBatchNorm) and the pool's. maxpool(relu(BN_train(x + bias))): the
//     statistics taken on x (the bias shifts only the mean: `mean` is x's, the moving mean is updated
//     with mean + bias), then the pool over relu((x − mean)·γ·inv_std + β) computed per window element.
//   GenreLabBatchNormReluPoolGrad(dy, argmax: int32, y: pooled, x: [N,H,W,C], gamma, mean, inv_std: [C])
//       -> dx: [N,H,W,C], dgamma, dbeta, dbias: [C]
//     The unfused chain's gradients (MaxPoolScatter → ReluGrad → BatchNormGrad → BiasAddGrad): BN's sums
//     from the pooled tensors (x gathered at the argmax), then dx = a·(x − mean) + b plus k·dy·(y > 0) at
//     the argmax, one batch item at a time; dbias = Σ dx per channel (≈ 0).
//   GenreLabBatchNorm(x: float [..., C], gamma, beta, moving_mean, moving_var: float [C])
//       -> y, mean, inv_std, new_moving_mean, new_moving_var
//     attrs epsilon, decay (= 1 − Keras' momentum). Training-mode batch normalisation over all but the
//     last axis: the batch mean and biased variance (two passes, sums in double per slab of rows, slabs
//     added in order: deterministic), y = (x − mean)·γ/√(var + ε) + β, and the moving statistics updated
//     as tfjs-layers does (m − (m − batch)·decay, in float).
//   GenreLabBatchNormGrad(dy, x: float [..., C], gamma, mean, inv_std: float [C]) -> dx, dgamma, dbeta
//     dβ = Σ dy, dγ = Σ dy·x̂, dx = γ·inv_std·(dy − dβ/n − x̂·dγ/n), x̂ = (x − mean)·inv_std.
//   GenreLabBiasRelu(x: float [..., C], bias: float [C]) -> y = relu(x + bias)
//     TF's BiasAdd then Relu in one pass (one output instead of two); NaN propagates as in TF's Relu.
//   GenreLabReluBiasGrad(dy: float [..., C], y: float [..., C]) -> dz = dy·(y > 0), db = Σ dz over all but C
//     TF's ReluGrad then BiasAddGrad in one pass; db sums in a fixed order (per thread slab, then slabs
//     in order), so results do not depend on timing.
//   GenreLabAttention(qkv: float [B,T,3·H·E]) -> out [B,T,H·E], lse [B,H,T]; attr heads
//   GenreLabAttentionGrad(qkv, out, lse, dout) -> dqkv [B,T,3·H·E]; attr heads
//     rnn.cc's attention kernel (softmax(Q·Kᵀ/√E)·V per batch row and head, the backward recomputing
//     each T×T matrix) on q, k, v as the column blocks of one projection's output.
//   GenreLabLayerNorm(x: float [...,C], gamma [C], beta [C]) -> y, xhat (x's shape), rstd [rows]; attr epsilon
//   GenreLabLayerNormGrad(dy, xhat, rstd, gamma) -> dx, dgamma, dbeta
//     rnn.cc's layer normalisation over the last axis.
//   GenreLabDropout(x: float, seed: int32 [2]) -> y = x·mask, mask (1/(1−rate) kept, else 0); attr rate
//     Uniform draws from a counter-based hash of (seed, element index): the same mask on any thread count.
//   GenreLabAdam(w: N × float, g: N × float, m: N × float, v: N × float, hyper: float [6]) -> w', m', v' (N × float each)
//     attr N. hyper = [β₁ᵗ, β₂ᵗ, lr, β₁, β₂, ε̂]. TensorFlow's ApplyAdam (CPU) on all N variables in one call:
//     α = lr·√(1−β₂ᵗ)/(1−β₁ᵗ), m' = m + (g − m)(1−β₁), v' = v + (g² − v)(1−β₂), w' = w − m'α/(√v' + ε̂),
//     into new outputs (no input is written: a weight's buffer may be shared with its clones).
#include <dlfcn.h>
#include <link.h>
#ifndef GENRE_LAB_RNN_NO_NODE
#include <node_api.h>
#endif

#include <algorithm>
#include <cstdint>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <string>
#include <type_traits>
#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif
#include <vector>

// rnn.cc's thread pool and kernels.
void genre_lab_parallel(int n, const std::function<void(int)>& fn);
void genre_lab_attention_forward(int B, int T, int H, int E, int64_t ld, float scale, const float* q, const float* k, const float* v, float* out, float* lse);
void genre_lab_attention_backward(int B, int T, int H, int E, int64_t ld, float scale, const float* q, const float* k, const float* v, const float* out,
                                  const float* lse, const float* dout, float* dq, float* dk, float* dv);
void genre_lab_layer_norm_forward(int64_t N, int C, float eps, const float* x, const float* gamma, const float* beta, float* y, float* xhat, float* rstd);
void genre_lab_layer_norm_backward(int64_t N, int C, const float* dy, const float* xhat, const float* rstd, const float* gamma, float* dx, float* dgamma,
                                   float* dbeta);

namespace {

// The C API's opaque types and the functions used, as tensorflow/c declares them.
struct TF_Status;
struct TF_Tensor;
struct TF_OpKernelConstruction;
struct TF_OpKernelContext;
struct TF_KernelBuilder;
struct TF_OpDefinitionBuilder;
struct TF_ShapeInferenceContext;
constexpr int TF_FLOAT = 1;
constexpr int TF_INT32 = 3;
constexpr int TF_INVALID_ARGUMENT = 3;

struct Api {
  TF_Status* (*NewStatus)();
  void (*DeleteStatus)(TF_Status*);
  int (*GetCode)(const TF_Status*);
  const char* (*Message)(const TF_Status*);
  void (*SetStatus)(TF_Status*, int, const char*);
  int (*NumDims)(const TF_Tensor*);
  int64_t (*Dim)(const TF_Tensor*, int);
  void* (*TensorData)(const TF_Tensor*);
  void (*DeleteTensor)(TF_Tensor*);
  TF_OpDefinitionBuilder* (*NewOpDefinitionBuilder)(const char*);
  void (*OpDefinitionBuilderAddInput)(TF_OpDefinitionBuilder*, const char*);
  void (*OpDefinitionBuilderAddOutput)(TF_OpDefinitionBuilder*, const char*);
  void (*OpDefinitionBuilderAddAttr)(TF_OpDefinitionBuilder*, const char*);
  void (*OpDefinitionBuilderSetShapeInferenceFunction)(TF_OpDefinitionBuilder*, void (*)(TF_ShapeInferenceContext*, TF_Status*));
  void (*ShapeInferenceContextSetUnknownShape)(TF_ShapeInferenceContext*, TF_Status*);
  void (*RegisterOpDefinition)(TF_OpDefinitionBuilder*, TF_Status*);
  TF_KernelBuilder* (*NewKernelBuilder)(const char*, const char*, void* (*)(TF_OpKernelConstruction*), void (*)(void*, TF_OpKernelContext*), void (*)(void*));
  void (*RegisterKernelBuilder)(const char*, TF_KernelBuilder*, TF_Status*);
  void (*GetInput)(TF_OpKernelContext*, int, TF_Tensor**, TF_Status*);
  TF_Tensor* (*AllocateOutput)(TF_OpKernelContext*, int, int, const int64_t*, int, size_t, TF_Status*);
  void (*OpKernelContext_Failure)(TF_OpKernelContext*, TF_Status*);
  void (*OpKernelConstruction_Failure)(TF_OpKernelConstruction*, TF_Status*);
  void (*OpKernelConstruction_GetAttrSize)(TF_OpKernelConstruction*, const char*, int32_t*, int32_t*, TF_Status*);
  void (*OpKernelConstruction_GetAttrInt32List)(TF_OpKernelConstruction*, const char*, int32_t*, int, TF_Status*);
  void (*OpKernelConstruction_GetAttrString)(TF_OpKernelConstruction*, const char*, char*, size_t, TF_Status*);
  void (*OpKernelConstruction_GetAttrInt32)(TF_OpKernelConstruction*, const char*, int32_t*, TF_Status*);
  void (*OpKernelConstruction_GetAttrFloat)(TF_OpKernelConstruction*, const char*, float*, TF_Status*);
};
Api api;

// The loaded shared objects whose file name contains `part`.
std::vector<std::string> loaded(const char* part) {
  std::vector<std::string> out;
  struct Ctx {
    const char* part;
    std::vector<std::string>* out;
  } ctx{part, &out};
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* p) {
        auto* c = static_cast<Ctx*>(p);
        if (info->dlpi_name && std::strstr(info->dlpi_name, c->part)) c->out->push_back(info->dlpi_name);
        return 0;
      },
      &ctx);
  return out;
}

// Fills `api` from the TensorFlow framework library in this process; '' or why not.
std::string resolve() {
  std::vector<void*> handles;
  for (const char* part : {"libtensorflow_framework", "libtensorflow"})
    for (const auto& file : loaded(part))
      if (void* h = dlopen(file.c_str(), RTLD_NOW | RTLD_NOLOAD)) handles.push_back(h);
  if (handles.empty()) return "no TensorFlow library is loaded in this process (load @tensorflow/tfjs-node first)";
  std::string missing;
  auto get = [&](auto& fn, const char* name) {
    void* s = nullptr;
    for (void* h : handles)
      if ((s = dlsym(h, name))) break;
    if (!s) missing += std::string(missing.empty() ? "" : ", ") + name;
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(s);
  };
#define GET(f) get(api.f, "TF_" #f)
  GET(NewStatus), GET(DeleteStatus), GET(GetCode), GET(Message), GET(SetStatus), GET(NumDims), GET(Dim), GET(TensorData), GET(DeleteTensor);
  GET(NewOpDefinitionBuilder), GET(OpDefinitionBuilderAddInput), GET(OpDefinitionBuilderAddOutput), GET(OpDefinitionBuilderAddAttr);
  GET(OpDefinitionBuilderSetShapeInferenceFunction), GET(ShapeInferenceContextSetUnknownShape), GET(RegisterOpDefinition);
  GET(NewKernelBuilder), GET(RegisterKernelBuilder), GET(GetInput), GET(AllocateOutput), GET(OpKernelContext_Failure), GET(OpKernelConstruction_Failure);
  GET(OpKernelConstruction_GetAttrSize), GET(OpKernelConstruction_GetAttrInt32List), GET(OpKernelConstruction_GetAttrString), GET(OpKernelConstruction_GetAttrFloat);
  GET(OpKernelConstruction_GetAttrInt32);
#undef GET
  return missing.empty() ? "" : "the TensorFlow library lacks " + missing;
}

// fn(0) … fn(n−1): on both cores when the op touches at least parallelMin() values (2^18), else on the
// calling thread. Below that, waking the pool's helper costs more than it saves: on a quiet 2-core machine
// splitting pays from the lecture CNN's second block (254k values) up and loses at 63k
// (bench/block_ops.ts with GENRE_LAB_PARALLEL_MIN=0 against the default); on a busy one it loses more.
// Results never depend on it: the split of the work into tasks is the same either way.
// GENRE_LAB_PARALLEL_MIN=<values> overrides the threshold (read once; for measuring it).
int64_t parallelMin() {
  static const int64_t v = [] {
    const char* e = std::getenv("GENRE_LAB_PARALLEL_MIN");
    return e && *e ? int64_t(std::strtoll(e, nullptr, 10)) : int64_t(1) << 18;
  }();
  return v;
}
void tasks(int n, int64_t values, const std::function<void(int)>& fn) {
  if (values >= parallelMin()) return genre_lab_parallel(n, fn);
  for (int k = 0; k < n; k++) fn(k);
}

// ---- GenreLabMaxPoolGrad ----

struct PoolAttrs {
  int kh, kw, sh, sw;
  bool same;
};

void* poolCreate(TF_OpKernelConstruction* ctx) {
  TF_Status* s = api.NewStatus();
  auto* p = new PoolAttrs{};
  int32_t ksize[4] = {0}, strides[4] = {0};
  char padding[8] = {0};
  int32_t n = 0, total = 0;
  api.OpKernelConstruction_GetAttrSize(ctx, "ksize", &n, &total, s);
  if (api.GetCode(s) == 0 && n == 4) api.OpKernelConstruction_GetAttrInt32List(ctx, "ksize", ksize, 4, s);
  if (api.GetCode(s) == 0) api.OpKernelConstruction_GetAttrSize(ctx, "strides", &n, &total, s);
  if (api.GetCode(s) == 0 && n == 4) api.OpKernelConstruction_GetAttrInt32List(ctx, "strides", strides, 4, s);
  if (api.GetCode(s) == 0) api.OpKernelConstruction_GetAttrString(ctx, "padding", padding, sizeof padding - 1, s);
  if (api.GetCode(s) == 0) {
    p->kh = ksize[1], p->kw = ksize[2], p->sh = strides[1], p->sw = strides[2];
    p->same = std::string(padding) == "SAME";
    if (ksize[0] != 1 || ksize[3] != 1 || strides[0] != 1 || strides[3] != 1 || p->kh < 1 || p->kw < 1 || p->sh < 1 || p->sw < 1 ||
        !(p->same || std::string(padding) == "VALID"))
      api.SetStatus(s, TF_INVALID_ARGUMENT, "GenreLab max pool ops: ksize/strides must be [1, h, w, 1] (positive) and padding SAME or VALID");
  }
  if (api.GetCode(s) != 0) api.OpKernelConstruction_Failure(ctx, s);
  api.DeleteStatus(s);
  return p;
}

void poolDelete(void* p) { delete static_cast<PoolAttrs*>(p); }

// Output size and leading padding of one spatial axis, as TF computes them (GetWindowedOutputSize).
void windowed(int64_t in, int k, int stride, bool same, int64_t& out, int64_t& padBefore) {
  if (same) {
    out = (in + stride - 1) / stride;
    const int64_t need = std::max<int64_t>(0, (out - 1) * stride + k - in);
    padBefore = need / 2;
  } else {
    out = (in - k + stride) / stride;
    padBefore = 0;
  }
}

void poolGradCompute(void* attrs, TF_OpKernelContext* ctx) {
  const PoolAttrs& p = *static_cast<PoolAttrs*>(attrs);
  TF_Status* s = api.NewStatus();
  TF_Tensor *x = nullptr, *dy = nullptr, *dx = nullptr;
  api.GetInput(ctx, 0, &x, s);
  if (api.GetCode(s) == 0) api.GetInput(ctx, 1, &dy, s);
  if (api.GetCode(s) == 0 && (api.NumDims(x) != 4 || api.NumDims(dy) != 4))
    api.SetStatus(s, TF_INVALID_ARGUMENT, "GenreLabMaxPoolGrad: x must be [N,H,W,C] and dy the pooled shape [N,OH,OW,C]");
  if (api.GetCode(s) == 0) {
    const int64_t N = api.Dim(x, 0), H = api.Dim(x, 1), W = api.Dim(x, 2), C = api.Dim(x, 3);
    int64_t OH, OW, padT, padL;
    windowed(H, p.kh, p.sh, p.same, OH, padT);
    windowed(W, p.kw, p.sw, p.same, OW, padL);
    if (H * W * C >= INT32_MAX) {
      api.SetStatus(s, TF_INVALID_ARGUMENT, "GenreLabMaxPoolGrad: one example must hold fewer than 2^31 values");
    } else if (api.Dim(dy, 0) != N || api.Dim(dy, 1) != OH || api.Dim(dy, 2) != OW || api.Dim(dy, 3) != C) {
      api.SetStatus(s, TF_INVALID_ARGUMENT, "GenreLabMaxPoolGrad: x must be [N,H,W,C] and dy the pooled shape [N,OH,OW,C]");
    } else {
      const int64_t dims[4] = {N, H, W, C};
      dx = api.AllocateOutput(ctx, 0, TF_FLOAT, dims, 4, size_t(N * H * W * C) * sizeof(float), s);
      if (api.GetCode(s) == 0) {
        const float* xs = static_cast<const float*>(api.TensorData(x));
        const float* gs = static_cast<const float*>(api.TensorData(dy));
        float* out = static_cast<float*>(api.TensorData(dx));
        // One task per batch item (windows overlap when stride < ksize, so rows of one item are not independent).
        genre_lab_parallel(int(N), [&](int b) {
          // Per window: the running maximum and its position for all C channels at once, branch-free
          // (a data-dependent branch per channel and window element is what makes TF's kernel slow).
          std::vector<float> best(C);
          std::vector<int32_t> at(C);
          float* __restrict bs = best.data();
          int32_t* __restrict as = at.data();
          const float* xb = xs + b * H * W * C;
          float* ob = out + b * H * W * C;
          std::fill(ob, ob + H * W * C, 0.f);
          for (int64_t oh = 0; oh < OH; oh++) {
            const int64_t h0 = std::max<int64_t>(oh * p.sh - padT, 0), h1 = std::min<int64_t>(oh * p.sh - padT + p.kh, H);
            for (int64_t ow = 0; ow < OW; ow++) {
              const int64_t w0 = std::max<int64_t>(ow * p.sw - padL, 0), w1 = std::min<int64_t>(ow * p.sw - padL + p.kw, W);
              if (h0 >= h1 || w0 >= w1) continue;  // an empty window (cannot happen with TF's output sizes)
              {
                const int32_t pos = int32_t((h0 * W + w0) * C);
                const float* __restrict v = xb + pos;
                for (int64_t d = 0; d < C; d++) bs[d] = v[d], as[d] = pos + int32_t(d);
              }
              for (int64_t h = h0; h < h1; h++)
                for (int64_t w = (h == h0 ? w0 + 1 : w0); w < w1; w++) {
                  const int32_t pos = int32_t((h * W + w) * C);
                  const float* __restrict v = xb + pos;
                  for (int64_t d = 0; d < C; d++) {
                    const bool gt = v[d] > bs[d];
                    bs[d] = gt ? v[d] : bs[d];
                    as[d] = gt ? pos + int32_t(d) : as[d];
                  }
                }
              const float* g = gs + ((b * OH + oh) * OW + ow) * C;
              for (int64_t d = 0; d < C; d++) ob[as[d]] += g[d];
            }
          }
        });
      }
    }
  }
  if (api.GetCode(s) != 0) api.OpKernelContext_Failure(ctx, s);
  if (x) api.DeleteTensor(x);
  if (dy) api.DeleteTensor(dy);
  if (dx) api.DeleteTensor(dx);
  api.DeleteStatus(s);
}

// ---- GenreLabMaxPoolArgmax / GenreLabMaxPoolScatter(Relu) ----

bool tensorFailed(TF_Status* s) { return api.GetCode(s) != 0; }

// What the pool sees of x: the identity (GenreLabMaxPoolArgmax), relu(x + bias) (GenreLabBiasReluPool) or
// relu((x − mean)·scale + beta) (GenreLabBatchNormReluPool), each computed per element as the unfused
// op computes it (same float operations, so the same bits as that op's output). s(): one channel;
// v16()/v8(): channels [d, d + 16/8). max(0, v) as _mm*_max_ps(0, v) is `v < 0 ? 0 : v` exactly
// (−0 stays −0, NaN stays NaN: the instruction returns its second operand when either is NaN).
struct Identity {
  float s(float v, int64_t) const { return v; }
#if defined(__AVX512F__)
  __m512 v16(__m512 v, int64_t) const { return v; }
#elif defined(__AVX2__)
  __m256 v8(__m256 v, int64_t) const { return v; }
#endif
};
struct BiasReluOf {
  const float* bias;
  float s(float x, int64_t d) const {
    const float v = x + bias[d];
    return v < 0.f ? 0.f : v;  // as GenreLabBiasRelu
  }
#if defined(__AVX512F__)
  __m512 v16(__m512 x, int64_t d) const { return _mm512_max_ps(_mm512_setzero_ps(), _mm512_add_ps(x, _mm512_loadu_ps(bias + d))); }
#elif defined(__AVX2__)
  __m256 v8(__m256 x, int64_t d) const { return _mm256_max_ps(_mm256_setzero_ps(), _mm256_add_ps(x, _mm256_loadu_ps(bias + d))); }
#endif
};
struct BnReluOf {
  const float *mean, *scale, *beta;
  float s(float x, int64_t d) const {
    const float v = (x - mean[d]) * scale[d] + beta[d];  // as GenreLabBatchNorm's y
    return v < 0.f ? 0.f : v;
  }
#if defined(__AVX512F__)
  __m512 v16(__m512 x, int64_t d) const {
    const __m512 v = _mm512_add_ps(_mm512_mul_ps(_mm512_sub_ps(x, _mm512_loadu_ps(mean + d)), _mm512_loadu_ps(scale + d)), _mm512_loadu_ps(beta + d));
    return _mm512_max_ps(_mm512_setzero_ps(), v);
  }
#elif defined(__AVX2__)
  __m256 v8(__m256 x, int64_t d) const {
    const __m256 v = _mm256_add_ps(_mm256_mul_ps(_mm256_sub_ps(x, _mm256_loadu_ps(mean + d)), _mm256_loadu_ps(scale + d)), _mm256_loadu_ps(beta + d));
    return _mm256_max_ps(_mm256_setzero_ps(), v);
  }
#endif
};

// The pooled shape of x [N,H,W,C] under `p`; false (and the status set, naming `op`) when it cannot be pooled.
struct PoolGeom {
  int64_t N, H, W, C, OH, OW, padT, padL;
};
bool poolGeometry(const PoolAttrs& p, TF_Tensor* x, const char* op, TF_Status* s, PoolGeom& g) {
  if (api.NumDims(x) != 4) {
    api.SetStatus(s, TF_INVALID_ARGUMENT, (std::string(op) + ": x must be [N,H,W,C]").c_str());
    return false;
  }
  g.N = api.Dim(x, 0), g.H = api.Dim(x, 1), g.W = api.Dim(x, 2), g.C = api.Dim(x, 3);
  windowed(g.H, p.kh, p.sh, p.same, g.OH, g.padT);
  windowed(g.W, p.kw, p.sw, p.same, g.OW, g.padL);
  if (g.H * g.W * g.C >= INT32_MAX) api.SetStatus(s, TF_INVALID_ARGUMENT, (std::string(op) + ": one example must hold fewer than 2^31 values").c_str());
  else if (g.OH < 1 || g.OW < 1) api.SetStatus(s, TF_INVALID_ARGUMENT, (std::string(op) + ": the window is larger than the input").c_str());
  return !tensorFailed(s);
}

#if defined(__AVX512F__)
// G windows-and-channel-blocks ("units") of one output row in lockstep: unit u's window spans rows
// [h0, h1) and columns [wStart[u], wStart[u] + kw), channels [dOff[u], dOff[u] + 16); its outputs are
// written at y/argmax + u·16 (the units' outputs are consecutive: a window's channel blocks, or with
// 16 channels consecutive windows). Each unit's elements in row-major window order, strict >: TF's rule.
template <int G, class F>
inline void poolUnits(const float* xb, int64_t W, int64_t C, int64_t h0, int64_t h1, int64_t kw, const int64_t* wStart, const int64_t* dOff, float* y,
                      int32_t* am, const F& f) {
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  __m512 m[G];
  __m512i a[G];
  for (int u = 0; u < G; u++) {
    const int32_t pos = int32_t((h0 * W + wStart[u]) * C + dOff[u]);
    m[u] = f.v16(_mm512_loadu_ps(xb + pos), dOff[u]);
    a[u] = _mm512_add_epi32(_mm512_set1_epi32(pos), lane);
  }
  for (int64_t h = h0; h < h1; h++)
    for (int64_t dw = (h == h0 ? 1 : 0); dw < kw; dw++)
      for (int u = 0; u < G; u++) {
        const int32_t pos = int32_t((h * W + wStart[u] + dw) * C + dOff[u]);
        const __m512 v = f.v16(_mm512_loadu_ps(xb + pos), dOff[u]);
        const __mmask16 gt = _mm512_cmp_ps_mask(v, m[u], _CMP_GT_OQ);
        m[u] = _mm512_mask_mov_ps(m[u], gt, v);
        a[u] = _mm512_mask_mov_epi32(a[u], gt, _mm512_add_epi32(_mm512_set1_epi32(pos), lane));
      }
  for (int u = 0; u < G; u++) {
    _mm512_storeu_ps(y + 16 * u, m[u]);
    _mm512_storeu_si512(am + 16 * u, a[u]);
  }
}
#endif

// Batch item b of a max pool with argmax over f(x) (TF's MaxPool and its argmax rule: the first maximum
// of the window in row-major order; argmax as the offset (h·W + w)·C + c inside the item).
template <class F>
void poolItem(const PoolAttrs& p, const PoolGeom& g, int64_t b, const float* xs, float* ys, int32_t* ams, const F& f) {
  const int64_t H = g.H, W = g.W, C = g.C, OH = g.OH, OW = g.OW;
  const float* xb = xs + b * H * W * C;
  for (int64_t oh = 0; oh < OH; oh++) {
    const int64_t h0 = std::max<int64_t>(oh * p.sh - g.padT, 0), h1 = std::min<int64_t>(oh * p.sh - g.padT + p.kh, H);
    for (int64_t ow = 0; ow < OW; ow++) {
      const int64_t w0 = std::max<int64_t>(ow * p.sw - g.padL, 0), w1 = std::min<int64_t>(ow * p.sw - g.padL + p.kw, W);
      float* ybs = ys + ((b * OH + oh) * OW + ow) * C;
      int32_t* abs_ = ams + ((b * OH + oh) * OW + ow) * C;
      const int32_t first = int32_t((h0 * W + w0) * C);
      int64_t d0 = 0;
#if defined(__AVX512F__)
      // 16 channels at a time, the running maximum and its position in registers over the window
      // (the compiler's own vectorisation of the loop below keeps them in memory: 4× slower). The
      // compare → select chain of one vector is latency-bound: up to 4 independent vectors (the window's
      // channel blocks, or with 16 channels this window and the next when they have the same extent)
      // run in lockstep, each in its own window order: the same results.
      if (C % 16 == 0 && C <= 64) {
        const int nc = int(C / 16);
        int64_t wStart[4], dOff[4];
        int units = 0;
        for (int c = 0; c < nc; c++) wStart[units] = w0, dOff[units++] = 16 * c;
        bool pair = false;
        if (nc == 1 && ow + 1 < OW) {
          const int64_t v0 = std::max<int64_t>((ow + 1) * p.sw - g.padL, 0), v1 = std::min<int64_t>((ow + 1) * p.sw - g.padL + p.kw, W);
          if (v1 - v0 == w1 - w0) wStart[units] = v0, dOff[units++] = 0, pair = true;
        }
        switch (units) {
          case 1: poolUnits<1>(xb, W, C, h0, h1, w1 - w0, wStart, dOff, ybs, abs_, f); break;
          case 2: poolUnits<2>(xb, W, C, h0, h1, w1 - w0, wStart, dOff, ybs, abs_, f); break;
          case 3: poolUnits<3>(xb, W, C, h0, h1, w1 - w0, wStart, dOff, ybs, abs_, f); break;
          default: poolUnits<4>(xb, W, C, h0, h1, w1 - w0, wStart, dOff, ybs, abs_, f); break;
        }
        if (pair) ow++;  // the next window is done (its outputs follow this one's: C values on)
        continue;
      }
      const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
      for (; d0 + 16 <= C; d0 += 16) {
        __m512 m = f.v16(_mm512_loadu_ps(xb + first + d0), d0);
        __m512i a = _mm512_add_epi32(_mm512_set1_epi32(first + int32_t(d0)), lane);
        for (int64_t h = h0; h < h1; h++)
          for (int64_t w = (h == h0 ? w0 + 1 : w0); w < w1; w++) {
            const int32_t pos = int32_t((h * W + w) * C + d0);
            const __m512 v = f.v16(_mm512_loadu_ps(xb + pos), d0);
            const __mmask16 gt = _mm512_cmp_ps_mask(v, m, _CMP_GT_OQ);
            m = _mm512_mask_mov_ps(m, gt, v);
            a = _mm512_mask_mov_epi32(a, gt, _mm512_add_epi32(_mm512_set1_epi32(pos), lane));
          }
        _mm512_storeu_ps(ybs + d0, m);
        _mm512_storeu_si512(abs_ + d0, a);
      }
#elif defined(__AVX2__)
      const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
      for (; d0 + 8 <= C; d0 += 8) {
        __m256 m = f.v8(_mm256_loadu_ps(xb + first + d0), d0);
        __m256 a = _mm256_castsi256_ps(_mm256_add_epi32(_mm256_set1_epi32(first + int32_t(d0)), lane));
        for (int64_t h = h0; h < h1; h++)
          for (int64_t w = (h == h0 ? w0 + 1 : w0); w < w1; w++) {
            const int32_t pos = int32_t((h * W + w) * C + d0);
            const __m256 v = f.v8(_mm256_loadu_ps(xb + pos), d0);
            const __m256 gt = _mm256_cmp_ps(v, m, _CMP_GT_OQ);
            m = _mm256_blendv_ps(m, v, gt);
            a = _mm256_blendv_ps(a, _mm256_castsi256_ps(_mm256_add_epi32(_mm256_set1_epi32(pos), lane)), gt);
          }
        _mm256_storeu_ps(ybs + d0, m);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(abs_ + d0), _mm256_castps_si256(a));
      }
#endif
      for (; d0 < C; d0++) {  // the rest (or all, without AVX): the same rule, one channel at a time
        float m = f.s(xb[first + d0], d0);
        int32_t a = first + int32_t(d0);
        for (int64_t h = h0; h < h1; h++)
          for (int64_t w = (h == h0 ? w0 + 1 : w0); w < w1; w++) {
            const int32_t pos = int32_t((h * W + w) * C + d0);
            const float v = f.s(xb[pos], d0);
            if (v > m) m = v, a = pos;
          }
        ybs[d0] = m;
        abs_[d0] = a;
      }
    }
  }
}

// Allocates the pooled y and argmax (outputs `out`, `out` + 1) and pools f(x) into them, one task per item.
template <class F>
void poolOutputs(const PoolAttrs& p, const PoolGeom& g, TF_OpKernelContext* ctx, int out, const float* xs, TF_Status* s, TF_Tensor*& y, TF_Tensor*& am,
                 const F& f) {
  const int64_t dims[4] = {g.N, g.OH, g.OW, g.C};
  const size_t n = size_t(g.N * g.OH * g.OW * g.C);
  y = api.AllocateOutput(ctx, out, TF_FLOAT, dims, 4, n * sizeof(float), s);
  if (!tensorFailed(s)) am = api.AllocateOutput(ctx, out + 1, TF_INT32, dims, 4, n * sizeof(int32_t), s);
  if (tensorFailed(s)) return;
  float* ys = static_cast<float*>(api.TensorData(y));
  int32_t* ams = static_cast<int32_t*>(api.TensorData(am));
  tasks(int(g.N), g.N * g.H * g.W * g.C, [&](int b) { poolItem(p, g, b, xs, ys, ams, f); });
}

void poolArgmaxCompute(void* attrs, TF_OpKernelContext* ctx) {
  const PoolAttrs& p = *static_cast<PoolAttrs*>(attrs);
  TF_Status* s = api.NewStatus();
  TF_Tensor *x = nullptr, *y = nullptr, *am = nullptr;
  api.GetInput(ctx, 0, &x, s);
  PoolGeom g;
  if (!tensorFailed(s) && poolGeometry(p, x, "GenreLabMaxPoolArgmax", s, g))
    poolOutputs(p, g, ctx, 0, static_cast<const float*>(api.TensorData(x)), s, y, am, Identity{});
  if (tensorFailed(s)) api.OpKernelContext_Failure(ctx, s);
  for (TF_Tensor* t : {x, y, am})
    if (t) api.DeleteTensor(t);
  api.DeleteStatus(s);
}

// GenreLabBiasReluPool(x, bias) -> y, argmax: GenreLabBiasRelu then GenreLabMaxPoolArgmax in one pass over x.
void biasReluPoolCompute(void* attrs, TF_OpKernelContext* ctx) {
  const PoolAttrs& p = *static_cast<PoolAttrs*>(attrs);
  TF_Status* s = api.NewStatus();
  TF_Tensor *x = nullptr, *b = nullptr, *y = nullptr, *am = nullptr;
  api.GetInput(ctx, 0, &x, s);
  if (!tensorFailed(s)) api.GetInput(ctx, 1, &b, s);
  PoolGeom g;
  if (!tensorFailed(s) && poolGeometry(p, x, "GenreLabBiasReluPool", s, g)) {
    if (api.NumDims(b) != 1 || api.Dim(b, 0) != g.C) api.SetStatus(s, TF_INVALID_ARGUMENT, "GenreLabBiasReluPool: bias must be [C], C the last dim of x");
    else poolOutputs(p, g, ctx, 0, static_cast<const float*>(api.TensorData(x)), s, y, am, BiasReluOf{static_cast<const float*>(api.TensorData(b))});
  }
  if (tensorFailed(s)) api.OpKernelContext_Failure(ctx, s);
  for (TF_Tensor* t : {x, b, y, am})
    if (t) api.DeleteTensor(t);
  api.DeleteStatus(s);
}

// One batch item of a pooled gradient after a ReLU: dz = dy·(y > 0) (as TF's ReluGrad) at the argmax
// positions (a foreign argmax outside the item is skipped), pooled values in output order.
// poolBnSums: s0[d] += dz, s1[d] += dz·(x[argmax] − mean[d]), in double, in output order per channel.
// poolScatter<masked, scaled>: dx[argmax] += v in output order, v = dy, ·(y > 0) if masked (then also
// sum[d] += v, float), ·k[d] if scaled: GenreLabMaxPoolScatter, GenreLabMaxPoolScatterRelu and the BN
// gradient's scatter of k·dz.
// The AVX-512 paths (16 channels a vector, gathers/scatters: the lanes of one vector are different
// channels, so different addresses) do the same float/double operations in the same order per channel
// as the scalar loops: the same bits.
void poolBnSums(int64_t C, int64_t pooled, int64_t item, const float* g, const float* y, const int32_t* am, const float* x, const float* mean, double* s0,
                double* s1) {
  int64_t d0 = 0;
#if defined(__AVX512F__)
  const __m512i items = _mm512_set1_epi32(int32_t(item));
  const __m512 one = _mm512_set1_ps(1.f), zero = _mm512_setzero_ps();
  for (; d0 + 16 <= C; d0 += 16) {
    __m512d a0l = _mm512_loadu_pd(s0 + d0), a0h = _mm512_loadu_pd(s0 + d0 + 8), a1l = _mm512_loadu_pd(s1 + d0), a1h = _mm512_loadu_pd(s1 + d0 + 8);
    const __m512 mv = _mm512_loadu_ps(mean + d0);
    const __m512d ml = _mm512_cvtps_pd(_mm512_castps512_ps256(mv)), mh = _mm512_cvtps_pd(_mm512_extractf32x8_ps(mv, 1));
    for (int64_t j = d0; j < pooled; j += C) {
      const __m512i at = _mm512_loadu_si512(am + j);
      const __mmask16 ok = _mm512_cmplt_epu32_mask(at, items);
      const __mmask16 pos = _mm512_cmp_ps_mask(_mm512_loadu_ps(y + j), zero, _CMP_GT_OQ);
      const __m512 v = _mm512_maskz_mov_ps(ok, _mm512_mul_ps(_mm512_loadu_ps(g + j), _mm512_maskz_mov_ps(pos, one)));
      const __m512 xv = _mm512_mask_i32gather_ps(mv, ok, at, x, 4);
      const __m512d vl = _mm512_cvtps_pd(_mm512_castps512_ps256(v)), vh = _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1));
      const __m512d xl = _mm512_cvtps_pd(_mm512_castps512_ps256(xv)), xh = _mm512_cvtps_pd(_mm512_extractf32x8_ps(xv, 1));
      a0l = _mm512_add_pd(a0l, vl), a0h = _mm512_add_pd(a0h, vh);
      a1l = _mm512_add_pd(a1l, _mm512_mul_pd(vl, _mm512_sub_pd(xl, ml)));
      a1h = _mm512_add_pd(a1h, _mm512_mul_pd(vh, _mm512_sub_pd(xh, mh)));
    }
    _mm512_storeu_pd(s0 + d0, a0l), _mm512_storeu_pd(s0 + d0 + 8, a0h), _mm512_storeu_pd(s1 + d0, a1l), _mm512_storeu_pd(s1 + d0 + 8, a1h);
  }
#endif
  for (; d0 < C; d0++) {
    double a0 = s0[d0], a1 = s1[d0];
    for (int64_t j = d0; j < pooled; j += C) {
      const bool ok = uint32_t(am[j]) < uint32_t(item);
      const float v = ok ? g[j] * (y[j] > 0.f ? 1.f : 0.f) : 0.f;
      a0 += double(v);
      a1 += double(v) * (double(ok ? x[am[j]] : mean[d0]) - double(mean[d0]));
    }
    s0[d0] = a0, s1[d0] = a1;
  }
}

template <bool masked, bool scaled>
void poolScatter(int64_t C, int64_t pooled, int64_t item, const float* g, const float* y, const int32_t* am, const float* k, float* dx, float* sum) {
  int64_t d0 = 0;
#if defined(__AVX512F__)
  const __m512i items = _mm512_set1_epi32(int32_t(item));
  const __m512 one = _mm512_set1_ps(1.f), zero = _mm512_setzero_ps();
  for (; d0 + 16 <= C; d0 += 16) {
    const __m512 kv = scaled ? _mm512_loadu_ps(k + d0) : one;
    __m512 acc = masked ? _mm512_loadu_ps(sum + d0) : zero;
    for (int64_t j = d0; j < pooled; j += C) {
      const __m512i at = _mm512_loadu_si512(am + j);
      const __mmask16 ok = _mm512_cmplt_epu32_mask(at, items);
      __m512 v = _mm512_loadu_ps(g + j);
      if (masked) v = _mm512_mul_ps(v, _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_loadu_ps(y + j), zero, _CMP_GT_OQ), one));
      if (scaled) v = _mm512_mul_ps(kv, v);
      // The scatter as scalar adds (gather + scatter instructions cost more here than 16 loads and stores).
      alignas(64) float vs[16];
      alignas(64) int32_t ats[16];
      _mm512_store_ps(vs, v);
      _mm512_store_si512(ats, at);
      if (ok == 0xFFFF)
        for (int l = 0; l < 16; l++) dx[ats[l]] += vs[l];
      else
        for (int l = 0; l < 16; l++)
          if (ok >> l & 1) dx[ats[l]] += vs[l];
      if (masked) acc = _mm512_add_ps(acc, _mm512_maskz_mov_ps(ok, v));
    }
    if (masked) _mm512_storeu_ps(sum + d0, acc);
  }
#endif
  for (; d0 < C; d0++) {
    float acc = masked ? sum[d0] : 0.f;
    for (int64_t j = d0; j < pooled; j += C) {
      const bool ok = uint32_t(am[j]) < uint32_t(item);
      float v = g[j];
      if (masked) v = v * (y[j] > 0.f ? 1.f : 0.f);  // as TF's ReluGrad
      if (scaled) v = k[d0] * v;
      if (ok) dx[am[j]] += v;  // a foreign argmax cannot write outside dx
      if (masked) acc += ok ? v : 0.f;
    }
    if (masked) sum[d0] = acc;
  }
}

// GenreLabMaxPoolScatter (relu = false) and GenreLabMaxPoolScatterRelu (relu = true).
template <bool relu>
void poolScatterCompute(void*, TF_OpKernelContext* ctx) {
  const char* name = relu ? "GenreLabMaxPoolScatterRelu" : "GenreLabMaxPoolScatter";
  TF_Status* s = api.NewStatus();
  TF_Tensor *dy = nullptr, *am = nullptr, *y = nullptr, *shape = nullptr, *dx = nullptr, *db = nullptr;
  int in = 0;
  api.GetInput(ctx, in++, &dy, s);
  if (!tensorFailed(s)) api.GetInput(ctx, in++, &am, s);
  if (relu && !tensorFailed(s)) api.GetInput(ctx, in++, &y, s);
  if (!tensorFailed(s)) api.GetInput(ctx, in++, &shape, s);
  if (!tensorFailed(s)) {
    bool ok = api.NumDims(dy) == 4 && api.NumDims(am) == 4 && api.NumDims(shape) == 1 && api.Dim(shape, 0) == 4;
    for (int i = 0; ok && i < 4; i++) ok = api.Dim(am, i) == api.Dim(dy, i) && (!relu || (api.NumDims(y) == 4 && api.Dim(y, i) == api.Dim(dy, i)));
    if (!ok) api.SetStatus(s, TF_INVALID_ARGUMENT, (std::string(name) + ": dy, argmax (and y) must be the pooled shape [N,OH,OW,C], x_shape [4]").c_str());
  }
  if (!tensorFailed(s)) {
    const int32_t* xsh = static_cast<const int32_t*>(api.TensorData(shape));
    const int64_t N = api.Dim(dy, 0), OH = api.Dim(dy, 1), OW = api.Dim(dy, 2), C = api.Dim(dy, 3);
    const int64_t H = xsh[1], W = xsh[2];
    if (xsh[0] != N || xsh[3] != C || H < 1 || W < 1)
      api.SetStatus(s, TF_INVALID_ARGUMENT, (std::string(name) + ": x_shape must be [N, H, W, C] of the pooled input").c_str());
    const int64_t dims[4] = {N, H, W, C};
    if (!tensorFailed(s)) dx = api.AllocateOutput(ctx, 0, TF_FLOAT, dims, 4, size_t(N * H * W * C) * sizeof(float), s);
    const int64_t cdim[1] = {C};
    if (relu && !tensorFailed(s)) db = api.AllocateOutput(ctx, 1, TF_FLOAT, cdim, 1, size_t(C) * sizeof(float), s);
    if (!tensorFailed(s)) {
      const float* gs = static_cast<const float*>(api.TensorData(dy));
      const int32_t* ams = static_cast<const int32_t*>(api.TensorData(am));
      const float* ys = relu ? static_cast<const float*>(api.TensorData(y)) : nullptr;
      float* out = static_cast<float*>(api.TensorData(dx));
      const int64_t item = H * W * C, pooled = OH * OW * C;
      std::vector<float> partial(relu ? size_t(N * C) : 0, 0.f);
      tasks(int(N), N * item, [&](int b) {
        float* ob = out + b * item;
        std::fill(ob, ob + item, 0.f);
        poolScatter<relu, false>(C, pooled, item, gs + b * pooled, relu ? ys + b * pooled : nullptr, ams + b * pooled, nullptr, ob,
                                 relu ? partial.data() + size_t(b) * C : nullptr);
      });
      if (relu) {
        float* dbs = static_cast<float*>(api.TensorData(db));
        for (int64_t d = 0; d < C; d++) dbs[d] = 0.f;
        for (int64_t b = 0; b < N; b++)
          for (int64_t d = 0; d < C; d++) dbs[d] += partial[size_t(b * C + d)];
      }
    }
  }
  if (tensorFailed(s)) api.OpKernelContext_Failure(ctx, s);
  for (TF_Tensor* t : {dy, am, y, shape, dx, db})
    if (t) api.DeleteTensor(t);
  api.DeleteStatus(s);
}

// ---- GenreLabBiasRelu / GenreLabReluBiasGrad ----

void* noAttrs(TF_OpKernelConstruction*) { return nullptr; }
void noDelete(void*) {}

// Rows (all dims but the last) and channels of a tensor; false when it has no dims.
bool rowsChannels(TF_Tensor* t, int64_t& rows, int64_t& C) {
  const int n = api.NumDims(t);
  if (n < 1) return false;
  C = api.Dim(t, n - 1);
  rows = 1;
  for (int i = 0; i < n - 1; i++) rows *= api.Dim(t, i);
  return true;
}

// Dims of a tensor, for an output of the same shape.
std::vector<int64_t> dimsOf(TF_Tensor* t) {
  std::vector<int64_t> d(api.NumDims(t));
  for (size_t i = 0; i < d.size(); i++) d[i] = api.Dim(t, int(i));
  return d;
}

// Slab k of n over [0, rows).
void slab(int64_t rows, int n, int k, int64_t& r0, int64_t& r1) {
  r0 = rows * k / n;
  r1 = rows * (k + 1) / n;
}

constexpr int kSlabs = 16;  // fixed, so db's summation order does not depend on the thread count

void biasReluCompute(void*, TF_OpKernelContext* ctx) {
  TF_Status* s = api.NewStatus();
  TF_Tensor *x = nullptr, *b = nullptr, *y = nullptr;
  api.GetInput(ctx, 0, &x, s);
  if (api.GetCode(s) == 0) api.GetInput(ctx, 1, &b, s);
  int64_t rows = 0, C = 0;
  if (api.GetCode(s) == 0 && (!rowsChannels(x, rows, C) || api.NumDims(b) != 1 || api.Dim(b, 0) != C))
    api.SetStatus(s, TF_INVALID_ARGUMENT, "GenreLabBiasRelu: bias must be [C], C the last dim of x");
  if (api.GetCode(s) == 0) {
    const auto dims = dimsOf(x);
    y = api.AllocateOutput(ctx, 0, TF_FLOAT, dims.data(), int(dims.size()), size_t(rows * C) * sizeof(float), s);
    if (api.GetCode(s) == 0) {
      const float* xs = static_cast<const float*>(api.TensorData(x));
      const float* bs = static_cast<const float*>(api.TensorData(b));
      float* ys = static_cast<float*>(api.TensorData(y));
      genre_lab_parallel(rows * C >= (1 << 16) ? kSlabs : 1, [&](int k) {
        int64_t r0, r1;
        slab(rows, rows * C >= (1 << 16) ? kSlabs : 1, k, r0, r1);
        for (int64_t r = r0; r < r1; r++) {
          const float* __restrict xr = xs + r * C;
          float* __restrict yr = ys + r * C;
          for (int64_t d = 0; d < C; d++) {
            const float v = xr[d] + bs[d];
            yr[d] = v < 0.f ? 0.f : v;
          }
        }
      });
    }
  }
  if (api.GetCode(s) != 0) api.OpKernelContext_Failure(ctx, s);
  for (TF_Tensor* t : {x, b, y})
    if (t) api.DeleteTensor(t);
  api.DeleteStatus(s);
}

void reluBiasGradCompute(void*, TF_OpKernelContext* ctx) {
  TF_Status* s = api.NewStatus();
  TF_Tensor *dy = nullptr, *y = nullptr, *dz = nullptr, *db = nullptr;
  api.GetInput(ctx, 0, &dy, s);
  if (api.GetCode(s) == 0) api.GetInput(ctx, 1, &y, s);
  int64_t rows = 0, C = 0;
  if (api.GetCode(s) == 0) {
    bool same = rowsChannels(dy, rows, C) && api.NumDims(y) == api.NumDims(dy);
    for (int i = 0; same && i < api.NumDims(y); i++) same = api.Dim(y, i) == api.Dim(dy, i);
    if (!same) api.SetStatus(s, TF_INVALID_ARGUMENT, "GenreLabReluBiasGrad: dy and y must have the same shape");
  }
  if (api.GetCode(s) == 0) {
    const auto dims = dimsOf(dy);
    dz = api.AllocateOutput(ctx, 0, TF_FLOAT, dims.data(), int(dims.size()), size_t(rows * C) * sizeof(float), s);
    const int64_t cdim[1] = {C};
    if (api.GetCode(s) == 0) db = api.AllocateOutput(ctx, 1, TF_FLOAT, cdim, 1, size_t(C) * sizeof(float), s);
    if (api.GetCode(s) == 0) {
      const float* g = static_cast<const float*>(api.TensorData(dy));
      const float* ys = static_cast<const float*>(api.TensorData(y));
      float* out = static_cast<float*>(api.TensorData(dz));
      std::vector<float> partial(size_t(kSlabs) * C, 0.f);
      genre_lab_parallel(kSlabs, [&](int k) {
        int64_t r0, r1;
        slab(rows, kSlabs, k, r0, r1);
        float* __restrict acc = partial.data() + size_t(k) * C;
        for (int64_t r = r0; r < r1; r++) {
          const float* __restrict gr = g + r * C;
          const float* __restrict yr = ys + r * C;
          float* __restrict o = out + r * C;
          for (int64_t d = 0; d < C; d++) {
            const float v = gr[d] * (yr[d] > 0.f ? 1.f : 0.f);  // as TF's ReluGrad: −0 and NaN kept
            o[d] = v;
            acc[d] += v;
          }
        }
      });
      float* dbs = static_cast<float*>(api.TensorData(db));
      for (int64_t d = 0; d < C; d++) dbs[d] = 0.f;
      for (int k = 0; k < kSlabs; k++)
        for (int64_t d = 0; d < C; d++) dbs[d] += partial[size_t(k) * C + d];
    }
  }
  if (api.GetCode(s) != 0) api.OpKernelContext_Failure(ctx, s);
  for (TF_Tensor* t : {dy, y, dz, db})
    if (t) api.DeleteTensor(t);
  api.DeleteStatus(s);
}

// ---- GenreLabBatchNorm / GenreLabBatchNormGrad ----

struct BnAttrs {
  float epsilon, decay;
};

void* bnCreate(TF_OpKernelConstruction* ctx) {
  TF_Status* s = api.NewStatus();
  auto* a = new BnAttrs{1e-3f, 0.01f};
  api.OpKernelConstruction_GetAttrFloat(ctx, "epsilon", &a->epsilon, s);
  if (api.GetCode(s) == 0) api.OpKernelConstruction_GetAttrFloat(ctx, "decay", &a->decay, s);
  if (api.GetCode(s) != 0) api.OpKernelConstruction_Failure(ctx, s);
  api.DeleteStatus(s);
  return a;
}
void bnDelete(void* p) { delete static_cast<BnAttrs*>(p); }

// Per-channel sums over rows, f(r0, r1, acc) adding rows [r0, r1) into `acc` (C·lanes doubles), slab by
// slab, the slabs' sums added in slab order into `out`.
template <typename F>
void channelSums(int64_t rows, int64_t C, int lanes, double* out, const F& f) {
  const int n = kSlabs;
  std::vector<double> partial(size_t(n) * C * lanes, 0.0);
  tasks(n, rows * C, [&](int k) {
    int64_t r0, r1;
    slab(rows, n, k, r0, r1);
    f(r0, r1, partial.data() + size_t(k) * C * lanes);
  });
  for (int64_t d = 0; d < C * lanes; d++) out[d] = 0.0;
  for (int k = 0; k < n; k++)
    for (int64_t d = 0; d < C * lanes; d++) out[d] += partial[size_t(k) * C * lanes + d];
}

// BatchNorm's per-channel sums over rows [r0, r1) of x (and dy), added into acc in row order per channel:
//   kind 0: acc[d] += x;  kind 1: acc[d] += (x − mu[d])², mu double;
//   kind 2: acc[d] += dy, acc[C + d] += dy·(x − mean[d]) (mean float, the difference in double).
// With C a multiple of 16 up to 64 (the CNNs' channel counts) the accumulators stay in AVX-512 registers
// over the rows (a runtime C keeps them in memory: a store-to-load chain per row); the same double
// operations in the same order as the scalar loop, so the same bits.
template <int kind>
void bnRowSums(const float* x, const float* dy, const double* mu, const float* mean, int64_t r0, int64_t r1, int64_t C, double* acc);
#if defined(__AVX512F__)
inline __m512d lo8(__m512 v) { return _mm512_cvtps_pd(_mm512_castps512_ps256(v)); }
inline __m512d hi8(__m512 v) { return _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1)); }
template <int kind, int NC>
void bnRowSums16(const float* x, const float* dy, const double* mu, const float* mean, int64_t r0, int64_t r1, double* acc) {
  constexpr int64_t C = 16 * NC;
  constexpr int L = kind == 2 ? 2 : 1;
  __m512d a[L * 2 * NC], m[2 * NC];
  for (int l = 0; l < L; l++)
    for (int i = 0; i < 2 * NC; i++) a[l * 2 * NC + i] = _mm512_loadu_pd(acc + l * C + 8 * i);
  for (int i = 0; i < 2 * NC; i++) m[i] = kind == 1 ? _mm512_loadu_pd(mu + 8 * i) : kind == 2 ? (i % 2 ? hi8(_mm512_loadu_ps(mean + 16 * (i / 2))) : lo8(_mm512_loadu_ps(mean + 16 * (i / 2)))) : _mm512_setzero_pd();
  for (int64_t r = r0; r < r1; r++)
    for (int c = 0; c < NC; c++) {
      const __m512 xv = _mm512_loadu_ps(x + r * C + 16 * c);
      const __m512d xl = lo8(xv), xh = hi8(xv);
      if (kind == 0) {
        a[2 * c] = _mm512_add_pd(a[2 * c], xl), a[2 * c + 1] = _mm512_add_pd(a[2 * c + 1], xh);
      } else if (kind == 1) {
        const __m512d vl = _mm512_sub_pd(xl, m[2 * c]), vh = _mm512_sub_pd(xh, m[2 * c + 1]);
        a[2 * c] = _mm512_add_pd(a[2 * c], _mm512_mul_pd(vl, vl)), a[2 * c + 1] = _mm512_add_pd(a[2 * c + 1], _mm512_mul_pd(vh, vh));
      } else {
        const __m512 gv = _mm512_loadu_ps(dy + r * C + 16 * c);
        const __m512d gl = lo8(gv), gh = hi8(gv);
        a[2 * c] = _mm512_add_pd(a[2 * c], gl), a[2 * c + 1] = _mm512_add_pd(a[2 * c + 1], gh);
        a[2 * NC + 2 * c] = _mm512_add_pd(a[2 * NC + 2 * c], _mm512_mul_pd(gl, _mm512_sub_pd(xl, m[2 * c])));
        a[2 * NC + 2 * c + 1] = _mm512_add_pd(a[2 * NC + 2 * c + 1], _mm512_mul_pd(gh, _mm512_sub_pd(xh, m[2 * c + 1])));
      }
    }
  for (int l = 0; l < L; l++)
    for (int i = 0; i < 2 * NC; i++) _mm512_storeu_pd(acc + l * C + 8 * i, a[l * 2 * NC + i]);
}
#endif
template <int kind>
void bnRowSums(const float* x, const float* dy, const double* mu, const float* mean, int64_t r0, int64_t r1, int64_t C, double* acc) {
#if defined(__AVX512F__)
  switch (C) {
    case 16: return bnRowSums16<kind, 1>(x, dy, mu, mean, r0, r1, acc);
    case 32: return bnRowSums16<kind, 2>(x, dy, mu, mean, r0, r1, acc);
    case 48: return bnRowSums16<kind, 3>(x, dy, mu, mean, r0, r1, acc);
    case 64: return bnRowSums16<kind, 4>(x, dy, mu, mean, r0, r1, acc);
  }
#endif
  for (int64_t r = r0; r < r1; r++) {
    const float* __restrict xr = x + r * C;
    if (kind == 0) {
      for (int64_t d = 0; d < C; d++) acc[d] += xr[d];
    } else if (kind == 1) {
      for (int64_t d = 0; d < C; d++) {
        const double v = double(xr[d]) - mu[d];
        acc[d] += v * v;
      }
    } else {
      const float* __restrict g = dy + r * C;
      for (int64_t d = 0; d < C; d++) {
        acc[d] += g[d];
        acc[C + d] += double(g[d]) * (double(xr[d]) - double(mean[d]));
      }
    }
  }
}

// Rows r of an elementwise pass, in slabs over both cores.
template <typename F>
void rowsParallel(int64_t rows, int64_t C, const F& f) {
  tasks(kSlabs, rows * C, [&](int k) {
    int64_t r0, r1;
    slab(rows, kSlabs, k, r0, r1);
    for (int64_t r = r0; r < r1; r++) f(r);
  });
}

// A kernel's inputs, fetched in order, and its outputs; everything released at the end. `ok()` is
// false once anything failed (the status says what); the kernel is then marked failed.
struct Call {
  TF_OpKernelContext* ctx;
  TF_Status* s = api.NewStatus();
  std::vector<TF_Tensor*> in, out;
  Call(TF_OpKernelContext* c, int inputs) : ctx(c), in(inputs, nullptr) {
    for (int i = 0; i < inputs && ok(); i++) api.GetInput(ctx, i, &in[i], s);
  }
  ~Call() {
    if (!ok()) api.OpKernelContext_Failure(ctx, s);
    for (TF_Tensor* t : in)
      if (t) api.DeleteTensor(t);
    for (TF_Tensor* t : out)
      if (t) api.DeleteTensor(t);
    api.DeleteStatus(s);
  }
  bool ok() const { return api.GetCode(s) == 0; }
  void fail(const std::string& why) {
    if (ok()) api.SetStatus(s, TF_INVALID_ARGUMENT, why.c_str());
  }
  const float* f(int i) const { return static_cast<const float*>(api.TensorData(in[i])); }
  // Allocates output `index` (outputs in order) of `dims`; its data, or null on failure.
  float* output(const std::vector<int64_t>& dims) {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    TF_Tensor* t = ok() ? api.AllocateOutput(ctx, int(out.size()), TF_FLOAT, dims.data(), int(dims.size()), size_t(n) * sizeof(float), s) : nullptr;
    out.push_back(t);
    return ok() && t ? static_cast<float*>(api.TensorData(t)) : nullptr;
  }
  bool sameShape(int a, int b) const {
    bool same = api.NumDims(in[a]) == api.NumDims(in[b]);
    for (int i = 0; same && i < api.NumDims(in[a]); i++) same = api.Dim(in[a], i) == api.Dim(in[b], i);
    return same;
  }
};

// The inputs and outputs of a per-channel op over rows: in[0] is [..., C] (rows × C), inputs
// [1, same) the same shape, the rest [C]; out[0] the shape of in[0], the other outputs [C]. The
// kernel context's failure is set and the tensors released when it goes out of scope (Call).
template <int nIn, int nOut>
struct RowOp : Call {
  int64_t rows = 0, C = 0;

  RowOp(TF_OpKernelContext* c, int same, const char* what) : Call(c, nIn) {
    if (!ok()) return;
    bool fits = rowsChannels(in[0], rows, C) && rows > 0;
    for (int i = 1; fits && i < nIn; i++) fits = i < same ? sameShape(i, 0) : api.NumDims(in[i]) == 1 && api.Dim(in[i], 0) == C;
    if (!fits) {
      fail(what);
      return;
    }
    Call::output(dimsOf(in[0]));
    for (int i = 1; i < nOut && ok(); i++) Call::output(std::vector<int64_t>{C});
  }
  const float* input(int i) const { return f(i); }
  float* output(int i) const { return static_cast<float*>(api.TensorData(out[i])); }
};

// Training-mode statistics of x's channels (x: rows × C) and what the normalisation and the moving
// averages need: mean, inv_std = 1/√(var + ε), scale = γ·inv_std, the updated moving mean and variance.
// The batch mean and biased variance: two passes, sums in double per slab of rows, slabs added in order.
// `bias` (or null): the normalised input is x + bias, whose statistics are x's with the mean shifted by
// the bias; `mean` stays x's (what the normalisation subtracts from x), the moving mean gets mean + bias.
void bnStatistics(const BnAttrs& p, const float* x, int64_t rows, int64_t C, const float* gamma, const float* mm, const float* mv, const float* bias, float* mean,
                  float* inv, float* scale, float* nmm, float* nmv) {
  std::vector<double> sum(C), sq(C), mu(C);
  channelSums(rows, C, 1, sum.data(), [&](int64_t r0, int64_t r1, double* acc) { bnRowSums<0>(x, nullptr, nullptr, nullptr, r0, r1, C, acc); });
  for (int64_t d = 0; d < C; d++) mu[d] = sum[d] / double(rows), mean[d] = float(mu[d]);
  channelSums(rows, C, 1, sq.data(), [&](int64_t r0, int64_t r1, double* acc) { bnRowSums<1>(x, nullptr, mu.data(), nullptr, r0, r1, C, acc); });
  for (int64_t d = 0; d < C; d++) {
    const float var = float(sq[d] / double(rows));
    const float batchMean = bias ? float(mu[d] + double(bias[d])) : mean[d];
    inv[d] = float(1.0 / std::sqrt(double(var) + double(p.epsilon)));
    scale[d] = gamma[d] * inv[d];
    nmm[d] = mm[d] - (mm[d] - batchMean) * p.decay;
    nmv[d] = mv[d] - (mv[d] - var) * p.decay;
  }
}

void batchNormCompute(void* attrs, TF_OpKernelContext* ctx) {
  const BnAttrs& p = *static_cast<BnAttrs*>(attrs);
  RowOp<5, 5> op(ctx, 1, "GenreLabBatchNorm: x must be [..., C] (some rows) and gamma, beta, moving_mean, moving_var [C]");
  if (!op.ok()) return;
  const int64_t rows = op.rows, C = op.C;
  const float *x = op.input(0), *beta = op.input(2);
  float *y = op.output(0), *mean = op.output(1);
  std::vector<float> scale(C);
  bnStatistics(p, x, rows, C, op.input(1), op.input(3), op.input(4), nullptr, mean, op.output(2), scale.data(), op.output(3), op.output(4));
  rowsParallel(rows, C, [&](int64_t r) {
    const float* __restrict xr = x + r * C;
    float* __restrict yr = y + r * C;
    const float* __restrict sc = scale.data();
    const float *__restrict m = mean, *__restrict bt = beta;
    for (int64_t d = 0; d < C; d++) yr[d] = (xr[d] - m[d]) * sc[d] + bt[d];
  });
}

// BatchNorm's gradient as per-channel coefficients, from sums[0..C) = Σ dy and sums[C..2C) = Σ dy·(x − mean):
// dβ, dγ, and dx = k·dy + a·(x − mean) + b.
void bnGradCoefficients(const double* sums, int64_t rows, int64_t C, const float* gamma, const float* inv, float* dgamma, float* dbeta, float* k, float* a,
                        float* b) {
  for (int64_t d = 0; d < C; d++) {
    const double db = sums[d], dgHat = sums[C + d] * double(inv[d]);  // dγ = Σ dy·x̂
    dbeta[d] = float(db);
    dgamma[d] = float(dgHat);
    // dx = γ·inv·(dy − dβ/n − x̂·dγ/n) = k·dy + a·(x − mean) + b
    const double kk = double(gamma[d]) * double(inv[d]);
    k[d] = float(kk);
    a[d] = float(-kk * dgHat * double(inv[d]) / double(rows));
    b[d] = float(-kk * db / double(rows));
  }
}

void batchNormGradCompute(void*, TF_OpKernelContext* ctx) {
  RowOp<5, 3> op(ctx, 2, "GenreLabBatchNormGrad: dy and x must be the same [..., C] and gamma, mean, inv_std [C]");
  if (!op.ok()) return;
  const int64_t rows = op.rows, C = op.C;
  const float *dy = op.input(0), *x = op.input(1), *gamma = op.input(2), *mean = op.input(3), *inv = op.input(4);
  float *dx = op.output(0), *dgamma = op.output(1), *dbeta = op.output(2);
  // sums[0..C): Σ dy; sums[C..2C): Σ dy·(x − mean)
  std::vector<double> sums(size_t(2 * C));
  channelSums(rows, C, 2, sums.data(), [&](int64_t r0, int64_t r1, double* acc) { bnRowSums<2>(x, dy, nullptr, mean, r0, r1, C, acc); });
  std::vector<float> k(C), a(C), b(C);
  bnGradCoefficients(sums.data(), rows, C, gamma, inv, dgamma, dbeta, k.data(), a.data(), b.data());
  rowsParallel(rows, C, [&](int64_t r) {
    const float* __restrict g = dy + r * C;
    const float* __restrict xr = x + r * C;
    float* __restrict o = dx + r * C;
    const float* __restrict m = mean;
    const float *__restrict kk = k.data(), *__restrict aa = a.data(), *__restrict bb = b.data();
    for (int64_t d = 0; d < C; d++) o[d] = kk[d] * g[d] + aa[d] * (xr[d] - m[d]) + bb[d];
  });
}

// ---- GenreLabBatchNormReluPool / GenreLabBatchNormReluPoolGrad ----

struct BnPoolAttrs {
  PoolAttrs pool;
  BnAttrs bn;
};
void* bnPoolCreate(TF_OpKernelConstruction* ctx) {
  auto* a = new BnPoolAttrs{};
  auto* p = static_cast<PoolAttrs*>(poolCreate(ctx));
  auto* b = static_cast<BnAttrs*>(bnCreate(ctx));
  a->pool = *p, a->bn = *b;
  delete p;
  delete b;
  return a;
}
void bnPoolDelete(void* p) { delete static_cast<BnPoolAttrs*>(p); }

// (x, bias, gamma, beta, moving_mean, moving_var) -> y, argmax (pooled), mean, inv_std, new_moving_mean, new_moving_var:
// BiasAdd → GenreLabBatchNorm → Relu → GenreLabMaxPoolArgmax with x read twice for the statistics and once
// for the pool, and nothing full-size written.
void batchNormReluPoolCompute(void* attrs, TF_OpKernelContext* ctx) {
  const BnPoolAttrs& p = *static_cast<BnPoolAttrs*>(attrs);
  Call c(ctx, 6);
  PoolGeom g;
  if (!c.ok() || !poolGeometry(p.pool, c.in[0], "GenreLabBatchNormReluPool", c.s, g)) return;
  for (int i = 1; i < 6; i++)
    if (api.NumDims(c.in[i]) != 1 || api.Dim(c.in[i], 0) != g.C)
      return c.fail("GenreLabBatchNormReluPool: bias, gamma, beta, moving_mean, moving_var must be [C], C the last dim of x");
  const int64_t C = g.C, rows = g.N * g.H * g.W;
  if (rows < 1) return c.fail("GenreLabBatchNormReluPool: x has no rows");
  std::vector<float> stats(size_t(5 * C));
  float *mean = stats.data(), *inv = mean + C, *nmm = inv + C, *nmv = nmm + C, *scale = nmv + C;
  bnStatistics(p.bn, c.f(0), rows, C, c.f(2), c.f(4), c.f(5), c.f(1), mean, inv, scale, nmm, nmv);
  TF_Tensor *y = nullptr, *am = nullptr;
  poolOutputs(p.pool, g, ctx, 0, c.f(0), c.s, y, am, BnReluOf{mean, scale, c.f(3)});
  c.out.push_back(y);
  c.out.push_back(am);
  for (int i = 0; i < 4 && c.ok(); i++) {
    float* o = c.output({C});
    if (o) std::copy(stats.data() + i * C, stats.data() + (i + 1) * C, o);
  }
}

// o = a·(x − m) + b over `rows` rows of C channels, sum[d] += o (float, row order per channel); with C a
// multiple of 16 up to 64 the sums stay in registers (same operations, same order: the same bits).
#if defined(__AVX512F__)
template <int NC>
void affineRows16(const float* x, float* o, int64_t rows, const float* m, const float* a, const float* b, float* sum) {
  constexpr int64_t C = 16 * NC;
  __m512 s[NC], mv[NC], av[NC], bv[NC];
  for (int c = 0; c < NC; c++)
    s[c] = _mm512_loadu_ps(sum + 16 * c), mv[c] = _mm512_loadu_ps(m + 16 * c), av[c] = _mm512_loadu_ps(a + 16 * c), bv[c] = _mm512_loadu_ps(b + 16 * c);
  for (int64_t r = 0; r < rows; r++)
    for (int c = 0; c < NC; c++) {
      const __m512 v = _mm512_add_ps(_mm512_mul_ps(av[c], _mm512_sub_ps(_mm512_loadu_ps(x + r * C + 16 * c), mv[c])), bv[c]);
      _mm512_storeu_ps(o + r * C + 16 * c, v);
      s[c] = _mm512_add_ps(s[c], v);
    }
  for (int c = 0; c < NC; c++) _mm512_storeu_ps(sum + 16 * c, s[c]);
}
#endif
void affineRows(const float* x, float* o, int64_t rows, int64_t C, const float* m, const float* a, const float* b, float* sum) {
#if defined(__AVX512F__)
  switch (C) {
    case 16: return affineRows16<1>(x, o, rows, m, a, b, sum);
    case 32: return affineRows16<2>(x, o, rows, m, a, b, sum);
    case 48: return affineRows16<3>(x, o, rows, m, a, b, sum);
    case 64: return affineRows16<4>(x, o, rows, m, a, b, sum);
  }
#endif
  float* __restrict sb = sum;
  for (int64_t r = 0; r < rows; r++) {
    const float* __restrict xr = x + r * C;
    float* __restrict orow = o + r * C;
    for (int64_t d = 0; d < C; d++) {
      const float v = a[d] * (xr[d] - m[d]) + b[d];
      orow[d] = v;
      sb[d] += v;
    }
  }
}

// (dy, argmax, y (pooled), x, gamma, mean, inv_std) -> dx, dgamma, dbeta, dbias: the unfused chain's
// gradients GenreLabMaxPoolScatter → ReluGrad → GenreLabBatchNormGrad → BiasAddGrad. The scattered,
// ReLU-masked gradient dz is nonzero only at argmax positions, so BN's sums Σ dz and Σ dz·(x − mean)
// come from the pooled tensors (x gathered at the argmax); dx = a·(x − mean) + b everywhere plus k·dz at
// the argmax positions, one item at a time (its dx stays in cache for the scatter); dbias = Σ dx.
void batchNormReluPoolGradCompute(void*, TF_OpKernelContext* ctx) {
  static const char* what = "GenreLabBatchNormReluPoolGrad: dy, argmax, y must be one pooled shape [N,OH,OW,C] of x [N,H,W,C], gamma, mean, inv_std [C]";
  Call c(ctx, 7);
  if (!c.ok()) return;
  TF_Tensor *dyt = c.in[0], *amt = c.in[1], *xt = c.in[3];
  bool fits = api.NumDims(dyt) == 4 && api.NumDims(xt) == 4 && c.sameShape(0, 1) && c.sameShape(0, 2) && api.Dim(dyt, 0) == api.Dim(xt, 0) &&
              api.Dim(dyt, 3) == api.Dim(xt, 3);
  const int64_t N = fits ? api.Dim(xt, 0) : 0, H = fits ? api.Dim(xt, 1) : 0, W = fits ? api.Dim(xt, 2) : 0, C = fits ? api.Dim(xt, 3) : 0;
  for (int i = 4; fits && i < 7; i++) fits = api.NumDims(c.in[i]) == 1 && api.Dim(c.in[i], 0) == C;
  if (!fits || N * H * W < 1) return c.fail(what);
  if (H * W * C >= INT32_MAX) return c.fail("GenreLabBatchNormReluPoolGrad: one example must hold fewer than 2^31 values");
  const int64_t item = H * W * C, pooled = api.Dim(dyt, 1) * api.Dim(dyt, 2) * C, rows = N * H * W;
  const float *dy = c.f(0), *y = c.f(2), *x = c.f(3), *gamma = c.f(4), *mean = c.f(5), *inv = c.f(6);
  const int32_t* am = static_cast<const int32_t*>(api.TensorData(amt));
  float* dx = c.output(dimsOf(xt));
  float* dgamma = c.output({C});
  float* dbeta = c.output({C});
  float* dbias = c.output({C});
  if (!c.ok()) return;
  // Per item: [0, C) Σ dz, [C, 2C) Σ dz·(x − mean); then (second pass) Σ dx's two parts.
  std::vector<double> partial(size_t(N) * 2 * C, 0.0);
  tasks(int(N), N * item, [&](int b) {
    double* acc = partial.data() + size_t(b) * 2 * C;
    poolBnSums(C, pooled, item, dy + b * pooled, y + b * pooled, am + b * pooled, x + b * item, mean, acc, acc + C);
  });
  std::vector<double> sums(size_t(2 * C), 0.0);
  for (int64_t b = 0; b < N; b++)
    for (int64_t d = 0; d < 2 * C; d++) sums[d] += partial[size_t(b) * 2 * C + d];
  std::vector<float> k(C), a(C), bb(C);
  bnGradCoefficients(sums.data(), rows, C, gamma, inv, dgamma, dbeta, k.data(), a.data(), bb.data());
  tasks(int(N), N * item, [&](int b) {
    const float* xb = x + b * item;
    float* ob = dx + b * item;
    std::vector<float> base(C, 0.f), scattered(C, 0.f);
    affineRows(xb, ob, H * W, C, mean, a.data(), bb.data(), base.data());
    poolScatter<true, true>(C, pooled, item, dy + b * pooled, y + b * pooled, am + b * pooled, k.data(), ob, scattered.data());
    double* acc = partial.data() + size_t(b) * 2 * C;
    for (int64_t d = 0; d < C; d++) acc[d] = base[d], acc[C + d] = scattered[d];
  });
  for (int64_t d = 0; d < C; d++) {
    double s = 0.0;
    for (int64_t b = 0; b < N; b++) s += partial[size_t(b) * 2 * C + d] + partial[size_t(b) * 2 * C + C + d];
    dbias[d] = float(s);
  }
}

// ---- GenreLabAttention / GenreLabLayerNorm / GenreLabDropout ----

// Reads one int32 or float attr at construction; the kernel's state is the value.
template <class T>
void* attrCreate(TF_OpKernelConstruction* ctx, const char* name, void (*get)(TF_OpKernelConstruction*, const char*, T*, TF_Status*)) {
  TF_Status* s = api.NewStatus();
  T* v = new T{};
  get(ctx, name, v, s);
  if (api.GetCode(s) != 0) api.OpKernelConstruction_Failure(ctx, s);
  api.DeleteStatus(s);
  return v;
}
void* headsCreate(TF_OpKernelConstruction* ctx) { return attrCreate<int32_t>(ctx, "heads", api.OpKernelConstruction_GetAttrInt32); }
void* epsilonCreate(TF_OpKernelConstruction* ctx) { return attrCreate<float>(ctx, "epsilon", api.OpKernelConstruction_GetAttrFloat); }
void* rateCreate(TF_OpKernelConstruction* ctx) { return attrCreate<float>(ctx, "rate", api.OpKernelConstruction_GetAttrFloat); }
void intDelete(void* p) { delete static_cast<int32_t*>(p); }
void floatDelete(void* p) { delete static_cast<float*>(p); }

// [B, T, H, E] of a qkv input [B, T, 3·H·E] with `heads` heads; false (and the call failed) if it is not one.
bool attnShape(Call& c, int heads, int64_t (&d)[4]) {
  TF_Tensor* qkv = c.in[0];
  if (api.NumDims(qkv) != 3 || heads < 1 || api.Dim(qkv, 2) % (3 * int64_t(heads)) != 0 || api.Dim(qkv, 2) == 0 || api.Dim(qkv, 0) < 1 ||
      api.Dim(qkv, 1) < 1 || api.Dim(qkv, 0) * api.Dim(qkv, 1) >= INT32_MAX) {
    c.fail("GenreLabAttention: qkv must be [B, T, 3·heads·E] with B, T ≥ 1");
    return false;
  }
  d[0] = api.Dim(qkv, 0), d[1] = api.Dim(qkv, 1), d[2] = heads, d[3] = api.Dim(qkv, 2) / (3 * heads);
  return true;
}

void attentionCompute(void* attrs, TF_OpKernelContext* ctx) {
  Call c(ctx, 1);
  int64_t d[4];
  if (!c.ok() || !attnShape(c, *static_cast<int32_t*>(attrs), d)) return;
  const int64_t D = d[2] * d[3];
  float* out = c.output({d[0], d[1], D});
  float* lse = c.output({d[0], d[2], d[1]});
  if (!c.ok()) return;
  const float* qkv = c.f(0);
  genre_lab_attention_forward(int(d[0]), int(d[1]), int(d[2]), int(d[3]), 3 * D, float(1.0 / std::sqrt(double(d[3]))), qkv, qkv + D, qkv + 2 * D, out, lse);
}

void attentionGradCompute(void* attrs, TF_OpKernelContext* ctx) {
  Call c(ctx, 4);
  int64_t d[4];
  if (!c.ok() || !attnShape(c, *static_cast<int32_t*>(attrs), d)) return;
  const int64_t D = d[2] * d[3];
  auto is = [&](int i, std::initializer_list<int64_t> dims) {
    bool same = api.NumDims(c.in[i]) == int(dims.size());
    int k = 0;
    for (int64_t v : dims) same = same && api.Dim(c.in[i], k++) == v;
    return same;
  };
  if (!is(1, {d[0], d[1], D}) || !is(2, {d[0], d[2], d[1]}) || !is(3, {d[0], d[1], D})) return c.fail("GenreLabAttentionGrad: out, dout must be [B, T, H·E] and lse [B, H, T]");
  float* dqkv = c.output({d[0], d[1], 3 * D});
  if (!c.ok()) return;
  const float* qkv = c.f(0);
  genre_lab_attention_backward(int(d[0]), int(d[1]), int(d[2]), int(d[3]), 3 * D, float(1.0 / std::sqrt(double(d[3]))), qkv, qkv + D, qkv + 2 * D, c.f(1), c.f(2),
                               c.f(3), dqkv, dqkv + D, dqkv + 2 * D);
}

void layerNormCompute(void* attrs, TF_OpKernelContext* ctx) {
  Call c(ctx, 3);
  int64_t rows = 0, C = 0;
  if (!c.ok()) return;
  if (!rowsChannels(c.in[0], rows, C) || C < 1 || C >= INT32_MAX || api.NumDims(c.in[1]) != 1 || api.Dim(c.in[1], 0) != C || api.NumDims(c.in[2]) != 1 ||
      api.Dim(c.in[2], 0) != C)
    return c.fail("GenreLabLayerNorm: gamma and beta must be [C], C ≥ 1 the last dim of x");
  const auto dims = dimsOf(c.in[0]);
  float* y = c.output(dims);
  float* xhat = c.output(dims);
  float* rstd = c.output({rows});
  if (c.ok()) genre_lab_layer_norm_forward(rows, int(C), *static_cast<float*>(attrs), c.f(0), c.f(1), c.f(2), y, xhat, rstd);
}

void layerNormGradCompute(void*, TF_OpKernelContext* ctx) {
  Call c(ctx, 4);
  int64_t rows = 0, C = 0;
  if (!c.ok()) return;
  if (!rowsChannels(c.in[0], rows, C) || C < 1 || C >= INT32_MAX || !c.sameShape(0, 1) || api.NumDims(c.in[2]) != 1 || api.Dim(c.in[2], 0) != rows ||
      api.NumDims(c.in[3]) != 1 || api.Dim(c.in[3], 0) != C)
    return c.fail("GenreLabLayerNormGrad: dy and xhat must have one shape [..., C], rstd [rows] and gamma [C]");
  float* dx = c.output(dimsOf(c.in[0]));
  float* dg = c.output({C});
  float* db = c.output({C});
  if (c.ok()) genre_lab_layer_norm_backward(rows, int(C), c.f(0), c.f(1), c.f(2), c.f(3), dx, dg, db);
}

// murmur3's 32-bit finaliser: a bijection that mixes every input bit into every output bit.
inline uint32_t fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  return h;
}

// Elements [i0, i1) of GenreLabDropout; arguments by value and restrict pointers, so the loop vectorises.
__attribute__((noinline)) void dropoutRange(const float* __restrict x, float* __restrict y, float* __restrict mask, int64_t i0, int64_t i1, uint32_t s0,
                                            uint32_t s1, uint32_t cut, float keep) {
  for (int64_t i = i0; i < i1; i++) {
    const uint32_t hi = uint32_t(uint64_t(i) >> 32);
    const uint32_t u = fmix32(fmix32(uint32_t(i) ^ s0) + s1 + hi * 0x27D4EB2Du) >> 8;
    const float m = u < cut ? 0.f : keep;
    mask[i] = m;
    y[i] = x[i] * m;
  }
}

void dropoutCompute(void* attrs, TF_OpKernelContext* ctx) {
  const float rate = *static_cast<float*>(attrs);
  Call c(ctx, 2);
  if (!c.ok()) return;
  if (!(rate >= 0.f && rate < 1.f)) return c.fail("GenreLabDropout: rate must be in [0, 1)");
  if (api.NumDims(c.in[1]) != 1 || api.Dim(c.in[1], 0) != 2) return c.fail("GenreLabDropout: seed must be int32 [2]");
  const auto dims = dimsOf(c.in[0]);
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  float* y = c.output(dims);
  float* mask = c.output(dims);
  if (!c.ok()) return;
  const int32_t* sd = static_cast<const int32_t*>(api.TensorData(c.in[1]));
  const float* x = c.f(0);
  const float keep = 1.f / (1.f - rate);
  // Element i's uniform u = (hash >> 8) / 2^24 from a counter-based hash of (seed, i), two fmix32
  // rounds: the same mask for the same seed whatever the thread count, and a loop the compiler
  // vectorises. u < rate (dropped) with probability rate, to 2^-24.
  const uint32_t cut = uint32_t(std::ceil(double(rate) * 16777216.0));
  const uint32_t s0 = uint32_t(sd[0]), s1 = fmix32(uint32_t(sd[1]) ^ 0x9E3779B9u);
  const int tasks = n >= (1 << 16) ? kSlabs : 1;
  genre_lab_parallel(tasks, [&](int k) {
    int64_t i0, i1;
    slab(n, tasks, k, i0, i1);
    dropoutRange(x, y, mask, i0, i1, s0, s1, cut, keep);
  });
}

// ---- GenreLabAdam ----

void* adamCreate(TF_OpKernelConstruction* ctx) { return attrCreate<int32_t>(ctx, "N", api.OpKernelConstruction_GetAttrInt32); }

void adamRange(const float* __restrict w, const float* __restrict g, const float* __restrict m, const float* __restrict v, float* __restrict wo,
               float* __restrict mo, float* __restrict vo, int64_t i0, int64_t i1, float alpha,
               float b1, float b2, float eps) {
  for (int64_t i = i0; i < i1; i++) {
    const float mi = m[i] + (g[i] - m[i]) * b1;
    const float vi = v[i] + (g[i] * g[i] - v[i]) * b2;
    mo[i] = mi;
    vo[i] = vi;
    wo[i] = w[i] - (mi * alpha) / (std::sqrt(vi) + eps);
  }
}

void adamCompute(void* attrs, TF_OpKernelContext* ctx) {
  const int n = *static_cast<int32_t*>(attrs);
  Call c(ctx, 4 * n + 1);
  if (!c.ok()) return;
  TF_Tensor* hyper = c.in[4 * n];
  if (api.NumDims(hyper) != 1 || api.Dim(hyper, 0) != 6) return c.fail("GenreLabAdam: hyper must be float [6]");
  const float* h = c.f(4 * n);
  const float alpha = h[2] * std::sqrt(1.f - h[1]) / (1.f - h[0]);
  const float b1 = 1.f - h[3], b2 = 1.f - h[4], eps = h[5];
  std::vector<int64_t> sizes(n);
  for (int k = 0; k < n; k++) {
    sizes[k] = 1;
    for (int64_t d : dimsOf(c.in[k])) sizes[k] *= d;
    for (int j = 1; j < 4; j++) {
      int64_t e = 1;
      for (int64_t d : dimsOf(c.in[j * n + k])) e *= d;
      if (e != sizes[k]) return c.fail("GenreLabAdam: variable " + std::to_string(k) + "'s gradient or moments differ in size from it");
    }
  }
  std::vector<float*> outs(3 * n);
  for (int j = 0; j < 3; j++)
    for (int k = 0; k < n; k++) outs[j * n + k] = c.output(dimsOf(c.in[k]));
  if (!c.ok()) return;
  for (int k = 0; k < n; k++) {
    const int64_t size = sizes[k];
    const float *w = c.f(k), *g = c.f(n + k), *m = c.f(2 * n + k), *v = c.f(3 * n + k);
    float *wo = outs[k], *mo = outs[n + k], *vo = outs[2 * n + k];
    const int tasks = size >= (1 << 16) ? kSlabs : 1;
    genre_lab_parallel(tasks, [&](int t) {
      int64_t i0, i1;
      slab(size, tasks, t, i0, i1);
      adamRange(w, g, m, v, wo, mo, vo, i0, i1, alpha, b1, b2, eps);
    });
  }
}

void unknownShape(TF_ShapeInferenceContext* ctx, TF_Status* s) { api.ShapeInferenceContextSetUnknownShape(ctx, s); }

// Registers one op (inputs, outputs and attrs in TF's op-definition syntax) and its CPU kernel.
void registerOp(const char* name, std::initializer_list<const char*> inputs, std::initializer_list<const char*> outputs,
                std::initializer_list<const char*> attrs, void* (*create)(TF_OpKernelConstruction*), void (*compute)(void*, TF_OpKernelContext*),
                void (*destroy)(void*), TF_Status* s) {
  if (api.GetCode(s) != 0) return;
  TF_OpDefinitionBuilder* op = api.NewOpDefinitionBuilder(name);
  for (const char* i : inputs) api.OpDefinitionBuilderAddInput(op, i);
  for (const char* o : outputs) api.OpDefinitionBuilderAddOutput(op, o);
  for (const char* a : attrs) api.OpDefinitionBuilderAddAttr(op, a);
  api.OpDefinitionBuilderSetShapeInferenceFunction(op, unknownShape);
  api.RegisterOpDefinition(op, s);
  if (api.GetCode(s) == 0) api.RegisterKernelBuilder(name, api.NewKernelBuilder(name, "CPU", create, compute, destroy), s);
}

// Registers the ops once per process; '' or why not.
std::string registerOps() {
  static std::string result = [] {
    std::string why = resolve();
    if (!why.empty()) return why;
    TF_Status* s = api.NewStatus();
    registerOp("GenreLabMaxPoolGrad", {"x: float", "dy: float"}, {"dx: float"}, {"ksize: list(int) >= 4", "strides: list(int) >= 4", "padding: {'SAME', 'VALID'}"},
               poolCreate, poolGradCompute, poolDelete, s);
    const std::initializer_list<const char*> poolAttrs = {"ksize: list(int) >= 4", "strides: list(int) >= 4", "padding: {'SAME', 'VALID'}"};
    registerOp("GenreLabMaxPoolArgmax", {"x: float"}, {"y: float", "argmax: int32"}, poolAttrs, poolCreate, poolArgmaxCompute, poolDelete, s);
    registerOp("GenreLabMaxPoolScatter", {"dy: float", "argmax: int32", "x_shape: int32"}, {"dx: float"}, {}, noAttrs, poolScatterCompute<false>, noDelete, s);
    registerOp("GenreLabMaxPoolScatterRelu", {"dy: float", "argmax: int32", "y: float", "x_shape: int32"}, {"dx: float", "db: float"}, {}, noAttrs, poolScatterCompute<true>, noDelete, s);
    registerOp("GenreLabBatchNorm", {"x: float", "gamma: float", "beta: float", "moving_mean: float", "moving_var: float"},
               {"y: float", "mean: float", "inv_std: float", "new_moving_mean: float", "new_moving_var: float"}, {"epsilon: float", "decay: float"}, bnCreate,
               batchNormCompute, bnDelete, s);
    registerOp("GenreLabBatchNormGrad", {"dy: float", "x: float", "gamma: float", "mean: float", "inv_std: float"}, {"dx: float", "dgamma: float", "dbeta: float"}, {},
               noAttrs, batchNormGradCompute, noDelete, s);
    registerOp("GenreLabBiasReluPool", {"x: float", "bias: float"}, {"y: float", "argmax: int32"}, poolAttrs, poolCreate, biasReluPoolCompute, poolDelete, s);
    registerOp("GenreLabBatchNormReluPool", {"x: float", "bias: float", "gamma: float", "beta: float", "moving_mean: float", "moving_var: float"},
               {"y: float", "argmax: int32", "mean: float", "inv_std: float", "new_moving_mean: float", "new_moving_var: float"},
               {"epsilon: float", "decay: float", "ksize: list(int) >= 4", "strides: list(int) >= 4", "padding: {'SAME', 'VALID'}"}, bnPoolCreate,
               batchNormReluPoolCompute, bnPoolDelete, s);
    registerOp("GenreLabBatchNormReluPoolGrad", {"dy: float", "argmax: int32", "y: float", "x: float", "gamma: float", "mean: float", "inv_std: float"},
               {"dx: float", "dgamma: float", "dbeta: float", "dbias: float"}, {}, noAttrs, batchNormReluPoolGradCompute, noDelete, s);
    registerOp("GenreLabBiasRelu", {"x: float", "bias: float"}, {"y: float"}, {}, noAttrs, biasReluCompute, noDelete, s);
    registerOp("GenreLabReluBiasGrad", {"dy: float", "y: float"}, {"dz: float", "db: float"}, {}, noAttrs, reluBiasGradCompute, noDelete, s);
    registerOp("GenreLabAttention", {"qkv: float"}, {"out: float", "lse: float"}, {"heads: int >= 1"}, headsCreate, attentionCompute, intDelete, s);
    registerOp("GenreLabAttentionGrad", {"qkv: float", "out: float", "lse: float", "dout: float"}, {"dqkv: float"}, {"heads: int >= 1"}, headsCreate,
               attentionGradCompute, intDelete, s);
    registerOp("GenreLabLayerNorm", {"x: float", "gamma: float", "beta: float"}, {"y: float", "xhat: float", "rstd: float"}, {"epsilon: float"}, epsilonCreate,
               layerNormCompute, floatDelete, s);
    registerOp("GenreLabLayerNormGrad", {"dy: float", "xhat: float", "rstd: float", "gamma: float"}, {"dx: float", "dgamma: float", "dbeta: float"}, {}, noAttrs,
               layerNormGradCompute, noDelete, s);
    registerOp("GenreLabAdam", {"w: N * float", "g: N * float", "m: N * float", "v: N * float", "hyper: float"}, {"w_out: N * float", "m_out: N * float", "v_out: N * float"},
               {"N: int >= 1"}, adamCreate, adamCompute, intDelete, s);
    registerOp("GenreLabDropout", {"x: float", "seed: int32"}, {"y: float", "mask: float"}, {"rate: float"}, rateCreate, dropoutCompute, floatDelete, s);
    std::string r = api.GetCode(s) == 0 ? "" : std::string("registering the genre-lab TF ops: ") + api.Message(s);
    api.DeleteStatus(s);
    return r;
  }();
  return result;
}

}  // namespace

#ifndef GENRE_LAB_RNN_NO_NODE
// registerTfOps(): registers the ops above with the TensorFlow runtime in this process (once);
// returns '' when they are registered, else why not.
napi_value GenreLabRegisterTfOps(napi_env env, napi_callback_info) {
  const std::string r = registerOps();
  napi_value out;
  napi_create_string_utf8(env, r.c_str(), r.size(), &out);
  return out;
}
#endif
