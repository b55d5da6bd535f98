// ops/cpu/reduce.cc: reductions use the engine's strided reduction kernel (parallel over outputs).
#include "ops/reduce.h"

namespace nb360 {
namespace cpu {

const ReduceKernels kReduce = {ReduceKernel};

}  // namespace cpu
}  // namespace nb360
