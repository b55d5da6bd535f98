// Runs every conformance case as its own parameterised test, and reports coverage.
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "tests/ops/conformance.h"

namespace nb360 {
namespace testing {
namespace {

class Conformance : public ::testing::TestWithParam<OpCase> {};

TEST_P(Conformance, MatchesReferenceAndGradients) {
  const CaseReport r = RunCase(GetParam());
  EXPECT_TRUE(r.ok) << GetParam().name << ":\n" << r.failures;
}

std::string CaseName(const ::testing::TestParamInfo<OpCase>& info) {
  std::string s = info.param.name;
  for (char& ch : s) {
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return s;
}

INSTANTIATE_TEST_SUITE_P(AllOps, Conformance, ::testing::ValuesIn(AllCases()), CaseName);

// Every CPU registry entry is exercised by at least one case.
TEST(ConformanceCoverage, EveryRegisteredOpHasACase) {
  std::set<OpKind> covered;
  std::map<std::string, int> per_family;
  for (const OpCase& c : AllCases()) {
    covered.insert(c.kind);
    ++per_family[c.name.substr(0, c.name.find('/'))];
  }
  for (const KernelEntry& e : KernelTable()) {
    EXPECT_TRUE(covered.count(e.op)) << "no conformance case for op " << OpKindName(e.op);
  }
  std::cout << "conformance: " << AllCases().size() << " cases over " << per_family.size()
            << " op families, " << covered.size() << " registry op kinds\n";
  for (const auto& [family, n] : per_family) std::cout << "  " << family << ": " << n << "\n";
}

// With a CUDA device: every case whose op the CUDA backend supports was compared against the CPU;
// prints the CUDA coverage. Skipped without a device (CPU-only build or no GPU).
TEST(ConformanceCoverage, CudaAgreement) {
  if (!CudaAvailable()) GTEST_SKIP() << "no CUDA backend or no CUDA device: CPU-vs-CUDA checks skipped";
  std::set<OpKind> missing;
  int supported = 0;
  for (const OpCase& c : AllCases()) {
    if (Supports(c.kind, DType::kFloat32, DeviceType::kCUDA)) {
      ++supported;
    } else {
      missing.insert(c.kind);
    }
  }
  std::cout << "CUDA: " << supported << " of " << AllCases().size() << " cases checked against the CPU\n";
  for (OpKind k : missing) std::cout << "  no CUDA kernel: " << OpKindName(k) << "\n";
  EXPECT_TRUE(missing.empty());
}

TEST(ConformanceCoverage, NamesAreUnique) {
  std::set<std::string> names;
  for (const OpCase& c : AllCases()) EXPECT_TRUE(names.insert(c.name).second) << c.name;
}

}  // namespace
}  // namespace testing
}  // namespace nb360
