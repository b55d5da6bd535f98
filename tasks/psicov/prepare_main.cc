// tasks/psicov/prepare_main.cc: bazel run //tasks/psicov:prepare -- --raw=DIR [--out=DIR]
#include "tasks/common/prepare_main.h"
#include "tasks/psicov/psicov.h"

int main(int argc, char** argv) { return nb360::tasks::PrepareMain(*nb360::tasks::NewPsicovTask(), argc, argv); }
