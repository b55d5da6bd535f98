// ops/cuda/matmul.cu: the CUDA batched GEMM (MatmulKernels, ops/matmul.h) on cuBLAS, float32 and
// float64.
//
// Layouts: cuBLAS is column-major, so the row-major product out (M, N) = a (M, K) @ b (K, N) is run as
// out^T (N, M) = b^T (N, K) @ a^T (K, M). A row-major operand (unit column stride) read as
// column-major is already its transpose (op N, leading dimension = its row stride); a column-major
// operand (unit row stride) is the matrix itself (op T, leading dimension = its column stride). The
// batch runs as one cublas?gemmStridedBatched_64 call with the operands' batch strides (0 for a shared
// matrix); a shared right operand with a contiguous batch of row-major left operands is one tall
// GEMM (nb * M, K) @ (K, N), as on the CPU. The 64-bit-size API takes any size.
// Math: float64 always in double precision; float32 in plain FMA math unless the TF32 switch
// (engine/precision.h) is on. cuBLAS gives bitwise-identical results run to run on one GPU model.
#include <algorithm>
#include <cstdint>

#include "engine/check.h"
#include "engine/tensor.h"
#include "ops/cuda/bf16_convert.h"
#include "ops/cuda/cublas_util.h"
#include "engine/precision.h"
#include "ops/matmul.h"

namespace nb360 {
namespace cuda {
namespace {

// One row-major (rows, cols) matrix operand as cuBLAS takes it (see the header comment).
struct GemmSide {
  cublasOperation_t op;
  int64_t ld;
};

// The operation and leading dimension for a (rows, cols) matrix with strides (s_row, s_col), one of
// which is 1 (for a size-1 dimension the stride does not matter). Mirrors ops/cpu/matmul.cc.
GemmSide SideOf(int64_t rows, int64_t cols, int64_t s_row, int64_t s_col, const char* name) {
  const bool row_major = s_col == 1 && (rows == 1 || s_row >= cols);
  if (row_major) return {CUBLAS_OP_N, std::max<int64_t>({s_row, cols, 1})};
  NB_CHECK(s_row == 1 || rows == 1, "matmul (CUDA): operand ", name, " (", rows, ", ", cols, ") has strides (", s_row,
           ", ", s_col, "), with unit stride in neither of its last two dims");
  return {CUBLAS_OP_T, std::max<int64_t>({s_col, rows, 1})};
}

// out^T = opB(b) opA(a) per batch (column-major view), for T = float or double.
struct GemmCall {
  GemmSide a, b;
  int64_t m, n, k, batch;
  int64_t stride_a, stride_b, stride_out;
  const void* ap;
  const void* bp;
  void* outp;
};

void RunGemm(cublasHandle_t handle, const GemmCall& g, float) {
  const float alpha = 1.0f, beta = 0.0f;
  CublasCheck(cublasSetMathMode(handle, AllowTf32() ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH),
              "cublasSetMathMode");
  CublasCheck(
      cublasSgemmStridedBatched_64(handle, g.b.op, g.a.op, g.n, g.m, g.k, &alpha, static_cast<const float*>(g.bp),
                                   g.b.ld, g.stride_b, static_cast<const float*>(g.ap), g.a.ld, g.stride_a, &beta,
                                   static_cast<float*>(g.outp), g.n, g.stride_out, g.batch),
      "cublasSgemmStridedBatched_64");
}

void RunGemm(cublasHandle_t handle, const GemmCall& g, double) {
  const double alpha = 1.0, beta = 0.0;
  CublasCheck(cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
  CublasCheck(
      cublasDgemmStridedBatched_64(handle, g.b.op, g.a.op, g.n, g.m, g.k, &alpha, static_cast<const double*>(g.bp),
                                   g.b.ld, g.stride_b, static_cast<const double*>(g.ap), g.a.ld, g.stride_a, &beta,
                                   static_cast<double*>(g.outp), g.n, g.stride_out, g.batch),
      "cublasDgemmStridedBatched_64");
}

// bf16 autocast (engine/precision.h): a and b as dense row-major bf16 matrices (one when shared by
// the batch), cublasGemmStridedBatchedEx with float32 compute and a float32 output, which is then
// rounded to bf16 (the CPU reference's numerics, ops/cpu/bf16_reference.h).
void ForwardBf16(const Tensor& a, const Tensor& b, const Tensor& out) {
  const int64_t nb = a.size(0), m = a.size(1), k = a.size(2), n = b.size(2);
  int64_t stride_a = 0, stride_b = 0;
  const Tensor ab = ToBf16Matrices(a, &stride_a);
  const Tensor bb = ToBf16Matrices(b, &stride_b);
  // A shared right operand under a batch of left operands: one tall GEMM (nb * M, K) @ (K, N).
  const bool tall = nb > 1 && stride_b == 0 && stride_a != 0;
  const int64_t rows = tall ? nb * m : m, batch = tall ? 1 : nb;
  const float alpha = 1.0f, beta = 0.0f;
  WithCublas([&](cublasHandle_t handle) {
    CublasCheck(cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
    // Column-major view: out^T (N, rows) = b^T (N, K) @ a^T (K, rows), both row-major buffers as is.
    CublasCheck(cublasGemmStridedBatchedEx_64(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, rows, k, &alpha, bb.raw_data(),
                                              CUDA_R_16BF, n, stride_b, ab.raw_data(), CUDA_R_16BF, k,
                                              tall ? 0 : stride_a, &beta, out.raw_data(), CUDA_R_32F, n,
                                              tall ? 0 : m * n, batch, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                "cublasGemmStridedBatchedEx_64 (bf16)");
  });
  RoundBf16InPlace(out);
}

// out (B, M, N) contiguous = a (B, M, K) @ b (B, K, N).
void Forward(const Tensor& a, const Tensor& b, const Tensor& out, MathPrecision precision) {
  NB_CHECK(a.dtype() == b.dtype() && a.dtype() == out.dtype(), "matmul (CUDA): dtypes differ: ", a.Describe(), " @ ",
           b.Describe(), " -> ", out.Describe());
  const int64_t nb = a.size(0), m = a.size(1), k = a.size(2), n = b.size(2);
  if (nb == 0 || m == 0 || n == 0) return;
  if (k == 0) {
    out.Fill(0.0);
    return;
  }
  if (precision == MathPrecision::kBFloat16 && a.dtype() == DType::kFloat32) return ForwardBf16(a, b, out);
  GemmCall g;
  g.a = SideOf(m, k, a.strides()[1], a.strides()[2], "a");
  g.b = SideOf(k, n, b.strides()[1], b.strides()[2], "b");
  g.m = m;
  g.n = n;
  g.k = k;
  g.batch = nb;
  g.stride_a = a.strides()[0];
  g.stride_b = b.strides()[0];
  g.stride_out = m * n;
  g.ap = a.raw_data();
  g.bp = b.raw_data();
  g.outp = out.raw_data();
  // A shared right operand with a contiguous batch of row-major left operands: one tall GEMM.
  if (nb > 1 && g.stride_b == 0 && g.a.op == CUBLAS_OP_N && g.stride_a == m * g.a.ld) {
    g.m = nb * m;
    g.batch = 1;
    g.stride_a = 0;
    g.stride_out = 0;
  }
  DispatchFloating(a.dtype(), "matmul (CUDA)",
                   [&](auto tag) { WithCublas([&](cublasHandle_t handle) { RunGemm(handle, g, tag); }); });
}

}  // namespace

const MatmulKernels kMatmul = {Forward};

}  // namespace cuda
}  // namespace nb360
