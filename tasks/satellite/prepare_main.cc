// tasks/satellite/prepare_main.cc: bazel run //tasks/satellite:prepare -- --raw=DIR [--out=DIR]
#include "tasks/common/prepare_main.h"
#include "tasks/satellite/satellite.h"

int main(int argc, char** argv) { return nb360::tasks::PrepareMain(*nb360::tasks::NewSatelliteTask(), argc, argv); }
