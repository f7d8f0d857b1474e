#!/usr/bin/env bash
# Installs what Seta needs from Debian's packages when it is missing: OpenBLAS (with pkg-config, so SwiftPM
# finds it), python3 with pip (to download the default model's wheel), qemu-user (a test runs Seta on an
# emulated Haswell CPU; optional) and Open MPI (data-parallel `mpirun -np N seta train`; optional: Seta loads it
# at run time, so it builds and runs single-process without it). As root it installs; otherwise it says exactly what to install and stops (for a
# required package).
set -euo pipefail
missing=()
if ! (command -v pkg-config >/dev/null && pkg-config --exists openblas); then missing+=(libopenblas-dev pkg-config); fi
if ! command -v python3 >/dev/null; then missing+=(python3 python3-pip)
elif ! python3 -m pip --version >/dev/null 2>&1; then missing+=(python3-pip); fi
# Optional (installed when root; the tests that need them are skipped otherwise): qemu-user, for the test that
# runs `seta` under `qemu-x86_64 -cpu Haswell` (a CPU without AVX-512); Open MPI for the data-parallel tests.
optional=()
if ! command -v qemu-x86_64 >/dev/null; then optional+=(qemu-user); fi
# Open MPI, for the data-parallel tests (DataParallelTests: 2 ranks against one process).
if ! command -v mpirun >/dev/null || ! ls /usr/lib/*/libmpi.so.40 >/dev/null 2>&1; then optional+=(libopenmpi-dev openmpi-bin); fi
if [ "$(id -u)" -eq 0 ] && [ $(( ${#missing[@]} + ${#optional[@]} )) -gt 0 ]; then
    echo "Installing ${missing[*]} ${optional[*]} (apt-get)…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" "${optional[@]}" >/dev/null
    exit 0
fi
if [ ${#optional[@]} -gt 0 ]; then
    if [ -n "${SETA_REQUIRE_SUITES:-}" ] && [ "${SETA_REQUIRE_SUITES}" != 0 ]; then
        # CI (SETA_REQUIRE_SUITES=1): the suites that need these may not skip, so say so here, before the build.
        echo "SETA_REQUIRE_SUITES=1 needs ${optional[*]}, and this is not root: sudo apt-get install -y ${optional[*]}" >&2
        exit 1
    fi
    echo "Optional, for more tests: sudo apt-get install -y ${optional[*]}" >&2
fi
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
echo "Seta needs these Debian packages: ${missing[*]}" >&2
echo "Install them with:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
exit 1
