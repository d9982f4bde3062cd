#!/usr/bin/env bash
# Makes an OpenCL platform available for the snn OpenCL backend's tests:
# installs PoCL (a CPU OpenCL implementation) and the ICD loader on
# Debian/Ubuntu when no OpenCL driver is registered yet. Idempotent: exits 0
# without installing anything when an ICD loader (libOpenCL.so.1) and at
# least one vendor file (/etc/OpenCL/vendors/*.icd, or $OCL_ICD_VENDORS) are
# present.
#
# Usage: scripts/install-pocl.sh        (as root, or with sudo available)
set -euo pipefail

have_loader() {
    if command -v ldconfig >/dev/null 2>&1 \
        && ldconfig -p 2>/dev/null | grep -q 'libOpenCL\.so\.1 '; then
        return 0
    fi
    local d
    for d in /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib64 /usr/lib \
        /usr/local/lib; do
        [ -e "$d/libOpenCL.so.1" ] && return 0
    done
    return 1
}

have_vendor() {
    local dir="${OCL_ICD_VENDORS:-/etc/OpenCL/vendors}"
    if [ -f "$dir" ]; then
        return 0
    fi
    compgen -G "$dir/*.icd" >/dev/null
}

if have_loader && have_vendor; then
    echo "install-pocl: an OpenCL ICD loader and vendor driver are already installed"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-pocl: no OpenCL platform found and apt-get is not available;" \
        "install an OpenCL driver (e.g. PoCL) and the ICD loader by hand" >&2
    exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "install-pocl: not root and sudo is not available; run as root" >&2
        exit 1
    fi
fi

echo "install-pocl: installing pocl-opencl-icd and ocl-icd-libopencl1"
${SUDO[@]+"${SUDO[@]}"} apt-get update -qq
${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq pocl-opencl-icd ocl-icd-libopencl1

if have_loader && have_vendor; then
    echo "install-pocl: done"
else
    echo "install-pocl: installed, but libOpenCL.so.1 or an ICD vendor file is still missing" >&2
    exit 1
fi
