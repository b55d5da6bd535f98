// ops/cpu/pool_avx2.cc: the float32 AVX2 pooling paths (see pool_avx2.h).
//
// Forward (max and average, any window): each plane's rows are copied into a scratch buffer,
// padded left and right and split into the phases of the W stride, so that tap kw of 8
// neighbouring outputs is one contiguous load; up to 4 vectors of a row are accumulated at once to
// hide latency. Max pooling checks each plane for NaN while copying and takes the plain max
// instruction when there is none. 1-row windows with stride 2 or 3 without argmax (forward-only
// 1-d max pooling) skip the copy: the window max at every column, then every s-th. Average
// backward with stride 1 is a box sum over the zero-padded, divided output gradient; with a W
// stride of 2..8 it sums shifted copies of the covering gradient rows per stride phase and
// interleaves the phases.
#include "ops/cpu/pool_avx2.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#ifdef __AVX2__
#include <immintrin.h>
#endif

namespace nb360 {
namespace cpu {
namespace pool {
namespace {

#ifdef __AVX2__

constexpr int64_t kLanes = 8;

int64_t RoundUp(int64_t n) { return (n + kLanes - 1) / kLanes * kLanes; }

// Stores the first n (<= 8) lanes of v at p.
void StorePartial(float* p, __m256 v, int64_t n) {
  alignas(32) float tmp[kLanes];
  _mm256_store_ps(tmp, v);
  std::memcpy(p, tmp, n * sizeof(float));
}
void StorePartial(int32_t* p, __m256i v, int64_t n) {
  alignas(32) int32_t tmp[kLanes];
  _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), v);
  std::memcpy(p, tmp, n * sizeof(int32_t));
}

// Scratch layout of a plane's rows for the forward paths: each row of the W-padded plane, split
// into the w.s stride phases; padded column c lives at phase c % s, slot c / s. A phase holds
// `wq` slots (a multiple of 8): enough for every tap of RoundUp(w.out) outputs. Tap kw of outputs
// ow.. starts at tap[kw] + ow in a row.
struct PhasedRows {
  int64_t s, wq;
  std::vector<int64_t> tap;
  int64_t row_len() const { return wq * s; }
};

PhasedRows MakePhasedRows(const Axis& w) {
  PhasedRows l{w.s, RoundUp(RoundUp(w.out) + (w.k - 1) / w.s), {}};
  for (int64_t kw = 0; kw < w.k; ++kw) l.tap.push_back((kw % w.s) * l.wq + kw / w.s);
  return l;
}

// Lanes 0, 2, .. 14 (kOffset 0) or 1, 3, .. 15 (kOffset 1) of the 16 floats in a, b.
template <int kOffset>
__m256 Deinterleave2(__m256 a, __m256 b) {
  constexpr int kPick = kOffset == 0 ? _MM_SHUFFLE(2, 0, 2, 0) : _MM_SHUFFLE(3, 1, 3, 1);
  const __m256 mixed = _mm256_shuffle_ps(a, b, kPick);  // a0 a2 b0 b2 | a4 a6 b4 b6 for kOffset 0
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(mixed), _MM_SHUFFLE(3, 1, 2, 0)));
}

// Permutes and blend masks for Deinterleave3: lane i of phase q is lane (q + 3 i) % 8 of source
// vector (q + 3 i) / 8.
struct Stride3Tables {
  __m256i index[3][3];
  __m256 take[3][3];
};

Stride3Tables MakeStride3Tables() {
  Stride3Tables t;
  for (int q = 0; q < 3; ++q) {
    for (int m = 0; m < 3; ++m) {
      alignas(32) int32_t index[kLanes], take[kLanes];
      for (int i = 0; i < kLanes; ++i) {
        const int pos = q + 3 * i;
        index[i] = pos / kLanes == m ? pos % kLanes : 0;
        take[i] = pos / kLanes == m ? -1 : 0;
      }
      t.index[q][m] = _mm256_load_si256(reinterpret_cast<const __m256i*>(index));
      t.take[q][m] = _mm256_castsi256_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(take)));
    }
  }
  return t;
}

const Stride3Tables kStride3 = MakeStride3Tables();

// Lanes q, q + 3, .. q + 21 of the 24 floats in src[0..2]: one permute per source, two blends.
inline __m256 Deinterleave3(const __m256* src, int q) {
  const Stride3Tables& t = kStride3;
  __m256 v = _mm256_permutevar8x32_ps(src[0], t.index[q][0]);
  v = _mm256_blendv_ps(v, _mm256_permutevar8x32_ps(src[1], t.index[q][1]), t.take[q][1]);
  return _mm256_blendv_ps(v, _mm256_permutevar8x32_ps(src[2], t.index[q][2]), t.take[q][2]);
}

// LoadRow8 where some lane is outside the row. Contiguous lanes that cross one end of a row of at
// least 8 values are a load of the row's first or last 8 values shifted into place; the rest is a
// gather (slow on recent Intel microcode, so kept off the common paths). Inlined: a call would
// spill the caller's vector registers.
[[gnu::always_inline]] inline __m256 LoadRow8Edge(const float* xr, int64_t c0, int64_t step, int64_t n, float fill) {
  if (step == 1 && (c0 + kLanes <= 0 || c0 >= n)) return _mm256_set1_ps(fill);
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i col = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int32_t>(c0)),
                                       _mm256_mullo_epi32(iota, _mm256_set1_epi32(static_cast<int32_t>(step))));
  const __m256i inside = _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_setzero_si256(), col),
                                             _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(n)), col));
  if (step == 1 && n >= kLanes && (c0 < 0) != (c0 + kLanes > n)) {
    const int64_t start = c0 < 0 ? 0 : n - kLanes;  // the 8 row values that hold the inside lanes
    const __m256i from = _mm256_sub_epi32(col, _mm256_set1_epi32(static_cast<int32_t>(start)));
    const __m256 v = _mm256_permutevar8x32_ps(_mm256_loadu_ps(xr + start), from);
    return _mm256_blendv_ps(_mm256_set1_ps(fill), v, _mm256_castsi256_ps(inside));
  }
  return _mm256_mask_i32gather_ps(_mm256_set1_ps(fill), xr, col, _mm256_castsi256_ps(inside), sizeof(float));
}

// Lanes c0 + i * step, i < 8, of a row of n values, with `fill` where outside [0, n).
inline __m256 LoadRow8(const float* xr, int64_t c0, int64_t step, int64_t n, float fill) {
  if (step == 1 && c0 >= 0 && c0 + kLanes <= n) return _mm256_loadu_ps(xr + c0);
  return LoadRow8Edge(xr, c0, step, n, fill);
}

// Ors into *nan the lanes where a or b is NaN.
inline void NoteNan(__m256 a, __m256 b, __m256* nan) {
  *nan = _mm256_or_ps(*nan, _mm256_cmp_ps(a, b, _CMP_UNORD_Q));
}

// Copies the plane x (h rows of w.in) into buf in the PhasedRows layout, `fill` outside the input;
// returns whether the plane holds a NaN (computed only if kCheckNan). Slots [j, j + 8) of every
// phase come from the padded columns [j s, (j + 8) s), i.e. input columns from j s - pad: 2 or 3
// source vectors deinterleaved in registers, else one gather each.
template <bool kCheckNan>
bool FillPhasedRows(const float* x, int64_t h, const Axis& w, const PhasedRows& l, float fill, float* buf) {
  const int64_t len = l.row_len();
  __m256 nan = _mm256_setzero_ps();
  bool scalar_nan = false;
  for (int64_t r = 0; r < h; ++r) {
    const float* xr = x + r * w.in;
    float* br = buf + r * len;
    if (l.s == 1) {  // the padded row itself
      const int64_t left = std::min(w.pad, len), mid = std::min(w.in, len - left);
      std::fill(br, br + left, fill);
      int64_t i = 0;
      for (; i + kLanes <= mid; i += kLanes) {
        const __m256 v = _mm256_loadu_ps(xr + i);
        if (kCheckNan) NoteNan(v, v, &nan);
        _mm256_storeu_ps(br + left + i, v);
      }
      for (; i < mid; ++i) {
        if (kCheckNan) scalar_nan = scalar_nan || std::isnan(xr[i]);
        br[left + i] = xr[i];
      }
      std::fill(br + left + mid, br + len, fill);
      continue;
    }
    for (int64_t j = 0; j < l.wq; j += kLanes) {
      const int64_t c0 = j * l.s - w.pad;
      if (l.s == 2) {
        const __m256 a = LoadRow8(xr, c0, 1, w.in, fill), b = LoadRow8(xr, c0 + kLanes, 1, w.in, fill);
        if (kCheckNan) NoteNan(a, b, &nan);
        _mm256_storeu_ps(br + j, Deinterleave2<0>(a, b));
        _mm256_storeu_ps(br + l.wq + j, Deinterleave2<1>(a, b));
      } else if (l.s == 3) {
        const __m256 src[3] = {LoadRow8(xr, c0, 1, w.in, fill), LoadRow8(xr, c0 + kLanes, 1, w.in, fill),
                               LoadRow8(xr, c0 + 2 * kLanes, 1, w.in, fill)};
        if (kCheckNan) {
          NoteNan(src[0], src[1], &nan);
          NoteNan(src[2], src[2], &nan);
        }
        for (int q = 0; q < 3; ++q) _mm256_storeu_ps(br + q * l.wq + j, Deinterleave3(src, q));
      } else {
        for (int64_t q = 0; q < l.s; ++q) {
          const __m256 v = LoadRow8(xr, c0 + q, l.s, w.in, fill);
          if (kCheckNan) NoteNan(v, v, &nan);
          _mm256_storeu_ps(br + q * l.wq + j, v);
        }
      }
    }
  }
  return scalar_nan || _mm256_movemask_ps(nan) != 0;
}

// Calls f(std::integral_constant<int, B>{}, c0) over [0, n) in groups of B <= 4 vectors of 8
// (the last group covers the rounded-up tail): independent accumulators hide the latency.
template <class F>
void ForBlocks(int64_t n, const F& f) {
  const int64_t vectors = (n + kLanes - 1) / kLanes;
  int64_t v = 0;
  for (; v + 4 <= vectors; v += 4) f(std::integral_constant<int, 4>{}, v * kLanes);
  switch (vectors - v) {
    case 3: f(std::integral_constant<int, 3>{}, v * kLanes); break;
    case 2: f(std::integral_constant<int, 2>{}, v * kLanes); break;
    case 1: f(std::integral_constant<int, 1>{}, v * kLanes); break;
    default: break;
  }
}

// Stores the first min(8, n) lanes of v at p (n > 0).
inline void StoreUpTo8(float* p, __m256 v, int64_t n) {
  n < kLanes ? StorePartial(p, v, n) : _mm256_storeu_ps(p, v);
}
inline void StoreUpTo8(int32_t* p, __m256i v, int64_t n) {
  n < kLanes ? StorePartial(p, v, n) : _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v);
}

// Max pooling of B blocks of 8 outputs of row oh from ow0, from the plane's PhasedRows copy
// (padded with -inf): a running max over the taps in row-major order that a later tap replaces
// only when greater (or NaN, as the reference does: kNanSafe, needed only for planes with a NaN).
template <int B, bool kWithIndex, bool kNanSafe>
void MaxBlocks(const Geometry& g, const PhasedRows& l, const float* buf, int64_t oh, int64_t ow0, float* y,
               int32_t* idx) {
  const Axis& w = g.w;
  const int64_t h0 = g.h.Lo(oh), h1 = g.h.Hi(oh);
  const __m256i lane_s = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                            _mm256_set1_epi32(static_cast<int32_t>(w.s)));
  __m256 best[B];
  __m256i col0[B], arg[B];
#pragma GCC unroll 4
  for (int b = 0; b < B; ++b) {
    // Input column of each lane's window start (before clipping), and the first valid index.
    col0[b] = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int32_t>((ow0 + b * kLanes) * w.s - w.pad)), lane_s);
    arg[b] = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int32_t>(h0 * w.in)),
                              _mm256_max_epi32(col0[b], _mm256_setzero_si256()));
    best[b] = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  }
  for (int64_t ih = h0; ih < h1; ++ih) {
    const float* br = buf + ih * l.row_len() + ow0;
    for (int64_t kw = 0; kw < w.k; ++kw) {
      const float* t = br + l.tap[kw];
      const __m256i at_offset = _mm256_set1_epi32(static_cast<int32_t>(ih * w.in + kw));
#pragma GCC unroll 4
      for (int b = 0; b < B; ++b) {
        const __m256 v = _mm256_loadu_ps(t + b * kLanes);
        if (!kWithIndex && !kNanSafe) {
          best[b] = _mm256_max_ps(best[b], v);
          continue;
        }
        __m256 take = _mm256_cmp_ps(v, best[b], _CMP_GT_OQ);
        if (kNanSafe) take = _mm256_or_ps(take, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
        best[b] = kNanSafe ? _mm256_blendv_ps(best[b], v, take) : _mm256_max_ps(best[b], v);
        if (kWithIndex) {
          const __m256i at = _mm256_add_epi32(col0[b], at_offset);
          arg[b] = _mm256_castps_si256(
              _mm256_blendv_ps(_mm256_castsi256_ps(arg[b]), _mm256_castsi256_ps(at), take));
        }
      }
    }
  }
  for (int b = 0; b < B; ++b) {
    const int64_t o = ow0 + b * kLanes;
    StoreUpTo8(y + oh * w.out + o, best[b], w.out - o);
    if (kWithIndex) StoreUpTo8(idx + oh * w.out + o, arg[b], w.out - o);
  }
}

template <bool kWithIndex, bool kNanSafe>
void MaxForwardPlaneAvx(const Geometry& g, const PhasedRows& l, const float* buf, float* y, int32_t* idx) {
  for (int64_t oh = 0; oh < g.h.out; ++oh) {
    ForBlocks(g.w.out, [&](auto blocks, int64_t ow0) {
      MaxBlocks<decltype(blocks)::value, kWithIndex, kNanSafe>(g, l, buf, oh, ow0, y, idx);
    });
  }
}

// B vectors by value.
template <int B>
struct Vectors {
  __m256 v[B];
};

// Sums, for B blocks of 8 columns from c0, of the taps (column offsets tap[0..k)) over rows
// [r0, r1) of a buffer with rows of ld floats.
template <int B>
Vectors<B> BoxSums(const float* buf, int64_t ld, int64_t r0, int64_t r1, const int64_t* tap, int64_t k,
                              int64_t c0) {
  Vectors<B> sum;
#pragma GCC unroll 4
  for (int b = 0; b < B; ++b) sum.v[b] = _mm256_setzero_ps();
  for (int64_t r = r0; r < r1; ++r) {
    for (int64_t kw = 0; kw < k; ++kw) {
      const float* t = buf + r * ld + c0 + tap[kw];
#pragma GCC unroll 4
      for (int b = 0; b < B; ++b) sum.v[b] = _mm256_add_ps(sum.v[b], _mm256_loadu_ps(t + b * kLanes));
    }
  }
  return sum;
}

// Per-output-column divisor factors of the W axis (RoundUp(w.out) entries, 1 past the end).
std::vector<float> ColumnCounts(const Axis& w, bool include_pad) {
  std::vector<float> c(RoundUp(w.out), 1.0f);
  for (int64_t o = 0; o < w.out; ++o) c[o] = static_cast<float>(w.Count(o, include_pad));
  return c;
}

// Average pooling of one plane from its PhasedRows copy (padded with zeros).
void AvgForwardPlaneAvx(const Geometry& g, bool include_pad, const PhasedRows& l, const float* cw,
                        const float* buf, float* y) {
  const Axis& w = g.w;
  for (int64_t oh = 0; oh < g.h.out; ++oh) {
    const __m256 ch = _mm256_set1_ps(static_cast<float>(g.h.Count(oh, include_pad)));
    ForBlocks(w.out, [&](auto blocks, int64_t ow0) {
      constexpr int B = decltype(blocks)::value;
      const Vectors<B> sum = BoxSums<B>(buf, l.row_len(), g.h.Lo(oh), g.h.Hi(oh), l.tap.data(), w.k, ow0);
      for (int b = 0; b < B; ++b) {
        const int64_t o = ow0 + b * kLanes;
        const __m256 v = _mm256_div_ps(sum.v[b], _mm256_mul_ps(ch, _mm256_loadu_ps(cw + o)));
        StoreUpTo8(y + oh * w.out + o, v, w.out - o);
      }
    });
  }
}

// Forward-only max pooling with 1-row windows and W stride 2 or 3 (the 1-d poolings): the window
// max at every column, then every s-th of them, straight from x (blocks that reach into the
// padding read a padded copy of their span in `edge`, s * 8 + k - 1 floats).
// Returns false, leaving y half written, if the plane holds a NaN (plain max loses NaNs).
bool MaxRowsSubsampleAvx(const Geometry& g, const float* x, float* edge, float* y) {
  const Axis& w = g.w;
  const int64_t s = w.s, span = s * kLanes + w.k - 1;
  __m256 nan = _mm256_setzero_ps();
  for (int64_t oh = 0; oh < g.h.out; ++oh) {
    const float* xr = x + oh * g.h.s * w.in;  // the window's one row (no H padding for 1-row windows)
    for (int64_t ow0 = 0; ow0 < w.out; ow0 += kLanes) {
      const int64_t c0 = ow0 * s - w.pad;  // input column of the block's first tap
      const float* base = xr + c0;
      if (c0 < 0 || c0 + span > w.in) {
        for (int64_t i = 0; i < span; ++i) {
          const int64_t c = c0 + i;
          edge[i] = c >= 0 && c < w.in ? xr[c] : -std::numeric_limits<float>::infinity();
        }
        base = edge;
      }
      __m256 m[3];
      for (int64_t t = 0; t < s; ++t) {
        const __m256 v = _mm256_loadu_ps(base + t * kLanes);
        NoteNan(v, v, &nan);
        m[t] = v;
        for (int64_t kw = 1; kw < w.k; ++kw) m[t] = _mm256_max_ps(m[t], _mm256_loadu_ps(base + t * kLanes + kw));
      }
      const __m256 out = s == 2 ? Deinterleave2<0>(m[0], m[1]) : Deinterleave3(m, 0);
      StoreUpTo8(y + oh * w.out + ow0, out, w.out - ow0);
    }
  }
  return _mm256_movemask_ps(nan) == 0;
}

void ForwardImpl(const Pool2dParams& p, const Geometry& g, const Tensor& x, const Tensor& y,
                 const Tensor& indices) {
  const float* xp = x.data<float>();
  float* yp = y.data<float>();
  int32_t* ip = indices.defined() ? indices.data<int32_t>() : nullptr;
  const PhasedRows l = MakePhasedRows(g.w);
  const bool is_max = p.mode == PoolMode::kMax;
  const std::vector<float> cw = ColumnCounts(g.w, p.count_include_pad);
  const bool subsample = is_max && ip == nullptr && g.h.k == 1 && (g.w.s == 2 || g.w.s == 3);
  ForPlanes(g.planes, g.in_plane() + g.out_plane() * g.taps(), [&](int64_t p0, int64_t p1) {
    std::vector<float> buf(g.h.in * l.row_len());
    std::vector<float> edge(subsample ? g.w.s * kLanes + g.w.k - 1 : 0);
    for (int64_t q = p0; q < p1; ++q) {
      const float* xq = xp + q * g.in_plane();
      float* yq = yp + q * g.out_plane();
      if (subsample && MaxRowsSubsampleAvx(g, xq, edge.data(), yq)) continue;
      if (is_max) {
        const bool nan = FillPhasedRows<true>(xq, g.h.in, g.w, l, -std::numeric_limits<float>::infinity(), buf.data());
        int32_t* iq = ip != nullptr ? ip + q * g.out_plane() : nullptr;
        auto run = ip != nullptr ? (nan ? MaxForwardPlaneAvx<true, true> : MaxForwardPlaneAvx<true, false>)
                                 : (nan ? MaxForwardPlaneAvx<false, true> : MaxForwardPlaneAvx<false, false>);
        run(g, l, buf.data(), yq, iq);
      } else {
        FillPhasedRows<false>(xq, g.h.in, g.w, l, 0.0f, buf.data());
        AvgForwardPlaneAvx(g, p.count_include_pad, l, cw.data(), buf.data(), yq);
      }
    }
  });
}

// Average pooling backward with stride 1: gx[ih][iw] is the sum over the window-sized box at
// (ih, iw) of G, the divided output gradient padded by (k - 1 - pad) zeros on each side.
void AvgBackwardS1Impl(const Pool2dParams& p, const Geometry& g, const Tensor& gy, const Tensor& gx) {
  const float* gyp = gy.data<float>();
  float* gxp = gx.data<float>();
  const Axis &h = g.h, &w = g.w;
  const int64_t top = h.k - 1 - h.pad, left = w.k - 1 - w.pad;
  const int64_t rows = h.in + h.k - 1, ld = RoundUp(w.in) + w.k - 1;
  std::vector<float> cw = ColumnCounts(w, p.count_include_pad);
  for (float& c : cw) c = 1.0f / c;
  std::vector<int64_t> tap(w.k);
  for (int64_t b = 0; b < w.k; ++b) tap[b] = b;
  ForPlanes(g.planes, g.in_plane() * (1 + g.taps()), [&](int64_t p0, int64_t p1) {
    std::vector<float> buf(rows * ld);
    for (int64_t q = p0; q < p1; ++q) {
      const float* gyq = gyp + q * g.out_plane();
      float* gxq = gxp + q * g.in_plane();
      std::fill(buf.begin(), buf.end(), 0.0f);
      for (int64_t oh = 0; oh < h.out; ++oh) {
        const float inv_h = 1.0f / static_cast<float>(h.Count(oh, p.count_include_pad));
        float* br = buf.data() + (oh + top) * ld + left;
        const float* gr = gyq + oh * w.out;
        for (int64_t ow = 0; ow < w.out; ++ow) br[ow] = gr[ow] * inv_h * cw[ow];
      }
      for (int64_t ih = 0; ih < h.in; ++ih) {
        ForBlocks(w.in, [&](auto blocks, int64_t iw0) {
          constexpr int B = decltype(blocks)::value;
          const Vectors<B> sum = BoxSums<B>(buf.data(), ld, ih, ih + h.k, tap.data(), w.k, iw0);
          for (int b = 0; b < B; ++b) {
            const int64_t o = iw0 + b * kLanes;
            StoreUpTo8(gxq + ih * w.in + o, sum.v[b], w.in - o);
          }
        });
      }
    }
  });
}

// Sum of n contiguous floats, two 8-lane accumulators.
float SumImpl(const float* x, int64_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
    s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
    s1 = _mm256_add_ps(s1, _mm256_loadu_ps(x + i + kLanes));
  }
  if (i + kLanes <= n) {
    s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
    i += kLanes;
  }
  const __m256 s8 = _mm256_add_ps(s0, s1);
  __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  s4 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  s4 = _mm_add_ss(s4, _mm_movehdup_ps(s4));
  float sum = _mm_cvtss_f32(s4);
  for (; i < n; ++i) sum += x[i];
  return sum;
}

// Interleaves the 16 floats of a (even positions) and b (odd positions).
inline void Interleave2(__m256 a, __m256 b, __m256* lo, __m256* hi) {
  const __m256 l = _mm256_unpacklo_ps(a, b);  // a0 b0 a1 b1 | a4 b4 a5 b5
  const __m256 u = _mm256_unpackhi_ps(a, b);  // a2 b2 a3 b3 | a6 b6 a7 b7
  *lo = _mm256_permute2f128_ps(l, u, 0x20);
  *hi = _mm256_permute2f128_ps(l, u, 0x31);
}

// First output row oh whose window covers input row i, and one past the last (axis a).
int64_t FirstCovering(const Axis& a, int64_t i) {
  const int64_t top = i + a.pad - a.k + 1;  // the window of oh covers i iff oh s in [top, i + pad]
  return top <= 0 ? 0 : (top + a.s - 1) / a.s;
}
int64_t EndCovering(const Axis& a, int64_t i) { return std::min(a.out, (i + a.pad) / a.s + 1); }

// Average pooling backward with a W stride s > 1, one input row at a time. R, the sum of the
// divided gradient rows whose windows cover the row, starts at `lead` in a zero-padded row.
// Input column iw = j s + q receives outputs ow = j + d - t, t < T, with r = (q + pad) % s,
// d = (q + pad) / s and T = ceil((k - r) / s) (none if r >= k): per phase q, a sum of T shifted
// loads of R; the phases are then interleaved into the row (in registers for s = 2).
void AvgBackwardStridedImpl(const Pool2dParams& p, const Geometry& g, const Tensor& gy, const Tensor& gx) {
  const float* gyp = gy.data<float>();
  float* gxp = gx.data<float>();
  const Axis &h = g.h, &w = g.w;
  const int64_t s = w.s;
  const int64_t slots = RoundUp((w.in + s - 1) / s);  // per phase of an input row
  const int64_t lead = RoundUp((w.k + s - 1) / s);
  const int64_t width = lead + RoundUp(std::max(slots + (s - 1 + w.pad) / s, w.out));
  std::vector<int64_t> shift(s), taps(s);
  for (int64_t q = 0; q < s; ++q) {
    const int64_t r = (q + w.pad) % s;
    shift[q] = lead + (q + w.pad) / s;
    taps[q] = r < w.k ? (w.k - r + s - 1) / s : 0;
  }
  std::vector<float> inv_w = ColumnCounts(w, p.count_include_pad);
  for (float& c : inv_w) c = 1.0f / c;
  ForPlanes(g.planes, g.in_plane() + g.out_plane() * g.taps(), [&](int64_t p0, int64_t p1) {
    std::vector<float> divided(h.out * width, 0.0f), row_sum(width, 0.0f);
    alignas(32) float phase[kLanes * kLanes];  // s <= 8 phases of 8 slots for the scalar interleave
    for (int64_t pl = p0; pl < p1; ++pl) {
      const float* gyq = gyp + pl * g.out_plane();
      float* gxq = gxp + pl * g.in_plane();
      for (int64_t oh = 0; oh < h.out; ++oh) {
        const float inv_h = 1.0f / static_cast<float>(h.Count(oh, p.count_include_pad));
        float* dr = divided.data() + oh * width + lead;
        for (int64_t ow = 0; ow < w.out; ++ow) dr[ow] = gyq[oh * w.out + ow] * inv_h * inv_w[ow];
      }
      for (int64_t ih = 0; ih < h.in; ++ih) {
        const int64_t oa = FirstCovering(h, ih), ob = EndCovering(h, ih);
        const float* r = oa + 1 == ob ? divided.data() + oa * width : row_sum.data();
        if (oa + 1 != ob) {
          for (int64_t c = 0; c < width; c += kLanes) {
            __m256 sum = _mm256_setzero_ps();
            for (int64_t oh = oa; oh < ob; ++oh) sum = _mm256_add_ps(sum, _mm256_loadu_ps(divided.data() + oh * width + c));
            _mm256_storeu_ps(row_sum.data() + c, sum);
          }
        }
        float* out = gxq + ih * w.in;
        for (int64_t j0 = 0; j0 < slots; j0 += kLanes) {
          __m256 acc[2];
          for (int64_t q = 0; q < s; ++q) {
            __m256 sum = _mm256_setzero_ps();
            for (int64_t t = 0; t < taps[q]; ++t) sum = _mm256_add_ps(sum, _mm256_loadu_ps(r + shift[q] + j0 - t));
            if (s == 2) {
              acc[q] = sum;
            } else {
              _mm256_store_ps(phase + q * kLanes, sum);
            }
          }
          const int64_t first = j0 * s, left = w.in - first;
          if (s == 2) {
            __m256 lo, hi;
            Interleave2(acc[0], acc[1], &lo, &hi);
            StoreUpTo8(out + first, lo, left);
            if (left > kLanes) StoreUpTo8(out + first + kLanes, hi, left - kLanes);
            continue;
          }
          for (int64_t i = 0; i < kLanes * s && i < left; ++i) out[first + i] = phase[(i % s) * kLanes + i / s];
        }
      }
    }
  });
}

#endif  // __AVX2__

}  // namespace

bool ForwardAvx2(const Pool2dParams& p, const Geometry& g, const Tensor& x, const Tensor& y,
                 const Tensor& indices) {
#ifdef __AVX2__
  if (x.dtype() != DType::kFloat32) return false;
  ForwardImpl(p, g, x, y, indices);
  return true;
#else
  return false;
#endif
}

bool AvgBackwardAvx2(const Pool2dParams& p, const Geometry& g, const Tensor& gy, const Tensor& gx) {
#ifdef __AVX2__
  if (gy.dtype() != DType::kFloat32 || p.mode != PoolMode::kAvg || p.stride_w > kLanes) return false;
  if (p.stride_h == 1 && p.stride_w == 1) {
    AvgBackwardS1Impl(p, g, gy, gx);
  } else if (p.stride_w == 1) {
    return false;
  } else {
    AvgBackwardStridedImpl(p, g, gy, gx);
  }
  return true;
#else
  return false;
#endif
}

void PlaneMeansF32(const float* x, int64_t hw, int64_t p0, int64_t p1, float* y) {
  for (int64_t q = p0; q < p1; ++q) {
#ifdef __AVX2__
    const float sum = SumImpl(x + q * hw, hw);
#else
    float sum = 0;
    for (int64_t i = 0; i < hw; ++i) sum += x[q * hw + i];
#endif
    y[q] = sum / static_cast<float>(hw);
  }
}

}  // namespace pool
}  // namespace cpu
}  // namespace nb360
