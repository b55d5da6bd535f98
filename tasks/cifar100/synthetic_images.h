// tasks/cifar100/synthetic_images.h: class-patterned uint8 images for the synthetic CIFAR-100 and
// Spherical CIFAR-100 sets.
//
// Class c has a base colour, a stripe orientation/frequency and a phase (drawn from `prototypes`);
// each image is base + 50·sin(stripes) + Gaussian noise (σ 20), clamped to [0, 255]. Colours survive
// crops and flips, so a small model (or a nearest-centroid rule) beats chance clearly. Labels are
// balanced (i mod K) in a random order. Left out: any resemblance to natural images or spheres.
#ifndef NB360_TASKS_CIFAR100_SYNTHETIC_IMAGES_H_
#define NB360_TASKS_CIFAR100_SYNTHETIC_IMAGES_H_

#include <cstdint>
#include <utility>

#include "engine/rng.h"
#include "engine/tensor.h"

namespace nb360::tasks {

// Returns (x uint8 (n, 3, size, size), y int64 (n)) with labels in [0, classes).
std::pair<Tensor, Tensor> SyntheticImages(Generator prototypes, Generator samples, int64_t n, int64_t classes,
                                          int64_t size);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_CIFAR100_SYNTHETIC_IMAGES_H_
