"""nb360_fuzz_test: one fuzz target, built two ways.

Default build (gcc): a cc_test tagged "fuzz" linked with //tests/fuzz:fuzz_driver, which replays the
corpus and then runs a short seeded mutation loop (about 3 s; see tests/fuzz/README.md), so every
`bazel test //...` exercises it. With --config=fuzz (clang, --define=fuzz=1) the same sources link
against libFuzzer instead (-fsanitize=fuzzer,address) and the binary is a real libFuzzer fuzzer;
`bazel test --config=fuzz` then just replays the corpus files.

Usage (in a BUILD file):
    load("//tests/fuzz:fuzz.bzl", "nb360_fuzz_test")
    nb360_fuzz_test(
        name = "wav_fuzz",
        srcs = ["wav_fuzz.cc"],   # defines extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t)
        deps = ["//tasks/common:wav"],
        corpus = glob(["corpus/wav_fuzz/*"]),   # seed files (optional)
    )
"""

def nb360_fuzz_test(name, srcs, deps = [], corpus = [], size = "small", tags = [], args = [], **kwargs):
    native.cc_test(
        name = name,
        srcs = srcs,
        size = size,
        deps = deps + select({
            "//tests/fuzz:fuzzing": [],
            "//conditions:default": ["//tests/fuzz:fuzz_driver"],
        }),
        linkopts = select({
            "//tests/fuzz:fuzzing": ["-fsanitize=fuzzer,address"],
            "//conditions:default": [],
        }),
        data = corpus,
        # Each seed file is passed by path: our driver replays and mutates them; libFuzzer runs them once.
        args = args + ["$(rootpath %s)" % c for c in corpus],
        tags = tags + ["fuzz"],
        **kwargs
    )
