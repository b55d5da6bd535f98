#include "tests/ops/conformance.h"

#include <cmath>
#include <sstream>

#include "engine/autograd.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"

#ifdef NB360_WITH_CUDA
#include "engine/cuda/cuda_device.h"
#endif
#include "ops/registry.h"

namespace nb360 {
namespace testing {

bool CudaAvailable() {
  static const bool available = [] {
#ifdef NB360_WITH_CUDA
    return InitCudaBackend().ok();
#else
    return false;
#endif
  }();
  return available;
}

Tensor RandN(Generator& g, const Shape& shape, double scale) {
  Tensor t = Tensor::Empty(shape, DType::kFloat64);
  g.Normal(t, 0.0, scale);
  return t;
}

Tensor RandU(Generator& g, const Shape& shape, double lo, double hi) {
  Tensor t = Tensor::Empty(shape, DType::kFloat64);
  g.Uniform(t, lo, hi);
  return t;
}

Tensor RandIndex(Generator& g, const Shape& shape, int64_t n) {
  Tensor t = Tensor::Empty(shape, DType::kInt64);
  int64_t* p = t.data<int64_t>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = g.RandInt(n);
  return t;
}

std::vector<OpCase> AllCases() {
  std::vector<OpCase> cases;
  AddElementwiseCases(&cases);
  AddReduceCases(&cases);
  AddSoftmaxCases(&cases);
  AddMatmulCases(&cases);
  AddShapeCases(&cases);
  AddConvCases(&cases);
  AddPoolCases(&cases);
  AddNormCases(&cases);
  AddFftCases(&cases);
  AddLossCases(&cases);
  AddWeightedSumCases(&cases);
  return cases;
}

namespace {

// Copies t into a fresh non-contiguous view (every other element of a wider buffer, last dim
// reversed strides are not used: padding keeps it simple and always non-contiguous when dim > 0).
Tensor NonContiguous(const Tensor& t) {
  if (t.dim() == 0 || t.numel() <= 1) return t;
  Shape wide = t.shape();
  wide.back() *= 2;
  Tensor buf = Tensor::Full(wide, 7.0, t.dtype());  // poison the gaps
  Tensor view = MakeView(buf, t.shape(), [&] {
    Shape s = ContiguousStrides(wide);
    s.back() = 2;
    return s;
  }(), 0);
  view.CopyFrom(t);
  return view;
}

double MaxAbs(const Tensor& t) {
  double m = 0;
  for (double v : t.To(DType::kFloat64).ToVector<double>()) m = std::max(m, std::abs(v));
  return m;
}

// max |a - b| / (1 + |b|) elementwise, or -1 on shape mismatch.
double RelErr(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return -1;
  const auto va = a.To(DType::kFloat64).ToVector<double>();
  const auto vb = b.To(DType::kFloat64).ToVector<double>();
  double e = 0;
  for (size_t i = 0; i < va.size(); ++i) {
    const double d = std::abs(va[i] - vb[i]);
    if (std::isnan(va[i]) != std::isnan(vb[i])) return INFINITY;
    if (!std::isnan(d)) e = std::max(e, d / (1.0 + std::abs(vb[i])));
  }
  return e;
}

// Scaled error for float32 vs float64: max |a - b| / (scale of b).
double ScaledErr(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return -1;
  const auto va = a.To(DType::kFloat64).ToVector<double>();
  const auto vb = b.To(DType::kFloat64).ToVector<double>();
  const double scale = std::max(1.0, MaxAbs(b));
  double e = 0;
  for (size_t i = 0; i < va.size(); ++i) e = std::max(e, std::abs(va[i] - vb[i]) / scale);
  return e;
}

struct Run {
  Tensor out;
  std::vector<Tensor> grads;  // per input (undefined if not differentiated)
};

bool Differentiable(const OpCase& c, const Inputs& in, size_t i) {
  if (!IsFloating(in[i].dtype())) return false;
  return c.differentiable.empty() || (i < c.differentiable.size() && c.differentiable[i]);
}

Inputs CastFloating(const Inputs& in, DType dt) {
  Inputs out;
  for (const Tensor& t : in) out.push_back(IsFloating(t.dtype()) ? t.To(dt).Contiguous() : t);
  return out;
}

// Forward, then backward of sum(out * r).
Run Evaluate(const OpCase& c, const Inputs& raw, const Tensor& r, bool with_grad) {
  Inputs in;
  for (size_t i = 0; i < raw.size(); ++i) {
    Tensor t = raw[i].Detach();
    if (with_grad && Differentiable(c, raw, i)) t.set_requires_grad(true);
    in.push_back(t);
  }
  Run run;
  run.out = c.op(in);
  run.grads.resize(in.size());
  if (with_grad && run.out.requires_grad()) {
    Sum(Mul(run.out, r.To(run.out.dtype()))).Backward();
    for (size_t i = 0; i < in.size(); ++i) run.grads[i] = in[i].grad();
  }
  return run;
}

// Scalar objective sum(op(x) * r) in float64 without autograd.
double Objective(const OpCase& c, const Inputs& in, const Tensor& r) {
  NoGradGuard ng;
  const Tensor out = c.op(in);
  const auto vo = out.To(DType::kFloat64).ToVector<double>();
  const auto vr = r.ToVector<double>();
  double s = 0;
  for (size_t i = 0; i < vo.size(); ++i) s += vo[i] * vr[i];
  return s;
}

}  // namespace

CaseReport RunCase(const OpCase& c) {
  CaseReport rep;
  std::ostringstream fail;
  Generator gen(0x5EED);
  const Inputs in64 = c.make_inputs(gen);

  // 1. Forward against the reference.
  const Run r64 = Evaluate(c, in64, Tensor(), false);
  Inputs ref_in;
  for (const Tensor& t : in64) ref_in.push_back(t.Contiguous());
  const Tensor ref = c.reference(ref_in);
  const double ref_err = RelErr(r64.out, ref);
  if (ref_err < 0 || ref_err > c.ref_tol) {
    fail << "forward vs reference: error " << ref_err << " > " << c.ref_tol << " (op " << r64.out.Describe()
         << ", ref " << ref.Describe() << ")\n";
  }

  // 2. Gradients against central finite differences (float64).
  const Tensor r = RandN(gen, r64.out.shape());
  const Run g64 = Evaluate(c, in64, r, c.check_gradients);
  if (c.check_gradients) {
    for (size_t i = 0; i < in64.size(); ++i) {
      if (!Differentiable(c, in64, i)) continue;
      if (!g64.grads[i].defined()) {
        fail << "input " << i << ": no gradient computed\n";
        continue;
      }
      if (g64.grads[i].shape() != in64[i].shape()) {
        fail << "input " << i << ": gradient shape " << g64.grads[i].Describe() << " != input "
             << in64[i].Describe() << "\n";
        continue;
      }
      const auto analytic = g64.grads[i].To(DType::kFloat64).ToVector<double>();
      const int64_t n = in64[i].numel();
      const int64_t probes = std::min<int64_t>(n, c.max_fd_elements);
      for (int64_t p = 0; p < probes; ++p) {
        const int64_t e = probes == n ? p : gen.RandInt(n);
        Inputs plus, minus;
        for (const Tensor& t : in64) {
          plus.push_back(t.Clone());
          minus.push_back(t.Clone());
        }
        plus[i].data<double>()[e] += c.grad_eps;
        minus[i].data<double>()[e] -= c.grad_eps;
        const double numeric = (Objective(c, plus, r) - Objective(c, minus, r)) / (2 * c.grad_eps);
        ++rep.fd_probes;
        if (!(std::abs(numeric - analytic[e]) <= c.grad_tol * (1.0 + std::abs(numeric)))) {
          fail << "input " << i << " element " << e << ": backprop " << analytic[e] << " vs finite diff " << numeric
               << "\n";
          break;
        }
      }
    }
  }

  // 3. float32 against float64.
  const Run g32 = Evaluate(c, CastFloating(in64, DType::kFloat32), r, c.check_gradients);
  const double f32_err = ScaledErr(g32.out, g64.out);
  if (f32_err < 0 || f32_err > c.f32_tol) fail << "float32 forward: scaled error " << f32_err << "\n";
  for (size_t i = 0; i < in64.size() && c.check_gradients; ++i) {
    if (!g64.grads[i].defined()) continue;
    const double e = g32.grads[i].defined() ? ScaledErr(g32.grads[i], g64.grads[i]) : -1;
    if (e < 0 || e > c.f32_tol) fail << "float32 gradient of input " << i << ": scaled error " << e << "\n";
  }

  // 4. Non-contiguous inputs give the same results.
  Inputs nc;
  for (const Tensor& t : in64) nc.push_back(NonContiguous(t));
  const Run gnc = Evaluate(c, nc, r, c.check_gradients);
  const double nc_err = RelErr(gnc.out, g64.out);
  if (nc_err < 0 || nc_err > 1e-12) fail << "non-contiguous forward: error " << nc_err << "\n";
  for (size_t i = 0; i < in64.size() && c.check_gradients; ++i) {
    if (!g64.grads[i].defined()) continue;
    const double e = gnc.grads[i].defined() ? RelErr(gnc.grads[i], g64.grads[i]) : -1;
    if (e < 0 || e > 1e-12) fail << "non-contiguous gradient of input " << i << ": error " << e << "\n";
  }

  // 5. CUDA agreement (only when a CUDA backend is built in, a device is present and the backend
  // Supports() the case's op): forward and gradients on the device against the CPU run, float64
  // within 1e-9 (relative), float32 within the case's float32 tolerance.
  rep.cuda_checked = false;
  if (CudaAvailable() && Supports(c.kind, DType::kFloat32, DeviceType::kCUDA)) {
    for (DType dt : {DType::kFloat64, DType::kFloat32}) {
      const Run& cpu = dt == DType::kFloat64 ? g64 : g32;
      const double tol = dt == DType::kFloat64 ? 1e-9 : c.f32_tol;
      const char* tag = dt == DType::kFloat64 ? "CUDA float64" : "CUDA float32";
      Inputs dev;
      for (const Tensor& t : CastFloating(in64, dt)) dev.push_back(t.To(Device::CUDA()));
      Run gpu;
      try {
        gpu = Evaluate(c, dev, r.To(Device::CUDA()), c.check_gradients);
      } catch (const std::exception& e) {
        fail << tag << ": " << e.what() << "\n";
        continue;
      }
      const double err = ScaledErr(gpu.out, cpu.out);
      if (err < 0 || err > tol) fail << tag << " forward: scaled error " << err << " > " << tol << "\n";
      for (size_t i = 0; i < in64.size() && c.check_gradients; ++i) {
        if (!cpu.grads[i].defined()) continue;
        const double e = gpu.grads[i].defined() ? ScaledErr(gpu.grads[i], cpu.grads[i]) : -1;
        if (e < 0 || e > tol) fail << tag << " gradient of input " << i << ": scaled error " << e << "\n";
      }
    }
    rep.cuda_checked = true;
  }

  rep.failures = fail.str();
  rep.ok = rep.failures.empty();
  return rep;
}

}  // namespace testing
}  // namespace nb360
