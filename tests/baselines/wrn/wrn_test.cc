// tests/baselines/wrn/wrn_test.cc: the WRN baselines against spec baselines.md §1, §2, §8.1, §9:
// parameter totals for every task (built from the registry's TaskInfo) and the depth/width anchors,
// state-dict names, forward shapes for all ten tasks, Backbone_Pt's pooling branches and the
// Spherical top-left-window property, dropout, and determinism.
#include <cmath>
#include <memory>
#include <string>

#include "baselines/wrn/wrn.h"
#include "engine/autograd.h"
#include "gtest/gtest.h"
#include "tasks/registry.h"

namespace nb360::baselines {
namespace {

tasks::TaskInfo Info(const std::string& name) {
  auto task = tasks::MakeTask(name);
  EXPECT_TRUE(task.ok()) << task.status();
  return (*task)->info();
}

int64_t Unused(const nn::Module& m) {
  auto* wrn = dynamic_cast<const WideResNet2d*>(&m);
  return wrn ? wrn->NumUnusedParameters() : 0;
}

struct Expected {
  const char* task;
  int64_t total;
  int64_t used;
};

constexpr Expected kExpected[] = {
    {"cifar100", 2772020, 2772020},   {"spherical", 2772020, 2772020}, {"ninapro", 2750658, 2750658},
    {"fsd50k", 2797432, 2797432},     {"darcy_flow", 2748888, 2746577}, {"psicov", 2756772, 2754353},
    {"cosmic", 2748596, 2746289},     {"ecg", 504260, 504260},          {"satellite", 506840, 506840},
    {"deepsea", 510116, 510116},
};

TEST(WrnTest, ParameterCountsMatchSpecForEveryTask) {
  ASSERT_EQ(tasks::TaskNames().size(), std::size(kExpected));
  for (const Expected& e : kExpected) {
    SCOPED_TRACE(e.task);
    Generator gen(1);
    auto model = MakeWrn(Info(e.task), WrnOptions{}, gen);
    EXPECT_EQ(model->NumParameters(), e.total);
    EXPECT_EQ(model->NumParameters() - Unused(*model), e.used);
    EXPECT_EQ(WrnParamCount(e.task), e.total);
    EXPECT_EQ(WrnParamCount(e.task, /*include_unused=*/false), e.used);
  }
}

TEST(WrnTest, DepthWidthAnchors) {
  for (auto [depth, widen, expected] : {std::tuple<int, int, int64_t>{28, 10, 36536884},
                                        {40, 4, 8972340}, {16, 4, 2772020}}) {
    Wrn2dConfig config;
    config.depth = depth;
    config.widen = widen;
    EXPECT_EQ(Wrn2dParamCount(config), expected) << depth << "-" << widen;
  }
  // Building WRN-40-4 is cheap enough to check the structural count against the module.
  Wrn2dConfig config;
  config.depth = 40;
  Generator gen(2);
  EXPECT_EQ(WideResNet2d(config, gen).NumParameters(), 8972340);
}

TEST(WrnTest, LayerCountsAndStateDictNames) {
  Generator gen(3);
  WideResNet2d model(Wrn2dConfig{}, gen);
  int convs3 = 0, convs1 = 0, bns = 0, linears = 0;
  for (auto& [name, m] : model.NamedModules()) {
    if (m->type_name() == "Conv2d") (m->Parameter("weight").shape()[2] == 3 ? convs3 : convs1)++;
    if (m->type_name() == "BatchNorm2d") ++bns;
    if (m->type_name() == "Linear") ++linears;
  }
  EXPECT_EQ(convs3, 13);
  EXPECT_EQ(convs1, 3);
  EXPECT_EQ(bns, 13);
  EXPECT_EQ(linears, 1);
  nn::NamedTensors state = model.StateDict();
  auto has = [&](const std::string& key) {
    for (auto& [k, v] : state) if (k == key) return true;
    return false;
  };
  for (const char* key : {"conv1.weight", "block1.layer.0.bn1.weight", "block1.layer.0.bn1.running_mean",
                          "block1.layer.0.bn1.num_batches_tracked", "block1.layer.0.conv1.weight",
                          "block1.layer.0.bn2.bias", "block1.layer.0.conv2.weight",
                          "block1.layer.0.convShortcut.weight", "block1.layer.1.conv2.weight",
                          "block2.layer.0.convShortcut.weight", "block3.layer.1.bn2.running_var",
                          "bn1.weight", "fc.weight", "fc.bias"}) {
    EXPECT_TRUE(has(key)) << key;
  }
  EXPECT_FALSE(has("block1.layer.1.convShortcut.weight"));
  EXPECT_EQ(state.front().first, "conv1.weight");
  EXPECT_EQ(state.back().first, "fc.bias");

  Generator gen2(3);
  auto dense = MakeWrn(Info("darcy_flow"), WrnOptions{}, gen2);
  std::string keys;
  for (auto& [k, v] : dense->StateDict()) keys += k + "\n";
  for (const char* key : {"conv1.weight\nin_layer.0.weight\n", "in_layer.0.num_batches_tracked\nin_layer.2.weight\n",
                          "out_conv.weight\nout_conv.bias\n"}) {
    EXPECT_NE(keys.find(key), std::string::npos) << key;
  }
  Generator gen3(3);
  ResNet1D r(4, 36, gen3);
  std::string rkeys;
  for (auto& [k, v] : r.StateDict()) rkeys += k + "\n";
  for (const char* key : {"layers.0.layers.0.layers.0.weight", "layers.0.layers.0.layers.0.bias",
                          "layers.0.layers.0.layers.1.running_var", "layers.0.residual.0.weight",
                          "layers.1.residual.1.weight", "final.weight"}) {
    EXPECT_NE(rkeys.find(std::string(key) + "\n"), std::string::npos) << key;
  }
  EXPECT_EQ(rkeys.find("layers.2.residual"), std::string::npos);
  int convs = 0, bn1d = 0;
  for (auto& [name, m] : r.NamedModules()) {
    convs += m->type_name() == "Conv1d";
    bn1d += m->type_name() == "BatchNorm1d";
  }
  EXPECT_EQ(convs, 11);
  EXPECT_EQ(bn1d, 11);
}

TEST(WrnTest, InitFollowsSpec) {
  Generator gen(4);
  WideResNet2d model(Wrn2dConfig{}, gen);
  Tensor w = model.Child("block3")->Child("layer")->Child("1")->Child("conv2")->Parameter("weight");
  const float* p = w.data<float>();
  double sum2 = 0;
  for (int64_t i = 0; i < w.numel(); ++i) sum2 += double(p[i]) * p[i];
  const double expected_std = std::sqrt(2.0 / (256 * 9));  // fan_out = 256 * 3 * 3
  EXPECT_NEAR(std::sqrt(sum2 / w.numel()), expected_std, 0.02 * expected_std);
  Tensor bn_w = model.Child("bn1")->Parameter("weight"), bn_b = model.Child("bn1")->Parameter("bias");
  Tensor fc_b = model.Child("fc")->Parameter("bias"), fc_w = model.Child("fc")->Parameter("weight");
  for (int64_t i = 0; i < 256; ++i) {
    EXPECT_EQ(bn_w.data<float>()[i], 1.0f);
    EXPECT_EQ(bn_b.data<float>()[i], 0.0f);
  }
  for (int64_t i = 0; i < 100; ++i) EXPECT_EQ(fc_b.data<float>()[i], 0.0f);
  float max_abs = 0;
  for (int64_t i = 0; i < fc_w.numel(); ++i) max_abs = std::max(max_abs, std::fabs(fc_w.data<float>()[i]));
  EXPECT_LE(max_abs, 1.0 / 16.0);  // U(+-1/sqrt(256))
  EXPECT_GT(max_abs, 0.05);
}

Tensor RandomInput(const Shape& shape, uint64_t seed) {
  Tensor x = Tensor::Empty(shape);
  Generator(seed).Normal(x);
  return x;
}

TEST(WrnTest, ForwardShapesForAllTenTasks) {
  for (const std::string& name : tasks::TaskNames()) {
    SCOPED_TRACE(name);
    tasks::TaskInfo info = Info(name);
    Generator gen(5);
    auto model = MakeWrn(info, WrnOptions{}, gen);
    model->eval();
    NoGradGuard no_grad;
    Shape in = {1};
    in.insert(in.end(), info.input_shape.begin(), info.input_shape.end());
    Tensor y = model->Forward(RandomInput(in, 6));
    Shape expected = {1};
    expected.insert(expected.end(), info.output_shape.begin(), info.output_shape.end());
    EXPECT_EQ(y.shape(), expected);
    if (info.dense) {
      EXPECT_EQ(y.shape(), (Shape{1, 1, info.input_shape[1], info.input_shape[2]}));
    } else {
      EXPECT_EQ(y.shape(), (Shape{1, info.num_classes}));
    }
    for (int64_t i = 0; i < y.numel(); ++i) ASSERT_TRUE(std::isfinite(y.data<float>()[i]));
  }
}

// Feature-map sizes per group (spec §9 shapes) through a hook-free rebuild of the pipeline.
TEST(WrnTest, PointPoolingBranches) {
  // 2x8 (input 8x32), 4x13 (NinaPro), height 6 (24x24 -> 6x6 adaptive), 8x8 (CIFAR), 15x15 (top-left).
  for (auto [h, w] : {std::pair<int64_t, int64_t>{8, 32}, {16, 52}, {24, 24}, {32, 32}, {60, 60}}) {
    Wrn2dConfig config;
    config.depth = 10;
    config.widen = 1;
    config.num_classes = 5;
    Generator gen(7);
    WideResNet2d model(config, gen);
    model.eval();
    NoGradGuard no_grad;
    EXPECT_EQ(model.Forward(RandomInput({2, 3, h, w}, 8)).shape(), (Shape{2, 5})) << h << "x" << w;
  }
}

// Rows/columns >= 56 of a 60x60 input reach none of the 8x8 top-left final positions (receptive
// radius 26 around input position 4 * 7 = 28), so Spherical logits ignore them (spec §8.1); the
// audio model's global pool does not. "Ignore" up to rounding: Winograd convolutions transform whole
// input tiles, so inputs just outside an output's reach enter its rounding error (not its value).
TEST(WrnTest, SphericalPoolsOnlyTheTopLeftWindow) {
  Generator gen(9);
  auto model = MakeWrn(Info("spherical"), WrnOptions{}, gen);
  model->eval();
  NoGradGuard no_grad;
  Tensor x = RandomInput({2, 3, 60, 60}, 10);
  Tensor y = model->Forward(x);
  Tensor x2 = x.Clone();
  float* p = x2.data<float>();
  for (int64_t n = 0; n < 2 * 3; ++n) {
    for (int64_t i = 0; i < 60; ++i) {
      for (int64_t j = 0; j < 60; ++j) {
        if (i >= 56 || j >= 56) p[(n * 60 + i) * 60 + j] += 3.0f + 0.01f * float(i - j);
      }
    }
  }
  Tensor y2 = model->Forward(x2);
  double far = 0, scale = 0;
  for (int64_t i = 0; i < y.numel(); ++i) {
    far += std::fabs(y.data<float>()[i] - y2.data<float>()[i]);
    scale += std::fabs(y.data<float>()[i]);
  }
  // A change inside the window's reach does change the logits, by far more than rounding.
  Tensor x3 = x.Clone();
  x3.data<float>()[40 * 60 + 40] += 3.0f;
  Tensor y3 = model->Forward(x3);
  double near = 0;
  for (int64_t i = 0; i < y.numel(); ++i) near += std::fabs(y.data<float>()[i] - y3.data<float>()[i]);
  EXPECT_LE(far, 2e-6 * scale) << "far " << far << " near " << near << " scale " << scale;
  EXPECT_GT(near, 100 * far) << "far " << far << " near " << near << " scale " << scale;
  // With global (audio) pooling the far corner matters.
  Wrn2dConfig audio;
  audio.head = WrnHead::kAudio;
  Generator gen2(9);
  WideResNet2d global(audio, gen2);
  global.eval();
  Tensor g = global.Forward(x), g2 = global.Forward(x2);
  double diff = 0, gscale = 0;
  for (int64_t i = 0; i < g.numel(); ++i) {
    diff += std::fabs(g.data<float>()[i] - g2.data<float>()[i]);
    gscale += std::fabs(g.data<float>()[i]);
  }
  EXPECT_GT(diff, 1e-3 * gscale);
}

TEST(WrnTest, DropoutOnlyInTraining) {
  Wrn2dConfig config;
  config.depth = 10;
  config.widen = 1;
  config.dropout = 0.5;
  Generator gen(11);
  WideResNet2d model(config, gen);
  Tensor x = RandomInput({2, 3, 32, 32}, 12);
  NoGradGuard no_grad;
  model.eval();
  Tensor e1 = model.Forward(x), e2 = model.Forward(x);
  for (int64_t i = 0; i < e1.numel(); ++i) ASSERT_EQ(e1.data<float>()[i], e2.data<float>()[i]);
  model.train();
  Tensor t1 = model.Forward(x), t2 = model.Forward(x);
  double diff = 0;
  for (int64_t i = 0; i < t1.numel(); ++i) diff += std::fabs(t1.data<float>()[i] - t2.data<float>()[i]);
  EXPECT_GT(diff, 0.0);  // fresh masks each call
}

TEST(WrnTest, SameSeedSameWeights) {
  for (const char* name : {"cifar100", "cosmic", "deepsea"}) {
    Generator g1(13), g2(13), g3(14);
    auto a = MakeWrn(Info(name), WrnOptions{}, g1);
    auto b = MakeWrn(Info(name), WrnOptions{}, g2);
    auto c = MakeWrn(Info(name), WrnOptions{}, g3);
    auto sa = a->StateDict(), sb = b->StateDict(), sc = c->StateDict();
    ASSERT_EQ(sa.size(), sb.size());
    bool any_diff = false;
    for (size_t i = 0; i < sa.size(); ++i) {
      const Tensor& ta = sa[i].second;
      if (ta.dtype() != DType::kFloat32) continue;
      for (int64_t j = 0; j < ta.numel(); ++j) {
        ASSERT_EQ(ta.data<float>()[j], sb[i].second.data<float>()[j]) << sa[i].first;
        any_diff |= ta.data<float>()[j] != sc[i].second.data<float>()[j];
      }
    }
    EXPECT_TRUE(any_diff) << name;
  }
}

}  // namespace
}  // namespace nb360::baselines
