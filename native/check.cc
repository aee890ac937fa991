// Memory-safety check of native/rnn.cc and of native/tfops.cc's pool / batch-norm helpers (pooling over each
// elementwise transform, the argmax scatters and gathers with foreign argmax values, the batch-norm sums):
// every kernel on edge shapes (T = 1, B = 1, H = 1, odd sizes,
// one or two directions, with and without dx; attention with T = 1, one head, depth 1, q/k/v apart and as one strided buffer; layer norm with 1 row or column) and 1–3 threads, built with AddressSanitizer by
// test/rnn-cpu-kernel.test.ts (~30 s); add UBSan by hand (~2 min to build):
//   g++ -O1 -fsanitize=address,undefined -march=x86-64-v4 (or this CPU's target in native/kernel-build.js) -std=c++17 -DGENRE_LAB_RNN_NO_NODE -I<eigen> -pthread native/check.cc
#include "rnn.cc"
void genre_lab_parallel(int n, const std::function<void(int)>& fn) { parallel(n, fn); }  // rnn.cc defines it with the node part
#include "tfops.cc"
#include <cstdio>
#include <cstdlib>
#include <cstring>
int main() {
  int count = 0;
  for (int th : {1, 2, 3}) for (int D : {1, 2}) for (int T : {1, 2, 5}) for (int B : {1, 3, 9}) for (int F : {1, 7}) for (int H : {1, 5, 17}) for (int gru = 0; gru < 2; gru++) for (int nodx = 0; nodx < 2; nodx++) {
    g_threads = th; Dims d{D,T,B,F,H}; int G = gru ? 3*H : 4*H, S = gru ? 4*H : 6*H; int64_t TB = int64_t(T)*B;
    auto v = [](size_t n, float s){ std::vector<float> a(n); for (size_t i=0;i<n;i++) a[i] = std::sin(i*0.37f+s)*0.5f; return a; };
    auto x=v(TB*F,1), w=v(D*F*G,2), u=v(D*H*G,3), b=v(D*(gru?2*G:G),4), h0=v(D*B*H,5), c0=v(D*B*H,6), dy=v(TB*D*H,7);
    std::vector<float> h(TB*D*H), st(D*TB*S), dx(TB*F), dw(w.size()), du(u.size()), db(b.size()), dh0(h0.size()), dc0(h0.size());
    if (gru) { gruForward(d,x.data(),w.data(),u.data(),b.data(),h0.data(),h.data(),st.data()); gruBackward(d,x.data(),w.data(),u.data(),h0.data(),h.data(),st.data(),dy.data(),nodx?nullptr:dx.data(),dw.data(),du.data(),db.data(),dh0.data()); }
    else { lstmForward(d,x.data(),w.data(),u.data(),b.data(),h0.data(),c0.data(),h.data(),st.data()); lstmBackward(d,x.data(),w.data(),u.data(),h0.data(),c0.data(),h.data(),st.data(),dy.data(),nodx?nullptr:dx.data(),dw.data(),du.data(),db.data(),dh0.data(),dc0.data()); }
    std::vector<float> ww = w, m(w.size()), vv(w.size()); adamStep(ww.data(), dw.data(), m.data(), vv.data(), ww.size(), 0.01, 0.9, 0.999, 1e-7, 1);
    std::vector<float> out(h.size()), mask(h.size()); dropout(h.data(), out.data(), mask.data(), h.size(), 0.3f, 7);
    count++;
  }
  printf("ok %d cases\n", count);
  int attention = 0;
  for (int th : {1, 2, 3}) for (int B : {1, 2}) for (int T : {1, 2, 7}) for (int H : {1, 3}) for (int E : {1, 5}) {
    g_threads = th; AttnDims d{B, T, H, E}; const size_t n = size_t(B) * T * H * E;
    auto v = [](size_t n, float s){ std::vector<float> a(n); for (size_t i=0;i<n;i++) a[i] = std::sin(i*0.37f+s)*0.5f; return a; };
    auto q=v(n,1), k=v(n,2), vv=v(n,3), dy=v(n,4); std::vector<float> out(n), lse(size_t(B)*H*T), dq(n), dk(n), dv(n);
    attentionForward(d, 0.5f, q.data(), k.data(), vv.data(), out.data(), lse.data());
    attentionBackward(d, 0.5f, q.data(), k.data(), vv.data(), out.data(), lse.data(), dy.data(), dq.data(), dk.data(), dv.data());
    // q, k, v as the column blocks of one [B·T, 3·H·E] buffer (GenreLabAttention's layout)
    const int64_t D = int64_t(H) * E; AttnDims s{B, T, H, E, 3 * D};
    auto qkv=v(3*n,5); std::vector<float> dqkv(3*n);
    attentionForward(s, 0.5f, qkv.data(), qkv.data()+D, qkv.data()+2*D, out.data(), lse.data());
    attentionBackward(s, 0.5f, qkv.data(), qkv.data()+D, qkv.data()+2*D, out.data(), lse.data(), dy.data(), dqkv.data(), dqkv.data()+D, dqkv.data()+2*D);
    attention++;
  }
  printf("ok %d attention cases\n", attention);
  int norms = 0;
  for (int th : {1, 2, 3}) for (int64_t N : {1, 2, 63, 130}) for (int C : {1, 5, 17, 128}) {
    g_threads = th; const size_t n = size_t(N) * C;
    auto v = [](size_t n, float s){ std::vector<float> a(n); for (size_t i=0;i<n;i++) a[i] = std::sin(i*0.37f+s)*0.5f; return a; };
    auto x=v(n,1), gm=v(C,2), bt=v(C,3), dy=v(n,4); std::vector<float> y(n), xh(n), rs(N), dx(n), dg(C), db(C);
    layerNormForward(N, C, 1e-6f, x.data(), gm.data(), bt.data(), y.data(), xh.data(), rs.data());
    layerNormBackward(N, C, dy.data(), xh.data(), rs.data(), gm.data(), dx.data(), dg.data(), db.data());
    norms++;
  }
  printf("ok %d layer-norm cases\n", norms);
  setenv("GENRE_LAB_PARALLEL_MIN", "0", 1);  // the threaded paths on every shape
  int pools = 0;
  for (int th : {1, 3}) for (int N : {1, 2}) for (int H : {1, 2, 5}) for (int W : {1, 3, 7}) for (int C : {1, 5, 16, 17, 32, 64})
    for (int kh : {1, 2, 3}) for (int kw : {1, 2}) for (int sh : {1, 2}) for (int sw : {1, 3}) for (int same = 0; same < 2; same++) {
      g_threads = th;
      PoolAttrs p{kh, kw, sh, sw, same == 1};
      PoolGeom g{N, H, W, C, 0, 0, 0, 0};
      windowed(H, kh, sh, p.same, g.OH, g.padT);
      windowed(W, kw, sw, p.same, g.OW, g.padL);
      if (g.OH < 1 || g.OW < 1) continue;
      const int64_t item = int64_t(H) * W * C, pooled = g.OH * g.OW * C, rows = int64_t(N) * H * W;
      auto v = [](size_t n, float s){ std::vector<float> a(n); for (size_t i=0;i<n;i++) a[i] = std::sin(i*0.37f+s)*0.5f; return a; };
      auto x = v(N * item, 1), bias = v(C, 2), gamma = v(C, 3), beta = v(C, 4), mm = v(C, 5), mv = v(C, 6), dy = v(N * pooled, 7);
      for (float& m : mv) m = std::fabs(m) + 0.5f;
      std::vector<float> y(N * pooled), stats(5 * C), dx(N * item), k = v(C, 8), sum(C), sum2(C);
      std::vector<int32_t> am(N * pooled);
      float *mean = stats.data(), *inv = mean + C, *nmm = inv + C, *nmv = nmm + C, *scale = nmv + C;
      bnStatistics(BnAttrs{1e-3f, 0.01f}, x.data(), rows, C, gamma.data(), mm.data(), mv.data(), bias.data(), mean, inv, scale, nmm, nmv);
      // Each transform's pool (vector paths of this build's target) against a plain row-major loop over the scalar transform.
      auto pool = [&](const auto& f) {
        tasks(N, N * item, [&](int b) { poolItem(p, g, b, x.data(), y.data(), am.data(), f); });
        for (int64_t b = 0; b < N; b++) for (int64_t oh = 0; oh < g.OH; oh++) for (int64_t ow = 0; ow < g.OW; ow++) for (int64_t d = 0; d < C; d++) {
          const int64_t h0 = std::max<int64_t>(oh * sh - g.padT, 0), h1 = std::min<int64_t>(oh * sh - g.padT + kh, H);
          const int64_t w0 = std::max<int64_t>(ow * sw - g.padL, 0), w1 = std::min<int64_t>(ow * sw - g.padL + kw, W);
          float m = 0.f; int32_t at = -1;
          for (int64_t h = h0; h < h1; h++) for (int64_t w = w0; w < w1; w++) {
            const int32_t pos = int32_t((h * W + w) * C + d); const float v = f.s(x[b * item + pos], d);
            if (at < 0 || v > m) m = v, at = pos;
          }
          const size_t o = size_t(((b * g.OH + oh) * g.OW + ow) * C + d);
          if (std::memcmp(&m, &y[o], 4) != 0 || at != am[o]) { printf("pool mismatch: N%d H%d W%d C%d k%dx%d s%dx%d same%d\n", N, H, W, C, kh, kw, sh, sw, same); std::exit(1); }
        }
      };
      pool(Identity{});
      pool(BiasReluOf{bias.data()});
      pool(BnReluOf{mean, scale, beta.data()});
      const int32_t foreign[] = {-1, int32_t(item), INT32_MAX, INT32_MIN};
      for (size_t i = 0; i < am.size(); i += 7) am[i] = foreign[(i / 7) % 4];  // a foreign argmax must not reach outside dx
      std::vector<double> s0(2 * C), s1(2 * C);
      for (int64_t b = 0; b < N; b++) {
        const float* g0 = dy.data() + b * pooled; const float* yb = y.data() + b * pooled; const int32_t* ab = am.data() + b * pooled; float* ob = dx.data() + b * item;
        poolBnSums(C, pooled, item, g0, yb, ab, x.data() + b * item, mean, s0.data(), s1.data());
        affineRows(x.data() + b * item, ob, int64_t(H) * W, C, mean, gamma.data(), beta.data(), sum.data());
        poolScatter<true, true>(C, pooled, item, g0, yb, ab, k.data(), ob, sum2.data());
        poolScatter<true, false>(C, pooled, item, g0, yb, ab, nullptr, ob, sum2.data());
        poolScatter<false, false>(C, pooled, item, g0, nullptr, ab, nullptr, ob, nullptr);
      }
      std::vector<double> gs(2 * C);
      channelSums(rows, C, 2, gs.data(), [&](int64_t r0, int64_t r1, double* acc) { bnRowSums<2>(x.data(), dx.data(), nullptr, mean, r0, r1, C, acc); });
      pools++;
    }
  printf("ok %d tfops pool/batch-norm cases\n", pools);
}
