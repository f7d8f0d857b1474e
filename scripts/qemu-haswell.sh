#!/usr/bin/env bash
# Seta on a CPU without AVX-512: runs the release binary and a part of the test suite under
# `qemu-x86_64 -cpu Haswell` (Debian's qemu-user), which raises SIGILL on any instruction the emulated CPU lacks
# (AVX-512 among them). Seta's Swift code is built for x86-64-v3 (AVX2 + FMA: `-target-cpu haswell` in
# Package.swift) and has no AVX-512 code path, so it must run there, and give the logits that the native machine
# gives with OpenBLAS on its Haswell kernels (OPENBLAS_CORETYPE=Haswell), bit for bit. As a control, the same
# binary under `-cpu Nehalem` (no AVX) must fail with SIGILL: the emulation really enforces the CPU model.
#
#   scripts/qemu-haswell.sh            logits check + control (seconds); CPUCompatibilityTests does the same in `make test`
# (The whole test bundle under qemu is too slow to be useful on 2 cores: the tensor-core, parity and tiny-training
# suites had not finished after 15 minutes.)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v qemu-x86_64 >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user >/dev/null
    else echo "needs qemu-user: sudo apt-get install -y qemu-user" >&2; exit 1; fi
fi
swift build -c release --product seta >/dev/null
tiny=Tests/SetaModelsTests/Fixtures/tiny-llama
quiet() { grep -v "TCG doesn't support requested feature" || true; }
native=$(OPENBLAS_CORETYPE=Haswell .build/release/seta logits --model $tiny --ids 5,6,7 --json)
emulated=$(qemu-x86_64 -cpu Haswell .build/release/seta logits --model $tiny --ids 5,6,7 --json 2> >(quiet >&2))
if [ "$native" != "$emulated" ]; then echo "FAIL: logits under qemu -cpu Haswell differ from native (OpenBLAS Haswell kernels)" >&2; exit 1; fi
echo "PASS: seta logits under qemu-x86_64 -cpu Haswell are bit-identical to native with OpenBLAS Haswell kernels"
if qemu-x86_64 -cpu Nehalem .build/release/seta logits --model $tiny --ids 5,6,7 --json >/dev/null 2>&1; then
    echo "FAIL: the control run under -cpu Nehalem (no AVX) did not trap: the emulation does not enforce the CPU" >&2; exit 1
fi
echo "PASS: control: the same binary under -cpu Nehalem (no AVX2) stops with an illegal instruction"
