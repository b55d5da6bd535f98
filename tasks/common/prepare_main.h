// tasks/common/prepare_main.h: the `bazel run //tasks/<task>:prepare -- --raw=DIR --out=DIR` program.
//
// Every task's prepare binary is `int main(argc, argv) { return PrepareMain(MyTask(), argc, argv); }`:
// flags --raw (the downloaded, extracted files), --out (the canonical dataset directory; default
// $NB360_DATA/<task>), --allow_count_mismatch, --threads. It prints what it checked and where the
// dataset went, or one clear error line (exit status 1). The output is all-or-nothing.
#ifndef NB360_TASKS_COMMON_PREPARE_MAIN_H_
#define NB360_TASKS_COMMON_PREPARE_MAIN_H_

#include "tasks/common/task.h"

namespace nb360::tasks {

int PrepareMain(const Task& task, int argc, char** argv);

}  // namespace nb360::tasks

#endif  // NB360_TASKS_COMMON_PREPARE_MAIN_H_
