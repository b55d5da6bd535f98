// tasks/cifar100/synthetic_images.cc: class-patterned synthetic images.
#include "tasks/cifar100/synthetic_images.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace nb360::tasks {

std::pair<Tensor, Tensor> SyntheticImages(Generator prototypes, Generator samples, int64_t n, int64_t classes,
                                          int64_t size) {
  struct Proto {
    double base[3], fy, fx, phase;
  };
  std::vector<Proto> protos(classes);
  for (Proto& p : protos) {
    for (double& b : p.base) b = 40 + 175 * prototypes.NextDouble();
    p.fy = static_cast<double>(prototypes.RandInt(4));
    p.fx = static_cast<double>(1 + prototypes.RandInt(3));
    p.phase = 2 * M_PI * prototypes.NextDouble();
  }
  Tensor noise = Tensor::Empty({n, 3, size, size});
  samples.Normal(noise, 0.0, 20.0);
  const std::vector<int64_t> perm = samples.Permutation(n);
  Tensor x = Tensor::Empty({n, 3, size, size}, DType::kUInt8);
  Tensor y = Tensor::Empty({n}, DType::kInt64);
  const float* np = noise.data<float>();
  uint8_t* xp = x.data<uint8_t>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = perm[i] % classes;
    y.data<int64_t>()[i] = c;
    const Proto& p = protos[c];
    for (int64_t ch = 0; ch < 3; ++ch) {
      for (int64_t r = 0; r < size; ++r) {
        for (int64_t q = 0; q < size; ++q) {
          const int64_t k = ((i * 3 + ch) * size + r) * size + q;
          const double v = p.base[ch] + 50 * std::sin(2 * M_PI * (p.fy * r + p.fx * q) / size + p.phase) + np[k];
          xp[k] = static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
        }
      }
    }
  }
  return {x, y};
}

}  // namespace nb360::tasks
