// engine/nn/nn.h: every layer of engine/nn (target //engine/nn:nn).
#ifndef NB360_ENGINE_NN_NN_H_
#define NB360_ENGINE_NN_NN_H_

#include "engine/nn/activation.h"         // IWYU pragma: export
#include "engine/nn/batchnorm.h"          // IWYU pragma: export
#include "engine/nn/conv1d.h"             // IWYU pragma: export
#include "engine/nn/conv2d.h"             // IWYU pragma: export
#include "engine/nn/conv_transpose2d.h"   // IWYU pragma: export
#include "engine/nn/dropout.h"            // IWYU pragma: export
#include "engine/nn/init.h"               // IWYU pragma: export
#include "engine/nn/layernorm.h"          // IWYU pragma: export
#include "engine/nn/linear.h"             // IWYU pragma: export
#include "engine/nn/module.h"             // IWYU pragma: export
#include "engine/nn/multihead_attention.h"  // IWYU pragma: export
#include "engine/nn/sequential.h"         // IWYU pragma: export

#endif  // NB360_ENGINE_NN_NN_H_
