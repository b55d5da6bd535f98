// tasks/ecg/prepare_main.cc: `bazel run //tasks/ecg:prepare -- --raw=DIR` (challenge2017.pkl in DIR).
#include "tasks/common/prepare_main.h"
#include "tasks/ecg/ecg.h"

int main(int argc, char** argv) { return nb360::tasks::PrepareMain(*nb360::tasks::NewEcgTask(), argc, argv); }
