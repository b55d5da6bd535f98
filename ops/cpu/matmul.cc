// ops/cpu/matmul.cc: batched GEMM on OpenBLAS (float32 and float64).
#include <cblas.h>

#include "engine/parallel.h"
#include "ops/matmul.h"
#include "ops/cpu/bf16_reference.h"

namespace nb360 {
namespace cpu {
namespace {

template <class T>
void Gemm(bool ta, bool tb, int m, int n, int k, const T* a, int lda, const T* b, int ldb, T* c, int ldc);

template <>
void Gemm<float>(bool ta, bool tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb,
                 float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f,
              a, lda, b, ldb, 0.0f, c, ldc);
}

template <>
void Gemm<double>(bool ta, bool tb, int m, int n, int k, const double* a, int lda, const double* b, int ldb,
                  double* c, int ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0, a,
              lda, b, ldb, 0.0, c, ldc);
}

template <class T>
void ForwardT(const Tensor& a, const Tensor& b, const Tensor& out) {
  const int64_t nb = a.shape()[0], m = a.shape()[1], k = a.shape()[2], n = b.shape()[2];
  // Row-major operand: stride(-1) == 1 -> no transpose, ld = stride(-2); else transposed.
  const bool ta = !(a.strides()[2] == 1 && (m == 1 || a.strides()[1] >= k));
  const bool tb = !(b.strides()[2] == 1 && (k == 1 || b.strides()[1] >= n));
  const int lda = static_cast<int>(ta ? std::max<int64_t>(a.strides()[2], m) : std::max<int64_t>(a.strides()[1], k));
  const int ldb = static_cast<int>(tb ? std::max<int64_t>(b.strides()[2], k) : std::max<int64_t>(b.strides()[1], n));
  const T* ap = a.data<T>();
  const T* bp = b.data<T>();
  T* op = out.data<T>();
  if (k == 0) {
    out.Fill(0.0);
    return;
  }
  // A shared right operand with a contiguous batch of left operands is one tall GEMM.
  if (nb > 1 && b.strides()[0] == 0 && !ta && a.strides()[0] == m * a.strides()[1] && lda == a.strides()[1]) {
    Gemm<T>(false, tb, static_cast<int>(nb * m), static_cast<int>(n), static_cast<int>(k), ap, lda, bp, ldb, op,
            static_cast<int>(n));
    return;
  }
  auto run = [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      Gemm<T>(ta, tb, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), ap + i * a.strides()[0], lda,
              bp + i * b.strides()[0], ldb, op + i * m * n, static_cast<int>(n));
    }
  };
  // Many small GEMMs (attention heads): one single-threaded GEMM per core beats threading each one.
  if (nb > 1 && m * n * k <= (int64_t{1} << 22) && NumThreads() > 1) {
    const int previous = openblas_get_num_threads();
    openblas_set_num_threads(1);
    ParallelFor(0, nb, 1, run);
    openblas_set_num_threads(previous);
    return;
  }
  run(0, nb);
}

void Forward(const Tensor& a, const Tensor& b, const Tensor& out, MathPrecision precision) {
  if (precision == MathPrecision::kBFloat16 && a.dtype() == DType::kFloat32) {
    // The bf16 autocast reference (engine/precision.h): rounded operands (contiguous copies), the
    // float32 GEMM, a rounded result.
    ForwardT<float>(RoundedBFloat16(a), RoundedBFloat16(b), out);
    RoundBFloat16InPlace(out);
    return;
  }
  DispatchFloating(a.dtype(), "matmul", [&](auto tag) { ForwardT<decltype(tag)>(a, b, out); });
}

}  // namespace

const MatmulKernels kMatmul = {Forward};

}  // namespace cpu
}  // namespace nb360
