// tasks/darcy_flow/field.h: a row-major 2-D grid of doubles, the working type of the Darcy generator.
//
// Field(i, j) is row i, column j. In the MATLAB scripts this mirrors, a K×K array built with
// meshgrid holds the point (x = x_j, y = y_i) at (i, j): rows go along y, columns along x.
// Leaves out: views, strides, other dtypes (tensors are made only at the output boundary).
#ifndef NB360_TASKS_DARCY_FLOW_FIELD_H_
#define NB360_TASKS_DARCY_FLOW_FIELD_H_

#include <cstdint>
#include <vector>

namespace nb360::tasks::darcy {

struct Field {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<double> v;  // (rows, cols) row-major

  Field() = default;
  Field(int64_t r, int64_t c, double fill = 0.0) : rows(r), cols(c), v(r * c, fill) {}

  double& operator()(int64_t i, int64_t j) { return v[i * cols + j]; }
  double operator()(int64_t i, int64_t j) const { return v[i * cols + j]; }
  double* data() { return v.data(); }
  const double* data() const { return v.data(); }
};

// The transpose (cols, rows) of f.
inline Field Transposed(const Field& f) {
  Field t(f.cols, f.rows);
  for (int64_t i = 0; i < f.rows; ++i)
    for (int64_t j = 0; j < f.cols; ++j) t(j, i) = f(i, j);
  return t;
}

}  // namespace nb360::tasks::darcy

#endif  // NB360_TASKS_DARCY_FLOW_FIELD_H_
