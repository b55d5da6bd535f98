// Module: names (vs torch state_dict()/named_parameters() from make_nn_golden.py), LoadStateDict
// errors, train/eval propagation, ZeroGrad, NumParameters, and a forward pass with torch's weights.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "engine/autograd.h"
#include "engine/nn/nn.h"
#include "gtest/gtest.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"
#include "tests/engine/nn/nn_golden.h"

namespace nb360 {
namespace nn {
namespace {

namespace golden = nn_golden;

Conv2dParams ConvPad(int64_t pad, int64_t stride = 1) { return Conv2dOptions(stride, pad); }

class BasicBlock : public Module {
 public:
  BasicBlock(int64_t cin, int64_t cout, int64_t stride, Generator& gen) : Module("BasicBlock") {
    conv1 = RegisterModule("conv1", std::make_shared<Conv2d>(cin, cout, 3, gen, ConvPad(1, stride), false));
    bn1 = RegisterModule("bn1", std::make_shared<BatchNorm2d>(cout));
    conv2 = RegisterModule("conv2", std::make_shared<Conv2d>(cout, cout, 3, gen, ConvPad(1), false));
    bn2 = RegisterModule("bn2", std::make_shared<BatchNorm2d>(cout));
    if (stride != 1 || cin != cout) {
      downsample = RegisterModule(
          "downsample", std::make_shared<Sequential>(std::vector<ModulePtr>{
                            std::make_shared<Conv2d>(cin, cout, 1, gen, ConvPad(0, stride), false),
                            std::make_shared<BatchNorm2d>(cout)}));
    }
  }
  Tensor Forward(const Tensor& x) override {
    Tensor h = Relu(bn1->Forward(conv1->Forward(x)));
    h = bn2->Forward(conv2->Forward(h));
    return Relu(h + (downsample ? downsample->Forward(x) : x));
  }
  std::shared_ptr<Conv2d> conv1, conv2;
  std::shared_ptr<BatchNorm2d> bn1, bn2;
  std::shared_ptr<Sequential> downsample;
};

class NamingNet : public Module {
 public:
  explicit NamingNet(Generator& gen) : Module("NamingNet") {
    RegisterModule("conv1", std::make_shared<Conv2d>(3, 4, 3, gen, ConvPad(1), false));
    RegisterModule("bn1", std::make_shared<BatchNorm2d>(4));
    auto layer1 = RegisterModule("layer1", std::make_shared<Sequential>());
    layer1->Add(std::make_shared<BasicBlock>(4, 4, 1, gen));
    layer1->Add(std::make_shared<BasicBlock>(4, 4, 1, gen));
    auto layer2 = RegisterModule("layer2", std::make_shared<Sequential>());
    layer2->Add(std::make_shared<BasicBlock>(4, 8, 2, gen));
    RegisterModule("attn", std::make_shared<MultiheadAttention>(8, 2, gen));
    RegisterModule("ln", std::make_shared<LayerNorm>(Shape{8}));
    RegisterModule("drop", std::make_shared<Dropout>(0.1, gen));
    BatchNormOptions no_affine;
    no_affine.affine = false;
    Conv1dParams c1;
    c1.padding = 1;
    RegisterModule("temporal", std::make_shared<Sequential>(std::vector<ModulePtr>{
                                   std::make_shared<Conv1d>(8, 8, 3, gen, c1),
                                   std::make_shared<BatchNorm1d>(8, no_affine), std::make_shared<GELU>()}));
    ConvTranspose2dParams up;
    up.stride_h = up.stride_w = 2;
    RegisterModule("up", std::make_shared<ConvTranspose2d>(8, 4, 2, gen, up));
    BatchNormOptions no_stats;
    no_stats.track_running_stats = false;
    RegisterModule("bn_nostats", std::make_shared<BatchNorm2d>(4, no_stats));
    RegisterModule("fc", std::make_shared<Linear>(8, 10, gen));
  }
};

TEST(ModuleTest, StateDictNamesAndShapesMatchTorch) {
  Generator gen(1);
  NamingNet net(gen);
  const NamedTensors sd = net.StateDict();
  constexpr size_t kN = sizeof(golden::kNamingStateDict) / sizeof(golden::kNamingStateDict[0]);
  ASSERT_EQ(sd.size(), kN);
  for (size_t i = 0; i < kN; ++i) {
    const auto& want = golden::kNamingStateDict[i];
    EXPECT_EQ(sd[i].first, want.name) << "entry " << i;
    EXPECT_EQ(sd[i].second.shape(), Shape(want.dims, want.dims + want.rank)) << want.name;
  }
  const NamedTensors params = net.NamedParameters();
  constexpr size_t kP = sizeof(golden::kNamingParameters) / sizeof(golden::kNamingParameters[0]);
  ASSERT_EQ(params.size(), kP);
  for (size_t i = 0; i < kP; ++i) EXPECT_EQ(params[i].first, golden::kNamingParameters[i]);
  EXPECT_EQ(net.NumParameters(), golden::kNamingNumParameters);
  // Buffers: running statistics; num_batches_tracked is an int64 scalar.
  const NamedTensors buffers = net.NamedBuffers();
  EXPECT_EQ(buffers.front().first, "bn1.running_mean");
  EXPECT_EQ(buffers[2].first, "bn1.num_batches_tracked");
  EXPECT_EQ(buffers[2].second.dtype(), DType::kInt64);
  EXPECT_EQ(buffers[2].second.dim(), 0);
  for (const auto& [name, t] : params) EXPECT_TRUE(t.requires_grad()) << name;
  for (const auto& [name, t] : buffers) EXPECT_FALSE(t.requires_grad()) << name;
}

TEST(ModuleTest, NamedModulesAndToString) {
  Generator gen(1);
  NamingNet net(gen);
  const auto modules = net.NamedModules();
  EXPECT_EQ(modules[0].first, "");
  EXPECT_EQ(modules[1].first, "conv1");
  bool found = false;
  for (const auto& [name, m] : modules) {
    if (name == "layer2.0.downsample.1") found = m->type_name() == "BatchNorm2d";
  }
  EXPECT_TRUE(found);
  const std::string s = net.ToString();
  EXPECT_NE(s.find("(layer1): Sequential("), std::string::npos) << s;
  EXPECT_NE(s.find("(fc): Linear(in_features=8, out_features=10, bias=true)"), std::string::npos) << s;
}

TEST(ModuleTest, TrainEvalPropagates) {
  Generator gen(1);
  NamingNet net(gen);
  for (const auto& [name, m] : net.NamedModules()) EXPECT_TRUE(m->is_training()) << name;
  net.eval();
  for (const auto& [name, m] : net.NamedModules()) EXPECT_FALSE(m->is_training()) << name;
  net.Child("layer1")->train();
  for (const auto& [name, m] : net.NamedModules()) {
    EXPECT_EQ(m->is_training(), name.rfind("layer1", 0) == 0) << name;
  }
  net.train();
  for (const auto& [name, m] : net.NamedModules()) EXPECT_TRUE(m->is_training()) << name;
}

TEST(ModuleTest, LoadStateDictRoundTripAndSharedHandles) {
  Generator gen_a(1), gen_b(2);
  NamingNet a(gen_a), b(gen_b);
  const Tensor b_fc = b.Child("fc")->Parameter("weight");  // a handle an optimizer would hold
  NamedTensors snapshot;
  for (const auto& [name, t] : a.StateDict()) snapshot.emplace_back(name, t.Clone());
  ASSERT_TRUE(b.LoadStateDict(snapshot).ok());
  const NamedTensors sb = b.StateDict();
  for (size_t i = 0; i < sb.size(); ++i) {
    EXPECT_EQ(sb[i].second.ToString(1000), snapshot[i].second.ToString(1000)) << sb[i].first;
  }
  // Values were copied into the existing tensors.
  EXPECT_TRUE(b.Child("fc")->Parameter("weight").SameImpl(b_fc));
  EXPECT_EQ(b_fc.ToVector<float>(), a.Child("fc")->Parameter("weight").ToVector<float>());
  // Loading a model's own live state dict is a no-op.
  EXPECT_TRUE(a.LoadStateDict(a.StateDict()).ok());
}

TEST(ModuleTest, LoadStateDictReportsEveryProblemByName) {
  Generator gen(1);
  NamingNet net(gen);
  NamedTensors sd;
  for (const auto& [name, t] : net.StateDict()) sd.emplace_back(name, t.Clone());
  const std::vector<float> before = net.Child("ln")->Parameter("weight").ToVector<float>();

  NamedTensors bad = sd;
  for (auto& [name, t] : bad) {
    if (name == "fc.weight") t = Tensor::Zeros({10, 9});                       // shape
    if (name == "ln.weight") t = Tensor::Zeros({8}, DType::kFloat64);          // dtype
    if (name == "bn1.num_batches_tracked") t = Tensor::Zeros({}, DType::kFloat32);
  }
  bad.erase(std::remove_if(bad.begin(), bad.end(), [](const auto& e) { return e.first == "up.bias"; }),
            bad.end());                                                          // missing
  bad.emplace_back("fc.extra", Tensor::Zeros({1}));                            // unexpected
  absl::Status st = net.LoadStateDict(bad, /*strict=*/true);
  ASSERT_FALSE(st.ok());
  const std::string msg(st.message());
  EXPECT_NE(msg.find("size mismatch for \"fc.weight\": checkpoint has [10, 9], model has [10, 8]"),
            std::string::npos) << msg;
  EXPECT_NE(msg.find("dtype mismatch for \"ln.weight\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("dtype mismatch for \"bn1.num_batches_tracked\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("missing key(s): \"up.bias\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("unexpected key(s): \"fc.extra\""), std::string::npos) << msg;
  // Nothing was loaded (the ln.weight entry was also bad, but the others were not copied either).
  EXPECT_EQ(net.Child("ln")->Parameter("weight").ToVector<float>(), before);

  // Non-strict: missing/unexpected are fine, shape mismatches are still errors.
  NamedTensors partial = {{"fc.bias", Tensor::Full({10}, 3.0)}, {"nonsense", Tensor::Zeros({1})}};
  ASSERT_TRUE(net.LoadStateDict(partial, /*strict=*/false).ok());
  EXPECT_EQ(net.Child("fc")->Parameter("bias").ToVector<float>(), std::vector<float>(10, 3.0f));
  partial = {{"fc.bias", Tensor::Zeros({11})}};
  st = net.LoadStateDict(partial, /*strict=*/false);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(std::string(st.message()).find("fc.bias"), std::string::npos);
}

TEST(ModuleTest, RegistrationErrors) {
  Module m("Custom");
  m.RegisterParameter("w", Tensor::Zeros({2}));
  EXPECT_THROW(m.RegisterParameter("w", Tensor::Zeros({2})), Error);
  EXPECT_THROW(m.RegisterBuffer("w", Tensor::Zeros({2})), Error);
  EXPECT_THROW(m.RegisterParameter("a.b", Tensor::Zeros({2})), Error);
  EXPECT_THROW(m.Parameter("nope"), Error);
  EXPECT_THROW(m.Forward(Tensor::Zeros({1})), Error);
}

TEST(ModuleTest, ZeroGradAndSharedParametersCountedOnce) {
  Generator gen(3);
  auto lin = std::make_shared<Linear>(2, 2, gen);
  Sequential seq;
  seq.Add(lin);
  seq.Add(std::make_shared<ReLU>());
  seq.Add(lin);  // shared
  EXPECT_EQ(seq.NamedParameters().size(), 2u);
  EXPECT_EQ(seq.NumParameters(), 6);
  EXPECT_EQ(seq.StateDict().size(), 4u);  // as torch: state_dict keeps both names
  Sum(seq.Forward(Tensor::Ones({4, 2}))).Backward();
  EXPECT_TRUE(lin->weight().grad().defined());
  seq.ZeroGrad();
  EXPECT_FALSE(lin->weight().grad().defined());
}

// TinyNet (make_nn_golden.py) built from our layers, with torch's state dict loaded.
class TinyNet : public Module {
 public:
  explicit TinyNet(Generator& gen) : Module("TinyNet") {
    conv = RegisterModule("conv", std::make_shared<Conv2d>(2, 4, 3, gen, ConvPad(1)));
    bn = RegisterModule("bn", std::make_shared<BatchNorm2d>(4));
    embed = RegisterModule("embed", std::make_shared<Linear>(4, 8, gen));
    attn = RegisterModule("attn", std::make_shared<MultiheadAttention>(8, 2, gen));
    norm = RegisterModule("norm", std::make_shared<LayerNorm>(Shape{8}));
    fc = RegisterModule("fc", std::make_shared<Linear>(8, 3, gen));
  }
  Tensor Forward(const Tensor& x) override {
    Tensor h = Relu(bn->Forward(conv->Forward(x)));
    Tensor t = embed->Forward(h.Flatten(2).Transpose(1, 2).Contiguous());
    t = norm->Forward(t + attn->Forward(t));
    return fc->Forward(Mean(t, {1}));
  }
  std::shared_ptr<Conv2d> conv;
  std::shared_ptr<BatchNorm2d> bn;
  std::shared_ptr<Linear> embed, fc;
  std::shared_ptr<MultiheadAttention> attn;
  std::shared_ptr<LayerNorm> norm;
};

NamedTensors TorchTinyState() {
  NamedTensors sd;
  for (const auto& e : golden::kTinyStateDict) {
    const Shape shape(e.dims, e.dims + e.rank);
    const int64_t n = NumElements(shape);
    std::vector<float> v(golden::kTinyValues + e.offset, golden::kTinyValues + e.offset + n);
    Tensor t = Tensor::FromVector(v, shape);
    if (std::string(e.name).find("num_batches_tracked") != std::string::npos) t = t.To(DType::kInt64);
    sd.emplace_back(e.name, t);
  }
  return sd;
}

void ExpectClose(const Tensor& got, const float* want, double tol, const char* what) {
  const auto g = got.ToVector<float>();
  for (size_t i = 0; i < g.size(); ++i) {
    EXPECT_NEAR(g[i], want[i], tol * std::max(1.0, std::abs(static_cast<double>(want[i])))) << what << " " << i;
  }
}

TEST(ModuleTest, TorchWeightsGiveTorchOutputs) {
  Generator gen(5);
  TinyNet net(gen);
  const absl::Status st = net.LoadStateDict(TorchTinyState());
  ASSERT_TRUE(st.ok()) << st;
  const Tensor x = Tensor::FromVector(std::vector<float>(std::begin(golden::kTinyInput), std::end(golden::kTinyInput)),
                                      {2, 2, 3, 3});
  net.eval();
  {
    NoGradGuard no_grad;
    ExpectClose(net.Forward(x), golden::kTinyEvalOutput, 1e-5, "eval output");
  }
  net.train();
  {
    NoGradGuard no_grad;
    ExpectClose(net.Forward(x), golden::kTinyTrainOutput, 1e-5, "train output");
  }
  ExpectClose(net.bn->Buffer("running_mean"), golden::kTinyRunningMeanAfter, 1e-5, "running_mean");
  ExpectClose(net.bn->Buffer("running_var"), golden::kTinyRunningVarAfter, 1e-5, "running_var");
  EXPECT_EQ(net.bn->Buffer("num_batches_tracked").item(), golden::kTinyNumBatchesTrackedAfter);
}

}  // namespace
}  // namespace nn
}  // namespace nb360
