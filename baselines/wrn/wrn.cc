// baselines/wrn/wrn.cc: see wrn.h.
#include "baselines/wrn/wrn.h"

#include "engine/check.h"

namespace nb360::baselines {

namespace {

int64_t BlockParams(int64_t in, int64_t out) {
  const int64_t projection = in != out ? in * out : 0;
  return 2 * in + 9 * in * out + 2 * out + 9 * out * out + projection;
}

struct TaskShape {
  const char* name;
  int64_t in_channels;
  int64_t classes;
  bool one_d;
  WrnHead head;
};

// Channels and classes of the ten tasks (spec §1.3, §1.4, §2).
constexpr TaskShape kTaskShapes[] = {
    {"cifar100", 3, 100, false, WrnHead::kPoint},  {"spherical", 3, 100, false, WrnHead::kPoint},
    {"ninapro", 1, 18, false, WrnHead::kPoint},    {"fsd50k", 1, 200, false, WrnHead::kAudio},
    {"darcy_flow", 3, 1, false, WrnHead::kDense},  {"psicov", 57, 1, false, WrnHead::kDense},
    {"cosmic", 1, 1, false, WrnHead::kDense},      {"ecg", 1, 4, true, WrnHead::kPoint},
    {"satellite", 1, 24, true, WrnHead::kPoint},   {"deepsea", 4, 36, true, WrnHead::kPoint},
};

}  // namespace

Wrn2dConfig Wrn2dConfigFor(const tasks::TaskInfo& info, const WrnOptions& options) {
  NB_CHECK(!info.one_d && info.input_shape.size() == 3, "Wrn2dConfigFor: task ", info.name,
           " has no (C, H, W) input");
  Wrn2dConfig config;
  config.depth = options.depth;
  config.widen = options.widen;
  config.dropout = options.dropout;
  config.in_channels = info.input_shape[0];
  config.num_classes = info.num_classes;
  config.head = info.dense ? WrnHead::kDense : info.name == "fsd50k" ? WrnHead::kAudio : WrnHead::kPoint;
  return config;
}

std::shared_ptr<nn::Module> MakeWrn(const tasks::TaskInfo& info, const WrnOptions& options, Generator& gen) {
  if (info.one_d) {
    NB_CHECK(info.input_shape.size() == 2, "MakeWrn: 1-D task ", info.name, " needs a (C, L) input");
    return std::make_shared<ResNet1D>(info.input_shape[0], info.num_classes, gen);
  }
  return std::make_shared<WideResNet2d>(Wrn2dConfigFor(info, options), gen);
}

int64_t Wrn2dParamCount(const Wrn2dConfig& config, bool include_unused) {
  const int64_t n = (config.depth - 4) / 6;
  const int64_t c[4] = {16, 16 * config.widen, 32 * config.widen, 64 * config.widen};
  int64_t total = 9 * config.in_channels * c[0];
  for (int g = 0; g < 3; ++g) {
    total += BlockParams(c[g], c[g + 1]) + (n - 1) * BlockParams(c[g + 1], c[g + 1]);
  }
  total += 2 * c[3] + (c[3] + 1) * config.num_classes;
  if (config.head == WrnHead::kDense && include_unused) {
    total += 2 * config.in_channels + (9 * c[3] + 1) * config.num_classes;
  }
  return total;
}

int64_t ResNet1DParamCount(int64_t in_channels, int64_t num_classes) {
  auto conv_bn = [](int64_t in, int64_t out, int64_t k) { return in * out * k + out + 2 * out; };
  const int64_t stages[4] = {in_channels, 64, 128, 128};
  int64_t total = 0;
  for (int b = 0; b < 3; ++b) {
    const int64_t in = stages[b], out = stages[b + 1];
    total += conv_bn(in, out, 8) + conv_bn(out, out, 5) + conv_bn(out, out, 3);
    if (in != out) total += conv_bn(in, out, 1);
  }
  return total + 129 * num_classes;
}

int64_t WrnParamCount(const std::string& task, bool include_unused) {
  for (const TaskShape& t : kTaskShapes) {
    if (task != t.name) continue;
    if (t.one_d) return ResNet1DParamCount(t.in_channels, t.classes);
    Wrn2dConfig config;
    config.in_channels = t.in_channels;
    config.num_classes = t.classes;
    config.head = t.head;
    return Wrn2dParamCount(config, include_unused);
  }
  NB_CHECK(false, "WrnParamCount: unknown task '", task, "'");
  return 0;
}

}  // namespace nb360::baselines
