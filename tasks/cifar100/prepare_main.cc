// tasks/cifar100/prepare_main.cc: bazel run //tasks/cifar100:prepare -- --raw=DIR [--out=DIR]
#include "tasks/common/prepare_main.h"
#include "tasks/cifar100/cifar100.h"

int main(int argc, char** argv) { return nb360::tasks::PrepareMain(*nb360::tasks::NewCifar100Task(), argc, argv); }
