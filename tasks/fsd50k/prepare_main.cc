// tasks/fsd50k/prepare_main.cc: `bazel run //tasks/fsd50k:prepare -- --raw=DIR` (DIR = the extracted
// audio.zip `data/` folder with chunks/ and noise_22050/).
#include "tasks/common/prepare_main.h"
#include "tasks/fsd50k/fsd50k.h"

int main(int argc, char** argv) {
  return nb360::tasks::PrepareMain(*nb360::tasks::NewFsd50kTask(), argc, argv);
}
