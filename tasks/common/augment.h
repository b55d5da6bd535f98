// tasks/common/augment.h: the image augmentations of the original pipelines, on one CHW sample.
//
// Each function works in place on a float32 (C, H, W) buffer and draws from the sample's own
// Generator, so augmentation is reproducible per (seed, epoch, position). Semantics follow
// torchvision as the original uses it: RandomCrop(size, padding) pads with zeros and picks offsets
// uniformly in [0, 2·pad]; RandomHorizontalFlip(p); Cutout(length) zeroes a square centred uniformly in
// the image and clipped at the borders (spec §1.2).
#ifndef NB360_TASKS_COMMON_AUGMENT_H_
#define NB360_TASKS_COMMON_AUGMENT_H_

#include <cstdint>

#include "engine/rng.h"

namespace nb360::tasks {

// x: (C, H, W). Zero-pad by `pad` on every side, then crop H x W at a random offset.
void RandomCropWithPadding(float* x, int64_t c, int64_t h, int64_t w, int64_t pad, Generator* rng);
// x: (C, H, W). Mirrors columns with probability p.
void RandomHorizontalFlip(float* x, int64_t c, int64_t h, int64_t w, double p, Generator* rng);
// x: (C, H, W). Zeroes rows [y-len/2, y+len/2) x cols [x-len/2, x+len/2) clipped, centre uniform.
void Cutout(float* x, int64_t c, int64_t h, int64_t w, int64_t length, Generator* rng);
// x: (C, H*W). (x - mean[c]) / std[c] per channel.
void NormalizeChannels(float* x, int64_t c, int64_t hw, const float* mean, const float* std);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_COMMON_AUGMENT_H_
