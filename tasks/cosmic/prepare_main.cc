// tasks/cosmic/prepare_main.cc: bazel run //tasks/cosmic:prepare -- --raw=DIR [--out=DIR]
#include "tasks/common/prepare_main.h"
#include "tasks/cosmic/cosmic.h"

int main(int argc, char** argv) { return nb360::tasks::PrepareMain(*nb360::tasks::NewCosmicTask(), argc, argv); }
