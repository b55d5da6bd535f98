#!/usr/bin/env bash
# Installs exactly the Debian packages nb360's build and tests need. Idempotent: packages already
# present are reported and skipped; safe to run twice. Needs root (or sudo) and Debian's apt mirror.
set -euo pipefail

# The one pinned list (Debian 12 "bookworm" package names; versions are bookworm's).
PACKAGES=(
  bazel-bootstrap        # Bazel 4.2.3
  bazel-rules-java       # rules_java for the offline stub set
  g++                    # GCC 12
  libgtest-dev libgmock-dev
  libbenchmark-dev
  libabsl-dev
  libprotobuf-dev protobuf-compiler
  libdnnl-dev            # oneDNN 2.6: conv, on OpenMP
  libopenblas-dev        # GEMM
  libfftw3-dev           # rfft2 / spectral conv
  libxgboost-dev
  libhdf5-dev
  zlib1g-dev
  graphviz               # dot: genotype pictures (SVG/PNG) of nas/darts:render_genotype and GAEA runs
)
# Only for regenerating golden files and the side-by-side PyTorch benchmarks (never needed by CI):
OPTIONAL_PACKAGES=(python3-torch python3-numpy)

want=("${PACKAGES[@]}")
if [[ "${1:-}" == "--with-python" ]]; then want+=("${OPTIONAL_PACKAGES[@]}"); fi

missing=()
for p in "${want[@]}"; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    echo "setup: $p already installed"
  else
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: nothing to do (${#want[@]} packages present)"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: installed ${#missing[@]} package(s)"
