// genre-lab CPU recurrent kernels: whole LSTM / GRU layers (forward and backward) in one call each,
// for lib/layers/cpuKernel.ts, plus the Adam step of lib/train/fusedAdam.ts, multi-head
// self-attention's core for lib/models/attention.ts and layer normalisation for lib/layers/layerNorm.ts. Built by scripts/setup.js
// (ensureRnnKernel) with Eigen's headers from the TensorFlow wheel; loaded as a Node-API addon, so it
// does not depend on the Node version. native/check.cc runs it under ASan (test/rnn-cpu-kernel.test.ts).
//
// Why a kernel of our own: on TF's CPU runtime every recurrent step is a chain of small ops, each
// run to completion on one thread before the next is dispatched, so a 2-core machine trains an RNN
// on one core (see the README's "Recurrent layers"). Here each layer call
// splits the independent work of the recurrence, (direction × batch shard), over the threads; every
// shard runs its own steps with no synchronisation between steps, and the big matmuls that do not
// depend on the recurrence (input projections, weight and input gradients) are one GEMM each, split
// into row or column slabs over the same threads.
//
// Layouts (row-major, float32; D directions, T steps, B batch, F features, H units), everything in
// the sequence's own time order, the backward direction (dir 1) stepping from t = T−1 down to 0:
//   x [T, B, F], read by every direction; h (output) and dy [T, B, D·H], the directions side by side
//   (so h is the next stacked layer's x as it is); dx [T, B, F], summed over the directions;
//   h0, c0 and their gradients [D, B, H];
//   LSTM (Keras gate order i, f, c, o): W [D, F, 4H], U [D, H, 4H], b [D, 4H]
//        state [D, T, B, 6H] = (i, f, c~, o) after activation, c, tanh(c)
//   GRU reset-after (Keras gate order z, r, h): W [D, F, 3H], U [D, H, 3H], b [D, 2, 3H]
//        (row 0 input bias, row 1 recurrent bias), state [D, T, B, 4H] = (z, r, n, h·Uh + b'h)
// The math, and the conventions shared with PyTorch, are documented in lib/layers/lstmKernel.ts and
// gruKernel.ts; this file computes the same thing.
#define EIGEN_DONT_PARALLELIZE
#ifndef GENRE_LAB_RNN_NO_NODE
#include <node_api.h>
#endif

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <cstdint>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#ifndef GENRE_LAB_RNN_NO_NODE
// native/tfops.cc: the TensorFlow CPU ops, registered on request (same addon).
napi_value GenreLabRegisterTfOps(napi_env env, napi_callback_info info);
#endif

namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Mat = Eigen::Map<RowMat>;
using CMat = Eigen::Map<const RowMat>;
using Vec = Eigen::Map<Eigen::ArrayXf>;
using CVec = Eigen::Map<const Eigen::ArrayXf>;

int g_threads = 1;

// A persistent pool of g_threads − 1 workers (the caller is the last one). A layer call has a few
// parallel regions (projections, recurrence, gradients); starting threads for each cost ~30–50 µs a
// region, noticeable at the lecture model's ~2 ms layers. Workers spin briefly after a region (the
// next one usually follows within microseconds), then sleep on a condition variable.
class Pool {
 public:
  ~Pool() { resize(0); }

  // Runs fn(0) … fn(n−1) on the workers and the calling thread, tasks handed out in order. One region
  // at a time: calls from several threads (Node worker_threads) take turns.
  void run(int n, const std::function<void(int)>& fn) {
    std::lock_guard<std::mutex> one(runMu_);
    const int helpers = std::min(n, g_threads) - 1;
    if (helpers <= 0) {
      for (int i = 0; i < n; i++) fn(i);
      return;
    }
    resize(g_threads - 1);
    next_.store(0);
    tasks_ = n;
    fn_ = &fn;
    pending_.store(helpers);
    {
      std::lock_guard<std::mutex> lock(mu_);
      wanted_ = helpers;
      generation_++;
    }
    cv_.notify_all();
    work();
    while (pending_.load(std::memory_order_acquire) > 0) std::this_thread::yield();
    fn_ = nullptr;
  }

 private:
  void work() {
    for (int i; (i = next_.fetch_add(1)) < tasks_;) (*fn_)(i);
  }

  void resize(int n) {
    if (int(workers_.size()) == n) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      generation_++;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
    stop_ = false;
    // A worker starts from the generation current now: one that started later than the caller's next
    // region would otherwise take that region for already seen and wait forever.
    const uint64_t start = generation_.load();
    for (int k = 0; k < n; k++) workers_.emplace_back([this, k, start] { loop(k, start); });
  }

  void loop(int id, uint64_t seen) {
    for (;;) {
      {
        // Spin ~50 µs for the next region before sleeping.
        auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
        while (generation_.load(std::memory_order_acquire) == seen && std::chrono::steady_clock::now() < until) std::this_thread::yield();
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return generation_.load() != seen; });
        seen = generation_;
        if (stop_) return;
        if (id >= wanted_) continue;  // this region needs fewer helpers
      }
      work();
      pending_.fetch_sub(1, std::memory_order_release);
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mu_, runMu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> next_{0}, pending_{0};
  int tasks_ = 0, wanted_ = 0;
  bool stop_ = false;
  const std::function<void(int)>* fn_ = nullptr;
};

Pool& pool() {
  static Pool p;
  return p;
}

// Runs fn(0) … fn(n−1) on up to g_threads threads (the caller's included).
void parallel(int n, const std::function<void(int)>& fn) { pool().run(n, fn); }

// Deterministic results: Eigen evaluates an elementwise expression with packets from the first
// 64-byte-aligned element of its destination and with scalar code before it, and its packet
// logistic/tanh/sqrt approximate differently from the scalar ones; so every transcendental result is
// computed into an Eigen-allocated (aligned) row buffer and copied out, never written straight into a
// caller's buffer, whose alignment differs from run to run. Same inputs, same bits.

// Grow-only scratch memory, one set per calling thread: buffers of tens of MB, freshly allocated on
// every call, cost more in page faults than the recurrence that fills them (measured: +10–25 ms a call
// at 3×LSTM(256), batch 50). Contents are not initialised; every user overwrites what it reads.
float* scratch(int slot, size_t n) {
  thread_local std::vector<float> buffers[2];
  if (buffers[slot].size() < n) buffers[slot].resize(n);
  return buffers[slot].data();
}

// [begin, end) of part k of n equal parts of [0, total).
inline std::pair<int, int> part(int total, int k, int n) {
  return {static_cast<int>(int64_t(total) * k / n), static_cast<int>(int64_t(total) * (k + 1) / n)};
}

struct Dims {
  int D, T, B, F, H;
  int64_t TB() const { return int64_t(T) * B; }
  int64_t DH() const { return int64_t(D) * H; }
  // Original time of step s of direction dir: the backward direction (dir 1) reads the sequence from the end.
  int time(int dir, int s) const { return dir == 0 ? s : T - 1 - s; }
};

// Strided views: h and dy keep the directions side by side, [T, B, D·H], so a row of one direction is
// H floats every D·H; the first step's previous state comes from h0/c0 ([D, B, H], rows H apart).
using SMat = Eigen::Map<const RowMat, 0, Eigen::OuterStride<>>;
using SMatW = Eigen::Map<RowMat, 0, Eigen::OuterStride<>>;

// How many batch shards each direction's recurrence is split into: enough (direction, shard) units to
// occupy every thread, but never fewer than 4 rows a shard (smaller GEMMs lose more than they gain).
int shardsPerDirection(const Dims& d) {
  int s = (g_threads + d.D - 1) / d.D;
  s = std::min(s, std::max(1, d.B / 4));
  return std::max(1, s);
}

// Splitting the big GEMMs: `slabs` pieces per direction, at least one per thread.
int slabs() { return std::max(1, g_threads); }

// Runs body(dir, b0, bs) for every (direction, batch shard) unit of a recurrence, one unit a thread.
void recurrenceUnits(const Dims& d, const std::function<void(int, int, int)>& body) {
  const int shards = shardsPerDirection(d);
  parallel(d.D * shards, [&](int unit) {
    auto [b0, b1] = part(d.B, unit % shards, shards);
    if (b1 > b0) body(unit / shards, b0, b1 - b0);
  });
}

// out[dir] [T·B, N] = x [T·B, F]·w[dir] [F, N] + bias, for every direction (all read the same x): row
// slabs over the threads; addBias(dir, row) adds the bias to one output row.
void projectInputs(const Dims& d, const float* x, const float* w, int N, const std::function<void(int, float*)>& addBias, float* out) {
  const int n = slabs();
  parallel(d.D * n, [&](int task) {
    const int dir = task / n;
    auto [r0, r1] = part(static_cast<int>(d.TB()), task % n, n);
    if (r1 <= r0) return;
    CMat X(x + int64_t(r0) * d.F, r1 - r0, d.F);
    CMat W(w + int64_t(dir) * d.F * N, d.F, N);
    Mat O(out + (int64_t(dir) * d.TB() + r0) * N, r1 - r0, N);
    O.noalias() = X * W;
    for (int r = 0; r < r1 - r0; r++) addBias(dir, O.row(r).data());
  });
}

// After a backward recurrence has left the pre-activation gradients gx, gu [D, T·B, N] (N = gates·H,
// rows in original time):
//   dx [T·B, F] = Σ_dir gx·Wᵀ, dW [D, F, N] = xᵀ·gx, dU [D, H, N] = Σ_t h_prev(t)ᵀ·gu(t),
// where h_prev(t) is the state the step at t started from (h0 at the direction's first step), and the
// bias gradients (column sums) by `biasGrads(dir, c0, c1)` for columns [c0, c1).
// gx and gu are the same array for the LSTM; the GRU's differ in the h block (see gruBackward).
void weightAndInputGrads(const Dims& d, int N, const float* x, const float* w, const float* h0, const float* h, const float* gx,
                         const float* gu, float* dx, float* dw, float* du, const std::function<void(int, int, int)>& biasGrads) {
  const int n = slabs();
  const int64_t TB = d.TB();
  const int B = d.B;
  // n row slabs of dx (every direction's share; none when dx is null: no gradient wanted for x), then
  // n column slabs of (dW, dU, bias) per direction.
  const int nx = dx ? n : 0;
  parallel(nx + d.D * n, [&](int task) {
    if (task < nx) {
      auto [r0, r1] = part(static_cast<int>(TB), task, n);
      if (r1 <= r0) return;
      Mat DX(dx + int64_t(r0) * d.F, r1 - r0, d.F);
      for (int dir = 0; dir < d.D; dir++) {
        CMat GX(gx + (int64_t(dir) * TB + r0) * N, r1 - r0, N);
        CMat W(w + int64_t(dir) * d.F * N, d.F, N);
        if (dir == 0) DX.noalias() = GX * W.transpose();
        else DX.noalias() += GX * W.transpose();
      }
      return;
    }
    const int dir = (task - nx) / n;
    auto [c0, c1] = part(N, (task - nx) % n, n);
    if (c1 <= c0) return;
    const int nc = c1 - c0;
    CMat GX(gx + int64_t(dir) * TB * N, TB, N);
    CMat GU(gu + int64_t(dir) * TB * N, TB, N);
    CMat X(x, TB, d.F);
    Mat DW(dw + int64_t(dir) * d.F * N, d.F, N);
    DW.middleCols(c0, nc).noalias() = X.transpose() * GX.middleCols(c0, nc);
    Mat DU(du + int64_t(dir) * d.H * N, d.H, N);
    CMat H0(h0 + int64_t(dir) * B * d.H, B, d.H);
    // Forward direction: h_prev(t) = h(t−1), h0 at t = 0; backward: h(t+1), h0 at t = T−1.
    const int64_t firstRow = dir == 0 ? 0 : TB - B;
    DU.middleCols(c0, nc).noalias() = H0.transpose() * GU.middleRows(firstRow, B).middleCols(c0, nc);
    if (d.T > 1) {
      SMat Hd(h + int64_t(dir) * d.H, TB, d.H, Eigen::OuterStride<>(d.DH()));
      if (dir == 0) DU.middleCols(c0, nc).noalias() += Hd.topRows(TB - B).transpose() * GU.bottomRows(TB - B).middleCols(c0, nc);
      else DU.middleCols(c0, nc).noalias() += Hd.bottomRows(TB - B).transpose() * GU.topRows(TB - B).middleCols(c0, nc);
    }
    biasGrads(dir, c0, c1);
  });
}

// Column sums of m [rows, N] over columns [c0, c1) into out[c0 … c1).
void columnSums(const float* m, int64_t rows, int N, int c0, int c1, float* out) {
  Vec o(out + c0, c1 - c0);
  o.setZero();
  for (int64_t r = 0; r < rows; r++) o += CVec(m + r * N + c0, c1 - c0);
}

// ---------------------------------------------------------------- LSTM

void lstmForward(const Dims& d, const float* x, const float* w, const float* u, const float* b, const float* h0, const float* c0,
                 float* h, float* state) {
  const int H = d.H, G = 4 * H, S = 6 * H;
  const int64_t TB = d.TB(), DH = d.DH();
  // Input projections of every step first (one GEMM); the recurrence adds h·U per step and writes the
  // activated gates, c and tanh(c) to `state` for the backward pass.
  float* xp = scratch(0, size_t(d.D) * TB * G);
  projectInputs(d, x, w, G, [&](int dir, float* row) { Vec(row, G) += CVec(b + int64_t(dir) * G, G); }, xp);
  recurrenceUnits(d, [&](int dir, int b0, int bs) {
    CMat U(u + int64_t(dir) * H * G, H, G);
    RowMat g(bs, G);
    Eigen::ArrayXf tmp(7 * H);  // one row's gates, c, tanh(c), h: see `deterministic` above
    const float* hPrev = h0 + (int64_t(dir) * d.B + b0) * H;
    const float* cPrev = c0 + (int64_t(dir) * d.B + b0) * H;
    int64_t hStride = H, cStride = H;  // h0/c0 rows are H apart; later h rows D·H, state rows 6H
    for (int s = 0; s < d.T; s++) {
      const int64_t row0 = int64_t(d.time(dir, s)) * d.B + b0;  // first row of this shard at this step
      g.noalias() = CMat(xp + (int64_t(dir) * TB + row0) * G, bs, G);
      g.noalias() += SMat(hPrev, bs, H, Eigen::OuterStride<>(hStride)) * U;
      float* st0 = state + (int64_t(dir) * TB + row0) * S;
      float* h0row = h + row0 * DH + int64_t(dir) * H;
      for (int r = 0; r < bs; r++) {
        const float* gr = g.row(r).data();
        float* t = tmp.data();
        Vec gi(t, H), gf(t + H, H), gc(t + 2 * H, H), go(t + 3 * H, H), c(t + 4 * H, H), tc(t + 5 * H, H), hr(t + 6 * H, H);
        gi = CVec(gr, H).logistic();
        gf = CVec(gr + H, H).logistic();
        gc = CVec(gr + 2 * H, H).tanh();
        go = CVec(gr + 3 * H, H).logistic();
        c = gf * CVec(cPrev + r * cStride, H) + gi * gc;
        tc = c.tanh();
        hr = go * tc;
        std::memcpy(st0 + int64_t(r) * S, t, sizeof(float) * S);
        std::memcpy(h0row + r * DH, t + S, sizeof(float) * H);
      }
      hPrev = h0row;
      hStride = DH;
      cPrev = st0 + 4 * H;
      cStride = S;
    }
  });
}

void lstmBackward(const Dims& d, const float* x, const float* w, const float* u, const float* h0, const float* c0, const float* h,
                  const float* state, const float* dy, float* dx, float* dw, float* du, float* db, float* dh0, float* dc0) {
  const int H = d.H, G = 4 * H, S = 6 * H;
  const int64_t TB = d.TB(), DH = d.DH();
  float* dA = scratch(0, size_t(d.D) * TB * G);  // pre-activation gate gradients, all steps
  recurrenceUnits(d, [&](int dir, int b0, int bs) {
    // Uᵀ row-major, once per call: dA·Uᵀ on the transposed view of U took 200 µs a step at
    // LSTM(256), batch 25 a shard, against 148 µs on this copy.
    const RowMat UT = CMat(u + int64_t(dir) * H * G, H, G).transpose();
    RowMat dhNext = RowMat::Zero(bs, H), dcNext = RowMat::Zero(bs, H);
    Eigen::ArrayXf dh(H), dc(H);
    for (int s = d.T - 1; s >= 0; s--) {
      const int64_t row0 = int64_t(d.time(dir, s)) * d.B + b0;
      const float* cp0 = s > 0 ? state + (int64_t(dir) * TB + int64_t(d.time(dir, s - 1)) * d.B + b0) * S + 4 * H
                               : c0 + (int64_t(dir) * d.B + b0) * H;
      const int64_t cpStride = s > 0 ? S : H;
      float* a0 = dA + (int64_t(dir) * TB + row0) * G;
      for (int r = 0; r < bs; r++) {
        const float* st = state + (int64_t(dir) * TB + row0 + r) * S;
        CVec i(st, H), f(st + H, H), gc(st + 2 * H, H), o(st + 3 * H, H), tc(st + 5 * H, H);
        Eigen::Map<Eigen::ArrayXf> dhn(dhNext.row(r).data(), H), dcn(dcNext.row(r).data(), H);
        dh = CVec(dy + (row0 + r) * DH + int64_t(dir) * H, H) + dhn;
        dc = dcn + dh * o * (1.f - tc * tc);
        float* a = a0 + int64_t(r) * G;
        Vec(a, H) = dc * gc * i * (1.f - i);
        Vec(a + H, H) = dc * CVec(cp0 + r * cpStride, H) * f * (1.f - f);
        Vec(a + 2 * H, H) = dc * i * (1.f - gc * gc);
        Vec(a + 3 * H, H) = dh * tc * o * (1.f - o);
        dcn = dc * f;
      }
      dhNext.noalias() = CMat(a0, bs, G) * UT;
    }
    Mat(dh0 + (int64_t(dir) * d.B + b0) * H, bs, H) = dhNext;
    Mat(dc0 + (int64_t(dir) * d.B + b0) * H, bs, H) = dcNext;
  });
  weightAndInputGrads(d, G, x, w, h0, h, dA, dA, dx, dw, du, [&](int dir, int c0_, int c1_) {
    columnSums(dA + int64_t(dir) * TB * G, TB, G, c0_, c1_, db + int64_t(dir) * G);
  });
}

// ---------------------------------------------------------------- GRU (reset-after)

void gruForward(const Dims& d, const float* x, const float* w, const float* u, const float* b, const float* h0, float* h, float* state) {
  const int H = d.H, G = 3 * H, S = 4 * H;
  const int64_t TB = d.TB(), DH = d.DH();
  // xp = x·W + b_in + [b'z, b'r, 0]: the recurrent biases of z and r sit outside r∘(…), so they fold in.
  float* xp = scratch(0, size_t(d.D) * TB * G);
  projectInputs(d, x, w, G, [&](int dir, float* row) {
    const float* bi = b + int64_t(dir) * 2 * G;
    Vec(row, G) += CVec(bi, G);
    Vec(row, 2 * H) += CVec(bi + G, 2 * H);
  }, xp);
  recurrenceUnits(d, [&](int dir, int b0, int bs) {
    CMat U(u + int64_t(dir) * H * G, H, G);
    CVec bhn(b + int64_t(dir) * 2 * G + G + 2 * H, H);
    RowMat g(bs, G);
    Eigen::ArrayXf tmp(5 * H);  // one row's z, r, n, gn, h: see `deterministic` above
    const float* hPrev = h0 + (int64_t(dir) * d.B + b0) * H;
    int64_t hStride = H;
    for (int s = 0; s < d.T; s++) {
      const int64_t row0 = int64_t(d.time(dir, s)) * d.B + b0;
      g.noalias() = SMat(hPrev, bs, H, Eigen::OuterStride<>(hStride)) * U;
      float* h0row = h + row0 * DH + int64_t(dir) * H;
      for (int r = 0; r < bs; r++) {
        const float* xr = xp + (int64_t(dir) * TB + row0 + r) * G;
        const float* gr = g.row(r).data();
        float* t = tmp.data();
        Vec z(t, H), rr(t + H, H), n(t + 2 * H, H), gn(t + 3 * H, H), hr(t + 4 * H, H);
        z = (CVec(xr, H) + CVec(gr, H)).logistic();
        rr = (CVec(xr + H, H) + CVec(gr + H, H)).logistic();
        gn = CVec(gr + 2 * H, H) + bhn;
        n = (CVec(xr + 2 * H, H) + rr * gn).tanh();
        hr = n + z * (CVec(hPrev + r * hStride, H) - n);
        std::memcpy(state + (int64_t(dir) * TB + row0 + r) * S, t, sizeof(float) * S);
        std::memcpy(h0row + r * DH, t + S, sizeof(float) * H);
      }
      hPrev = h0row;
      hStride = DH;
    }
  });
}

void gruBackward(const Dims& d, const float* x, const float* w, const float* u, const float* h0, const float* h, const float* state,
                 const float* dy, float* dx, float* dw, float* du, float* db, float* dh0) {
  const int H = d.H, G = 3 * H, S = 4 * H;
  const int64_t TB = d.TB(), DH = d.DH();
  // dXp = ∂L/∂(x·W + biases) [z, r, ñ pre-activations]; dG = ∂L/∂(h·U) (= dXp except the h block, r∘ outside).
  float* dXp = scratch(0, size_t(d.D) * TB * G);
  float* dG = scratch(1, size_t(d.D) * TB * G);
  recurrenceUnits(d, [&](int dir, int b0, int bs) {
    const RowMat UT = CMat(u + int64_t(dir) * H * G, H, G).transpose();  // as in lstmBackward
    RowMat dhNext = RowMat::Zero(bs, H);
    Eigen::ArrayXf dh(H), dnp(H);
    for (int s = d.T - 1; s >= 0; s--) {
      const int64_t row0 = int64_t(d.time(dir, s)) * d.B + b0;
      const float* hPrev = s > 0 ? h + (int64_t(d.time(dir, s - 1)) * d.B + b0) * DH + int64_t(dir) * H : h0 + (int64_t(dir) * d.B + b0) * H;
      const int64_t hStride = s > 0 ? DH : H;
      for (int r = 0; r < bs; r++) {
        const float* st = state + (int64_t(dir) * TB + row0 + r) * S;
        CVec z(st, H), rr(st + H, H), n(st + 2 * H, H), gn(st + 3 * H, H), hp(hPrev + r * hStride, H);
        Eigen::Map<Eigen::ArrayXf> dhn(dhNext.row(r).data(), H);
        dh = CVec(dy + (row0 + r) * DH + int64_t(dir) * H, H) + dhn;
        dnp = dh * (1.f - z) * (1.f - n * n);
        float* gx = dXp + (int64_t(dir) * TB + row0 + r) * G;
        float* gu = dG + (int64_t(dir) * TB + row0 + r) * G;
        Vec(gx, H) = dh * (hp - n) * z * (1.f - z);
        Vec(gx + H, H) = dnp * gn * rr * (1.f - rr);
        Vec(gx + 2 * H, H) = dnp;
        Vec(gu, 2 * H) = CVec(gx, 2 * H);
        Vec(gu + 2 * H, H) = dnp * rr;
        dhn = dh * z;  // + dG·Uᵀ below
      }
      dhNext.noalias() += CMat(dG + (int64_t(dir) * TB + row0) * G, bs, G) * UT;
    }
    Mat(dh0 + (int64_t(dir) * d.B + b0) * H, bs, H) = dhNext;
  });
  weightAndInputGrads(d, G, x, w, h0, h, dXp, dG, dx, dw, du, [&](int dir, int c0_, int c1_) {
    columnSums(dXp + int64_t(dir) * TB * G, TB, G, c0_, c1_, db + int64_t(dir) * 2 * G);
    columnSums(dG + int64_t(dir) * TB * G, TB, G, c0_, c1_, db + int64_t(dir) * 2 * G + G);
  });
}

// ---------------------------------------------------------------- elementwise helpers for the stack

// Inverted dropout between stacked layers: mask[i] = 0 with probability p, else 1/(1 − p); out = a∘mask.
// xorshift64* stream from `seed` (the JS side draws the seed per call).
void dropout(const float* a, float* out, float* mask, int64_t n, float p, uint64_t seed) {
  uint64_t s = seed ? seed : 0x9E3779B97F4A7C15ull;
  const float keep = 1.f / (1.f - p);
  for (int64_t i = 0; i < n; i++) {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    const float u01 = float((s * 0x2545F4914F6CDD1Dull) >> 40) * (1.f / 16777216.f);
    mask[i] = u01 < p ? 0.f : keep;
    out[i] = a[i] * mask[i];
  }
}

// ---------------------------------------------------------------- Adam

// One Adam step in place (PyTorch/tfjs arithmetic): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
// w ← w − lr·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε). Slabs over the threads when the tensor is large.
void adamStep(float* w, const float* g, float* m, float* v, int64_t n, double lr, double b1, double b2, double eps, int t) {
  const float c1 = float(1.0 / (1.0 - std::pow(b1, t))), c2 = float(1.0 / (1.0 - std::pow(b2, t)));
  const float fb1 = float(b1), fb2 = float(b2), flr = float(lr), feps = float(eps);
  const int n_parts = n >= (int64_t(1) << 16) ? slabs() : 1;
  parallel(n_parts, [&](int k) {
    // A plain loop, not Eigen: Eigen's vectorised sqrt is approximate (rsqrt + Newton) and its scalar
    // one exact, so results would depend on the buffer's alignment (see `deterministic`).
    for (int64_t i = n * k / n_parts, end = n * (k + 1) / n_parts; i < end; i++) {
      m[i] = fb1 * m[i] + (1.f - fb1) * g[i];
      v[i] = fb2 * v[i] + (1.f - fb2) * (g[i] * g[i]);
      w[i] -= flr * (m[i] * c1) / (std::sqrt(v[i] * c2) + feps);
    }
  });
}

// ---------------------------------------------------------------- multi-head self-attention
// softmax(Q·Kᵀ·scale)·V for every (batch, head) pair, forward and backward in one call each, for
// lib/models/attention.ts. Layouts (row-major): q, k, v, out and their gradients [B, T, H·E], head h
// in columns h·E … (h+1)·E − 1 (a projection's output as it is, no transposes); lse [B, H, T], the
// log-sum-exp of each row of the scaled logits. The T × T attention matrix of a pair lives only in
// per-thread scratch: the forward keeps lse, the backward recomputes P = exp(S − lse) from Q and K
// (FlashAttention's recomputation, on whole rows), so no [B, H, T, T] tensor is ever stored.
// Pairs are independent (their gradients land in disjoint columns): one task each over the threads.
// `ld`: the row stride of q, k, v and dq, dk, dv (0: H·E), so the three can be column blocks of one
// [B·T, 3·H·E] buffer (q at +0, k at +H·E, v at +2·H·E: one projection GEMM's output); out, dout
// and lse keep their own layouts.
struct AttnDims {
  int B, T, H, E;
  int64_t ld = 0;
  int64_t D() const { return int64_t(H) * E; }
  int64_t LD() const { return ld ? ld : D(); }
};

// Per-thread T × T matrices (Eigen-aligned, so exp's packet/scalar split depends only on T).
RowMat& attnScratch(int slot, int rows, int cols) {
  thread_local RowMat m[2];
  if (m[slot].rows() != rows || m[slot].cols() != cols) m[slot].resize(rows, cols);
  return m[slot];
}

void attentionForward(const AttnDims& d, float scale, const float* q, const float* k, const float* v, float* out, float* lse) {
  const int64_t D = d.D(), LD = d.LD(), T = d.T;
  parallel(d.B * d.H, [&](int task) {
    const int b = task / d.H, h = task % d.H;
    const int64_t at = b * T * D + int64_t(h) * d.E, in = b * T * LD + int64_t(h) * d.E;
    SMat Q(q + in, T, d.E, Eigen::OuterStride<>(LD)), K(k + in, T, d.E, Eigen::OuterStride<>(LD)), V(v + in, T, d.E, Eigen::OuterStride<>(LD));
    SMatW O(out + at, T, d.E, Eigen::OuterStride<>(D));
    RowMat& S = attnScratch(0, d.T, d.T);
    S.noalias() = (Q * scale) * K.transpose();
    Eigen::ArrayXf m = S.rowwise().maxCoeff().array();
    S.array().colwise() -= m;
    S = S.array().exp();
    Eigen::ArrayXf l = S.rowwise().sum().array();
    float* L = lse + (int64_t(b) * d.H + h) * T;
    for (int64_t i = 0; i < T; i++) L[i] = m[i] + std::log(l[i]);
    O.noalias() = S * V;
    O.array().colwise() /= l;
  });
}

void attentionBackward(const AttnDims& d, float scale, const float* q, const float* k, const float* v, const float* out, const float* lse,
                       const float* dout, float* dq, float* dk, float* dv) {
  const int64_t D = d.D(), LD = d.LD(), T = d.T;
  parallel(d.B * d.H, [&](int task) {
    const int b = task / d.H, h = task % d.H;
    const int64_t at = b * T * D + int64_t(h) * d.E, in = b * T * LD + int64_t(h) * d.E;
    const Eigen::OuterStride<> st(D), sti(LD);
    SMat Q(q + in, T, d.E, sti), K(k + in, T, d.E, sti), V(v + in, T, d.E, sti), O(out + at, T, d.E, st), dO(dout + at, T, d.E, st);
    SMatW dQ(dq + in, T, d.E, sti), dK(dk + in, T, d.E, sti), dV(dv + in, T, d.E, sti);
    CVec L(lse + (int64_t(b) * d.H + h) * T, T);
    RowMat& P = attnScratch(0, d.T, d.T);
    RowMat& dS = attnScratch(1, d.T, d.T);
    P.noalias() = (Q * scale) * K.transpose();
    P.array().colwise() -= L;
    P = P.array().exp();
    dV.noalias() = P.transpose() * dO;
    dS.noalias() = dO * V.transpose();
    // dS = P∘(dP − rowsum(dO∘O)): the softmax gradient, rowsum(dO∘O) = rowsum(P∘dP).
    Eigen::ArrayXf delta = (dO.array() * O.array()).rowwise().sum();
    dS.array().colwise() -= delta;
    dS.array() *= P.array();
    dQ.noalias() = (dS * K) * scale;
    dK.noalias() = (dS.transpose() * Q) * scale;
  });
}

// ---------------------------------------------------------------- layer normalisation
// Over the last axis of x [N, C] (lib/layers/layerNorm.ts): x̂ = (x − μ)·rstd, rstd = 1/√(σ² + ε)
// (biased variance), y = x̂·γ + β; the backward, with g = dy·γ, dx = rstd·(g − mean(g) − x̂·mean(g·x̂)),
// dγ = Σ dy·x̂ and dβ = Σ dy over the rows. Rows are split into a fixed number of chunks whatever
// the thread count, and the chunks' dγ/dβ partial sums are added in chunk order: the same bits on
// any number of threads. Plain loops (sqrt is exact in scalar and packet code alike); row sums in fixed lanes (`laneDot`).
constexpr int kNormChunks = 64;

// Σ v[c]·w[c] over c < C (w null: Σ v[c]) in 16 fixed lanes, then the lanes in order: a loop the compiler
// vectorises without reassociating anything itself, so the same bits on every target and thread count.
inline float laneDot(const float* __restrict v, const float* __restrict w, int C) {
  float acc[16] = {0.f};
  int c = 0;
  for (; c + 16 <= C; c += 16)
    for (int j = 0; j < 16; j++) acc[j] += w ? v[c + j] * w[c + j] : v[c + j];
  for (int j = 0; c < C; c++, j++) acc[j] += w ? v[c] * w[c] : v[c];
  float s = 0.f;
  for (int j = 0; j < 16; j++) s += acc[j];
  return s;
}

void layerNormForward(int64_t N, int C, float eps, const float* x, const float* gamma, const float* beta, float* y, float* xhat, float* rstd) {
  parallel(kNormChunks, [&](int k) {
    std::vector<float> centred(C);
    float* __restrict cr = centred.data();
    for (int64_t i = N * k / kNormChunks, end = N * (k + 1) / kNormChunks; i < end; i++) {
      const float* __restrict xr = x + i * C;
      const float mean = laneDot(xr, nullptr, C) / float(C);
      for (int c = 0; c < C; c++) cr[c] = xr[c] - mean;
      const float r = 1.f / std::sqrt(laneDot(cr, cr, C) / float(C) + eps);
      rstd[i] = r;
      float* __restrict hr = xhat + i * C;
      float* __restrict yr = y + i * C;
      for (int c = 0; c < C; c++) {
        hr[c] = cr[c] * r;
        yr[c] = hr[c] * gamma[c] + beta[c];
      }
    }
  });
}

void layerNormBackward(int64_t N, int C, const float* dy, const float* xhat, const float* rstd, const float* gamma, float* dx, float* dgamma, float* dbeta) {
  std::vector<float> partial(size_t(kNormChunks) * 2 * C, 0.f);
  parallel(kNormChunks, [&](int k) {
    float* __restrict pg = partial.data() + size_t(k) * 2 * C;
    float* __restrict pb = pg + C;
    std::vector<float> gy(C);
    float* __restrict g = gy.data();
    for (int64_t i = N * k / kNormChunks, end = N * (k + 1) / kNormChunks; i < end; i++) {
      const float* __restrict dr = dy + i * C;
      const float* __restrict hr = xhat + i * C;
      for (int c = 0; c < C; c++) {
        g[c] = dr[c] * gamma[c];
        pg[c] += dr[c] * hr[c];
        pb[c] += dr[c];
      }
      const float m1 = laneDot(g, nullptr, C) / float(C);
      const float m2 = laneDot(g, hr, C) / float(C);
      float* __restrict xr = dx + i * C;
      for (int c = 0; c < C; c++) xr[c] = rstd[i] * (g[c] - m1 - hr[c] * m2);
    }
  });
  for (int c = 0; c < C; c++) dgamma[c] = dbeta[c] = 0.f;
  for (int k = 0; k < kNormChunks; k++)
    for (int c = 0; c < C; c++) {
      dgamma[c] += partial[size_t(k) * 2 * C + c];
      dbeta[c] += partial[size_t(k) * 2 * C + C + c];
    }
}

// ---------------------------------------------------------------- Node-API glue
// (left out with -DGENRE_LAB_RNN_NO_NODE, to time the kernels from a C++ program)
#ifndef GENRE_LAB_RNN_NO_NODE

struct JsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Args {
  napi_env env;
  std::vector<napi_value> v;
  std::string fn;
  Args(napi_env e, napi_callback_info info, size_t want, const char* name) : env(e), v(want), fn(name) {
    size_t argc = want;
    napi_get_cb_info(env, info, &argc, v.data(), nullptr, nullptr);
    if (argc != want) throw JsError(fn + ": expected " + std::to_string(want) + " arguments, got " + std::to_string(argc));
  }
  int integer(size_t i, const char* what) {
    int32_t out = 0;
    if (napi_get_value_int32(env, v[i], &out) != napi_ok || out < 0) throw JsError(fn + ": " + what + " must be a non-negative integer");
    return out;
  }
  double number(size_t i, const char* what) {
    double out = 0;
    if (napi_get_value_double(env, v[i], &out) != napi_ok) throw JsError(fn + ": " + what + " must be a number");
    return out;
  }
  // The element count of a typed-array argument (0 for anything else; floats() then says what is wrong).
  size_t length(size_t i) {
    bool is = false;
    size_t n = 0;
    napi_is_typedarray(env, v[i], &is);
    if (is) napi_get_typedarray_info(env, v[i], nullptr, &n, nullptr, nullptr, nullptr);
    return n;
  }
  // A Float32Array argument of exactly `n` elements.
  float* floats(size_t i, int64_t n, const char* what) {
    bool is = false;
    napi_is_typedarray(env, v[i], &is);
    if (!is) throw JsError(fn + ": " + what + " must be a Float32Array");
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    napi_get_typedarray_info(env, v[i], &type, &length, &data, nullptr, nullptr);
    if (type != napi_float32_array) throw JsError(fn + ": " + what + " must be a Float32Array");
    if (int64_t(length) != n) throw JsError(fn + ": " + what + " has " + std::to_string(length) + " elements, expected " + std::to_string(n));
    return static_cast<float*>(data);
  }
  // Like floats(), but an empty Float32Array means "not wanted" (null).
  float* optionalFloats(size_t i, int64_t n, const char* what) {
    bool is = false;
    napi_is_typedarray(env, v[i], &is);
    return is && length(i) == 0 ? nullptr : floats(i, n, what);
  }
  Dims dims(size_t i) {
    Dims d{};
    napi_value arr = v[i];
    uint32_t len = 0;
    napi_get_array_length(env, arr, &len);
    if (len != 5) throw JsError(fn + ": dims must be [D, T, B, F, H]");
    int* out[] = {&d.D, &d.T, &d.B, &d.F, &d.H};
    for (uint32_t k = 0; k < 5; k++) {
      napi_value e;
      napi_get_element(env, arr, k, &e);
      int32_t val = 0;
      if (napi_get_value_int32(env, e, &val) != napi_ok || val <= 0) throw JsError(fn + ": dims must be positive integers [D, T, B, F, H]");
      *out[k] = val;
    }
    return d;
  }
};

template <class F>
napi_value guarded(napi_env env, F body) {
  try {
    return body();
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, (std::string("native/rnn.cc ") + e.what()).c_str());
    return nullptr;
  }
}

napi_value undefinedValue(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

// lstmForward(dims, x, W, U, b, h0, c0, h, state)
napi_value LstmForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info, 9, "lstmForward");
    Dims d = a.dims(0);
    const int64_t D = d.D, TB = d.TB(), F = d.F, H = d.H;
    lstmForward(d, a.floats(1, TB * F, "x"), a.floats(2, D * F * 4 * H, "W"), a.floats(3, D * H * 4 * H, "U"), a.floats(4, D * 4 * H, "b"),
                a.floats(5, D * d.B * H, "h0"), a.floats(6, D * d.B * H, "c0"), a.floats(7, TB * D * H, "h"), a.floats(8, D * TB * 6 * H, "state"));
    return undefinedValue(env);
  });
}

// lstmBackward(dims, x, W, U, h0, c0, h, state, dy, dx, dW, dU, db, dh0, dc0); dx empty: not computed
napi_value LstmBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info, 15, "lstmBackward");
    Dims d = a.dims(0);
    const int64_t D = d.D, TB = d.TB(), F = d.F, H = d.H, BH = D * d.B * H;
    lstmBackward(d, a.floats(1, TB * F, "x"), a.floats(2, D * F * 4 * H, "W"), a.floats(3, D * H * 4 * H, "U"), a.floats(4, BH, "h0"),
                 a.floats(5, BH, "c0"), a.floats(6, D * TB * H, "h"), a.floats(7, D * TB * 6 * H, "state"), a.floats(8, D * TB * H, "dy"),
                 a.optionalFloats(9, TB * F, "dx"), a.floats(10, D * F * 4 * H, "dW"), a.floats(11, D * H * 4 * H, "dU"), a.floats(12, D * 4 * H, "db"),
                 a.floats(13, BH, "dh0"), a.floats(14, BH, "dc0"));
    return undefinedValue(env);
  });
}

// gruForward(dims, x, W, U, b, h0, h, state)
napi_value GruForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info, 8, "gruForward");
    Dims d = a.dims(0);
    const int64_t D = d.D, TB = d.TB(), F = d.F, H = d.H;
    gruForward(d, a.floats(1, TB * F, "x"), a.floats(2, D * F * 3 * H, "W"), a.floats(3, D * H * 3 * H, "U"), a.floats(4, D * 6 * H, "b"),
               a.floats(5, D * d.B * H, "h0"), a.floats(6, D * TB * H, "h"), a.floats(7, D * TB * 4 * H, "state"));
    return undefinedValue(env);
  });
}

// gruBackward(dims, x, W, U, h0, h, state, dy, dx, dW, dU, db, dh0); dx empty: not computed
napi_value GruBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info, 13, "gruBackward");
    Dims d = a.dims(0);
    const int64_t D = d.D, TB = d.TB(), F = d.F, H = d.H, BH = D * d.B * H;
    gruBackward(d, a.floats(1, TB * F, "x"), a.floats(2, D * F * 3 * H, "W"), a.floats(3, D * H * 3 * H, "U"), a.floats(4, BH, "h0"),
                a.floats(5, D * TB * H, "h"), a.floats(6, D * TB * 4 * H, "state"), a.floats(7, D * TB * H, "dy"), a.optionalFloats(8, TB * F, "dx"),
                a.floats(9, D * F * 3 * H, "dW"), a.floats(10, D * H * 3 * H, "dU"), a.floats(11, D * 6 * H, "db"), a.floats(12, BH, "dh0"));
    return undefinedValue(env);
  });
}

// dropout(a, out, mask, p, seed): inverted dropout, the mask kept for the backward pass.
napi_value Dropout(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info, 5, "dropout");
    const size_t n = a.length(0);
    const double p = a.number(3, "p"), seed = a.number(4, "seed");
    if (!(p >= 0 && p < 1)) throw JsError("dropout: p must be in [0, 1)");
    dropout(a.floats(0, n, "a"), a.floats(1, n, "out"), a.floats(2, n, "mask"), int64_t(n), float(p), uint64_t(seed));
    return undefinedValue(env);
  });
}

// multiply(a, b, out): out = a∘b (the dropout mask applied to a gradient).
napi_value Multiply(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info, 3, "multiply");
    const size_t n = a.length(0);
    Vec(a.floats(2, n, "out"), n) = CVec(a.floats(0, n, "a"), n) * CVec(a.floats(1, n, "b"), n);
    return undefinedValue(env);
  });
}

// adamStep(w, g, m, v, lr, beta1, beta2, epsilon, t): one Adam update of w, m, v in place (t counts from 1).
napi_value AdamStep(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info, 9, "adamStep");
    const size_t n = a.length(0);
    const int t = a.integer(8, "t");
    if (t < 1) throw JsError("adamStep: t must be ≥ 1");
    adamStep(a.floats(0, n, "w"), a.floats(1, n, "g"), a.floats(2, n, "m"), a.floats(3, n, "v"), int64_t(n), a.number(4, "lr"), a.number(5, "beta1"),
             a.number(6, "beta2"), a.number(7, "epsilon"), t);
    return undefinedValue(env);
  });
}

// setThreads(n): threads for every later call (1 … 256); returns the value in force.
napi_value SetThreads(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a(env, info, 1, "setThreads");
    const int n = a.integer(0, "threads");
    if (n < 1 || n > 256) throw JsError("setThreads: threads must be in 1 … 256");
    g_threads = n;
    napi_value out;
    napi_create_int32(env, g_threads, &out);
    return out;
  });
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"lstmForward", nullptr, LstmForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"lstmBackward", nullptr, LstmBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gruForward", nullptr, GruForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gruBackward", nullptr, GruBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"dropout", nullptr, Dropout, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"multiply", nullptr, Multiply, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamStep", nullptr, AdamStep, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"registerTfOps", nullptr, GenreLabRegisterTfOps, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  g_threads = std::max(1u, std::thread::hardware_concurrency());
  return exports;
}

}  // namespace

// For native/tfops.cc: the same thread pool, and the kernels its TF ops run.
void genre_lab_parallel(int n, const std::function<void(int)>& fn) { parallel(n, fn); }
void genre_lab_attention_forward(int B, int T, int H, int E, int64_t ld, float scale, const float* q, const float* k, const float* v, float* out, float* lse) {
  AttnDims d{B, T, H, E, ld};
  attentionForward(d, scale, q, k, v, out, lse);
}
void genre_lab_attention_backward(int B, int T, int H, int E, int64_t ld, float scale, const float* q, const float* k, const float* v, const float* out,
                                  const float* lse, const float* dout, float* dq, float* dk, float* dv) {
  AttnDims d{B, T, H, E, ld};
  attentionBackward(d, scale, q, k, v, out, lse, dout, dq, dk, dv);
}
void genre_lab_layer_norm_forward(int64_t N, int C, float eps, const float* x, const float* gamma, const float* beta, float* y, float* xhat, float* rstd) {
  layerNormForward(N, C, eps, x, gamma, beta, y, xhat, rstd);
}
void genre_lab_layer_norm_backward(int64_t N, int C, const float* dy, const float* xhat, const float* rstd, const float* gamma, float* dx, float* dgamma,
                                   float* dbeta) {
  layerNormBackward(N, C, dy, xhat, rstd, gamma, dx, dgamma, dbeta);
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
#else
}  // namespace
#endif
