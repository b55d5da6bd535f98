"""nvcc inside Bazel 4.2.3: one nvcc action per .cu file, archived and imported as a cc_library.

Every @cuda label sits inside if_cuda(): Bazel 4.2.3 resolves the deps of incompatible targets too,
so an unconditional one would make the default (CPU-only) build touch /usr/local/cuda.
"""

NVCC = "/usr/local/cuda/bin/nvcc"

def _nvcc_archive_impl(ctx):
    cc = cc_common.merge_cc_infos(cc_infos = [d[CcInfo] for d in ctx.attr.deps]).compilation_context
    headers = depset(ctx.files.hdrs, transitive = [cc.headers])
    args = ["-ccbin", "/usr/bin/g++", "-std=c++17", "-O3", "-Xcompiler", "-fPIC", "-I.", "-I" + ctx.bin_dir.path]
    for a in ctx.attr.archs:
        args += ["-gencode", "arch=compute_%s,code=sm_%s" % (a, a)]
    if ctx.attr.ptx and ctx.attr.archs:
        args += ["-gencode", "arch=compute_%s,code=compute_%s" % (ctx.attr.archs[-1], ctx.attr.archs[-1])]
    for d in cc.includes.to_list() + cc.quote_includes.to_list():
        args += ["-I", d]
    for d in cc.system_includes.to_list():
        args += ["-isystem", d]
    args += ["-D" + d for d in cc.defines.to_list()] + ctx.attr.copts
    objs = []
    for src in ctx.files.srcs:
        obj = ctx.actions.declare_file("_nvcc/%s/%s.o" % (ctx.label.name, src.basename.rsplit(".", 1)[0]))
        ctx.actions.run(
            executable = NVCC,
            arguments = args + ["-c", src.path, "-o", obj.path],
            inputs = depset([src], transitive = [headers]),
            outputs = [obj],
            mnemonic = "NvccCompile",
            progress_message = "nvcc %s" % src.short_path,
            use_default_shell_env = True,
        )
        objs.append(obj)
    lib = ctx.actions.declare_file("lib%s.a" % ctx.label.name)
    ctx.actions.run(
        executable = "/usr/bin/ar",
        arguments = ["rcsD", lib.path] + [o.path for o in objs],
        inputs = objs,
        outputs = [lib],
        mnemonic = "NvccArchive",
    )
    return [DefaultInfo(files = depset([lib]))]

_nvcc_archive = rule(
    implementation = _nvcc_archive_impl,
    attrs = {
        "srcs": attr.label_list(allow_files = [".cu"]),
        "hdrs": attr.label_list(allow_files = True),
        "deps": attr.label_list(providers = [CcInfo]),
        "archs": attr.string_list(),
        "ptx": attr.bool(default = False),
        "copts": attr.string_list(),
    },
)

def if_cuda(if_true, if_false = []):
    return select({"//third_party/cuda:enabled": if_true, "//conditions:default": if_false})

def requires_cuda():
    return select({
        "//third_party/cuda:enabled": [],
        "//conditions:default": ["//third_party/cuda:incompatible"],
    })

def cuda_library(name, srcs, hdrs = [], deps = [], archs = ["90"], ptx = True, copts = [],
                 cuda_deps = ["@cuda//:cudart"], **kwargs):
    """A cc_library whose .cu sources are compiled by nvcc (sm_90 SASS + PTX by default)."""
    cu = [s for s in srcs if s.endswith(".cu")]
    cuda_deps = if_cuda(cuda_deps)
    _nvcc_archive(
        name = name + "_nvcc",
        srcs = cu,
        hdrs = hdrs,
        deps = deps + cuda_deps,
        archs = archs,
        ptx = ptx,
        copts = copts,
        target_compatible_with = kwargs.get("target_compatible_with", []),
    )
    # alwayslink: nvcc archives are linked whole. The archive comes first among the deps, so that on
    # a static link line (-c opt --dynamic_mode=off) it precedes the libraries whose symbols its
    # objects use (the engine, the optimizers): a linker resolves references only forwards.
    native.cc_import(name = name + "_cu", static_library = ":" + name + "_nvcc", alwayslink = True)
    native.cc_library(
        name = name,
        srcs = [s for s in srcs if not s.endswith(".cu")],
        hdrs = hdrs,
        deps = [":" + name + "_cu"] + deps + cuda_deps,
        **kwargs
    )

def requires_no_cuda():
    """target_compatible_with for targets that must not be built with --config=cuda (the host-memory
    stand-in device of tests/engine/host_device takes DeviceType::kCUDA)."""
    return select({
        "//third_party/cuda:enabled": ["//third_party/cuda:incompatible"],
        "//conditions:default": [],
    })
