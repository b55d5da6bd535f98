// baselines/wrn/wrn.h: the Wide ResNet baselines chosen by task (spec baselines.md §1, §2).
//
// MakeWrn picks the model from a task's TaskInfo: one_d -> ResNet1D(C, K); dense -> the stride-1
// WideResNet2d with a per-pixel head (N, K, H, W); name "fsd50k" -> the audio WideResNet2d
// (adaptive pooling); otherwise the point WideResNet2d (Backbone_Pt pooling). Depth, widen and
// dropout apply to the 2-D models only (ResNet1D has no dropout: the original ignores droprate).
// WrnParamCount gives the spec's parameter totals, computed from the structure (not by building).
// Left out: the training loop and hyperparameters (§3), which live with the runner.
#ifndef NB360_BASELINES_WRN_WRN_H_
#define NB360_BASELINES_WRN_WRN_H_

#include <cstdint>
#include <memory>
#include <string>

#include "baselines/wrn/resnet1d.h"
#include "baselines/wrn/wrn2d.h"
#include "engine/nn/module.h"
#include "engine/rng.h"
#include "tasks/common/task.h"

namespace nb360::baselines {

struct WrnOptions {
  int depth = 16;
  int widen = 4;
  double dropout = 0.0;
};

// The Wrn2dConfig MakeWrn uses for a 2-D task (NB_CHECK: not a 1-D task).
Wrn2dConfig Wrn2dConfigFor(const tasks::TaskInfo& info, const WrnOptions& options);

std::shared_ptr<nn::Module> MakeWrn(const tasks::TaskInfo& info, const WrnOptions& options, Generator& gen);

// Parameter elements of a WideResNet2d built with `config`, from the structure: blocks, stem,
// final BN, head; dense adds the unused in_layer BN (2 in_c) and out_conv (9 * 64k * K + K) when
// include_unused.
int64_t Wrn2dParamCount(const Wrn2dConfig& config, bool include_unused = true);
// ResNet1D(in_channels, num_classes, mid 64): 503,168 + 576 in_c + 129 K.
int64_t ResNet1DParamCount(int64_t in_channels, int64_t num_classes);

// The spec's §1.5 / §2 totals for the default WRN-16-4 (2-D) or ResNet1D of a task by registry name
// ("cifar100", ..., "deepsea"); include_unused only matters for the dense tasks. NB_CHECK on an
// unknown name.
int64_t WrnParamCount(const std::string& task, bool include_unused = true);

}  // namespace nb360::baselines

#endif  // NB360_BASELINES_WRN_WRN_H_
