// tasks/darcy_flow/prepare_main.cc: `bazel run //tasks/darcy_flow:prepare -- --raw=DIR --out=DIR`.
#include "tasks/common/prepare_main.h"
#include "tasks/darcy_flow/darcy_flow.h"

int main(int argc, char** argv) {
  return nb360::tasks::PrepareMain(*nb360::tasks::NewDarcyFlowTask(), argc, argv);
}
