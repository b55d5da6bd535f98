// tasks/deepsea/prepare_main.cc: bazel run //tasks/deepsea:prepare -- --raw=DIR [--out=DIR]
#include "tasks/common/prepare_main.h"
#include "tasks/deepsea/deepsea.h"

int main(int argc, char** argv) { return nb360::tasks::PrepareMain(*nb360::tasks::NewDeepSeaTask(), argc, argv); }
