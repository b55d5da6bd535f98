// engine/optim/optim.h: every optimizer, ClipGradNorm and the LR schedules (target //engine/optim).
#ifndef NB360_ENGINE_OPTIM_OPTIM_H_
#define NB360_ENGINE_OPTIM_OPTIM_H_

#include "engine/optim/adam.h"       // IWYU pragma: export
#include "engine/optim/optimizer.h"  // IWYU pragma: export
#include "engine/optim/schedule.h"   // IWYU pragma: export
#include "engine/optim/sgd.h"        // IWYU pragma: export

#endif  // NB360_ENGINE_OPTIM_OPTIM_H_
