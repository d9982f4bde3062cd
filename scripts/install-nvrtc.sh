#!/usr/bin/env bash
# Installs NVRTC (the CUDA runtime compiler) from the PyPI wheel
# `nvidia-cuda-nvrtc-cu12` into ${SNN_CACHE_DIR:-$HOME/.cache/snn}/nvrtc/lib,
# where snn-cuda-host looks for it (no LD_LIBRARY_PATH needed).
# Needs no GPU and no CUDA toolkit. Idempotent: when libnvrtc.so.12 is already
# there it only prints the directory. Prints the library directory on stdout.
#
# Env: SNN_CACHE_DIR (cache root), SNN_NVRTC_WHEEL_SPEC (pip requirement,
# default `nvidia-cuda-nvrtc-cu12`).
set -euo pipefail

if [[ -n "${SNN_CACHE_DIR:-}" ]]; then
    cache_root="$SNN_CACHE_DIR"
elif [[ -n "${HOME:-}" ]]; then
    cache_root="$HOME/.cache/snn"
else
    cache_root="${TMPDIR:-/tmp}/.cache/snn"
fi
lib_dir="$cache_root/nvrtc/lib"
spec="${SNN_NVRTC_WHEEL_SPEC:-nvidia-cuda-nvrtc-cu12}"

have_lib() {
    [[ -f "$lib_dir/libnvrtc.so.12" ]] && compgen -G "$lib_dir/libnvrtc-builtins.so.12*" >/dev/null
}

if have_lib; then
    echo "$lib_dir"
    exit 0
fi

if ! command -v python3 >/dev/null 2>&1; then
    echo "install-nvrtc: python3 (with pip) is needed to download $spec" >&2
    exit 1
fi

tmp="$(mktemp -d)"
stage=""
trap 'rm -rf "$tmp" ${stage:+"$stage"}' EXIT

echo "install-nvrtc: downloading $spec" >&2
python3 -m pip download --quiet --no-deps --disable-pip-version-check \
    --only-binary=:all: "$spec" -d "$tmp/wheel" >&2

wheel=""
for w in "$tmp"/wheel/*.whl; do
    [[ -f "$w" ]] && wheel="$w" && break
done
if [[ -z "$wheel" ]]; then
    echo "install-nvrtc: pip downloaded no wheel for $spec" >&2
    exit 1
fi

mkdir -p "$tmp/x"
if command -v unzip >/dev/null 2>&1; then
    unzip -q -o "$wheel" "nvidia/cuda_nvrtc/lib/*" -d "$tmp/x"
else
    python3 -m zipfile -e "$wheel" "$tmp/x"
fi

src="$tmp/x/nvidia/cuda_nvrtc/lib"
if [[ ! -f "$src/libnvrtc.so.12" ]]; then
    echo "install-nvrtc: $(basename "$wheel") has no nvidia/cuda_nvrtc/lib/libnvrtc.so.12" >&2
    exit 1
fi

# Copy into a staging folder beside the target, then rename: a concurrent or
# interrupted run never leaves a half-written library at the final path.
mkdir -p "$cache_root/nvrtc"
stage="$(mktemp -d "$cache_root/nvrtc/.lib.XXXXXX")"
# The wheel's `.alt` variants (an alternative build) are not used.
for f in "$src"/libnvrtc*; do
    case "$(basename "$f")" in
        *.alt.*) ;;
        *) cp "$f" "$stage"/ ;;
    esac
done
chmod 0755 "$stage" "$stage"/libnvrtc*
rm -rf "$lib_dir"
mv "$stage" "$lib_dir"

if ! have_lib; then
    echo "install-nvrtc: installation into $lib_dir failed" >&2
    exit 1
fi
echo "install-nvrtc: installed $(basename "$wheel") into $lib_dir" >&2
echo "$lib_dir"
