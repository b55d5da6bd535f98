// tasks/spherical/prepare_main.cc: bazel run //tasks/spherical:prepare -- --raw=DIR [--out=DIR]
#include "tasks/common/prepare_main.h"
#include "tasks/spherical/spherical.h"

int main(int argc, char** argv) { return nb360::tasks::PrepareMain(*nb360::tasks::NewSphericalTask(), argc, argv); }
