// tasks/ninapro/prepare_main.cc: bazel run //tasks/ninapro:prepare -- --raw=DIR [--out=DIR]
#include "tasks/common/prepare_main.h"
#include "tasks/ninapro/ninapro.h"

int main(int argc, char** argv) { return nb360::tasks::PrepareMain(*nb360::tasks::NewNinaProTask(), argc, argv); }
