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
#include <dlfcn.h>
#include <link.h>
#include <node_api.h>

#include <algorithm>
#include <cstdint>
#include <climits>
#include <cmath>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <string>
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
  GET(OpKernelConstruction_GetAttrSize), GET(OpKernelConstruction_GetAttrInt32List), GET(OpKernelConstruction_GetAttrString);
  GET(OpKernelConstruction_GetAttrInt32), GET(OpKernelConstruction_GetAttrFloat);
#undef GET
  return missing.empty() ? "" : "the TensorFlow library lacks " + missing;
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
      api.SetStatus(s, TF_INVALID_ARGUMENT, "GenreLabMaxPoolGrad: ksize/strides must be [1, h, w, 1] (positive) and padding SAME or VALID");
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

// ---- GenreLabAttention / GenreLabLayerNorm / GenreLabDropout (shared plumbing) ----

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
    registerOp("GenreLabBiasRelu", {"x: float", "bias: float"}, {"y: float"}, {}, noAttrs, biasReluCompute, noDelete, s);
    registerOp("GenreLabReluBiasGrad", {"dy: float", "y: float"}, {"dz: float", "db: float"}, {}, noAttrs, reluBiasGradCompute, noDelete, s);
    registerOp("GenreLabAttention", {"qkv: float"}, {"out: float", "lse: float"}, {"heads: int >= 1"}, headsCreate, attentionCompute, intDelete, s);
    registerOp("GenreLabAttentionGrad", {"qkv: float", "out: float", "lse: float", "dout: float"}, {"dqkv: float"}, {"heads: int >= 1"}, headsCreate,
               attentionGradCompute, intDelete, s);
    registerOp("GenreLabLayerNorm", {"x: float", "gamma: float", "beta: float"}, {"y: float", "xhat: float", "rstd: float"}, {"epsilon: float"}, epsilonCreate,
               layerNormCompute, floatDelete, s);
    registerOp("GenreLabLayerNormGrad", {"dy: float", "xhat: float", "rstd: float", "gamma: float"}, {"dx: float", "dgamma: float", "dbeta: float"}, {}, noAttrs,
               layerNormGradCompute, noDelete, s);
    registerOp("GenreLabDropout", {"x: float", "seed: int32"}, {"y: float", "mask: float"}, {"rate: float"}, rateCreate, dropoutCompute, floatDelete, s);
    std::string r = api.GetCode(s) == 0 ? "" : std::string("registering the genre-lab TF ops: ") + api.Message(s);
    api.DeleteStatus(s);
    return r;
  }();
  return result;
}

}  // namespace

// registerTfOps(): registers the ops above with the TensorFlow runtime in this process (once);
// returns '' when they are registered, else why not.
napi_value GenreLabRegisterTfOps(napi_env env, napi_callback_info) {
  const std::string r = registerOps();
  napi_value out;
  napi_create_string_utf8(env, r.c_str(), r.size(), &out);
  return out;
}
