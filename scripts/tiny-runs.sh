#!/usr/bin/env bash
# Behaviour unchanged? Tiny runs of every method on the test fixture (tiny-llama, 3 fixture tasks), fingerprinted:
# one sha256 per results.json and per checkpoint file (resume.json without its wall-clock timings). Also two runs with every option off its default (seta, and
# replay with its ratio), each run again from its own RUN/config.yaml into a new folder: results.json must be
# byte-identical (the last lines say whether it is).
#
#   scripts/tiny-runs.sh                  fingerprints of this work tree's build, on stdout
#   scripts/tiny-runs.sh --against REV    the same for REV (built in a temporary git worktree) and a diff; exit 1
#                                         when any file differs — what a refactoring step must show
# Floats depend on the CPU's kernels: compare fingerprints made on one machine only. A debug build (kernels are
# optimised in debug too); a few seconds of runs after the build.
set -euo pipefail
shopt -s inherit_errexit       # set -e inside $(…) too: a failed build or run stops the script
repo=$(cd "$(dirname "$0")/.." && pwd)
fixture="$repo/Tests/SetaModelsTests/Fixtures"
data="$repo/Tests/SetaDataTests/Fixtures/tasks"

fingerprint() {   # $1: a checkout; prints "sha256  method/file" lines
    local tree=$1 work
    work=$(mktemp -d)
    (cd "$tree" && swift build --product seta >&2) || { echo "error: the build in $tree failed" >&2; exit 1; }
    local seta="$tree/.build/debug/seta"
    run() {   # $1: a name for the log; the rest: seta's arguments
        local name=$1; shift
        "$seta" "$@" >/dev/null 2>"$work/$name.log" || { cat "$work/$name.log" >&2; echo "error: seta $* failed" >&2; exit 1; }
    }
    local common=(--model "$fixture/tiny-llama" --data "$data" --tasks tiny_jsonl_cls,tiny_topic,tiny_copa
                  --train-per-task 8 --test-per-task 4 --epochs 1 --batch-size 4)
    for method in seta seq-lora ewc inc-lora olora replay independent per-task mtl; do
        run "$method" train "${common[@]}" --method "$method" --out "$work/$method"
    done
    run seta-dynamic train "${common[@]}" --method seta --split-rule dynamic --out "$work/seta-dynamic"
    # Every option off its default, then the same run from its config.yaml.
    local options=(--epochs 2 --batch-size 3 --rows-per-forward 1 --eval-batch-size 3 --eval-tasks seen --lr 0.003
                   --max-prompt-tokens 48 --targets q,k,v --seed 5)
    run seta-options train "${common[@]}" "${options[@]}" --method seta --lambda 3 --split-rule dynamic \
        --fisher-examples 5 --probe-batches 2 --unique-rank 3 --unique-init nearest --out "$work/seta-options"
    run replay-options train "${common[@]}" "${options[@]}" --method replay --replay-ratio 0.75 --replay-budget 6 \
        --lora-rank 4 --lora-alpha 12 --out "$work/replay-options"
    for run in seta-options replay-options; do
        run "$run-again" train --config "$work/$run/config.yaml" --out "$work/$run-again"
        if cmp -s "$work/$run/results.json" "$work/$run-again/results.json"; then same=same; else same=DIFFERENT; fi
        echo "config.yaml round trip of $run: results.json $same" > "$work/$run.roundtrip"
        rm -rf "$work/$run-again"
    done
    # resume.json's wall-clock timings are the one non-deterministic record: hashed without them.
    (cd "$work" && python3 - <<'PY' && cat ./*.roundtrip)
import hashlib, json, pathlib
for f in sorted(p for p in pathlib.Path(".").rglob("*") if p.is_file() and (p.name == "results.json" or "checkpoints" in p.parts)):
    data = f.read_bytes()
    if f.name == "resume.json":
        record = json.loads(data); record.pop("timings", None); data = json.dumps(record, sort_keys=True).encode()
    print(hashlib.sha256(data).hexdigest(), f"./{f}")
PY
    rm -rf "$work"
}

if [[ "${1:-}" == "--against" ]]; then
    rev=${2:?usage: scripts/tiny-runs.sh --against REV}
    base=$(mktemp -d)
    git -C "$repo" worktree add -q --detach "$base/tree" "$rev"
    trap 'git -C "$repo" worktree remove --force "$base/tree"; rm -rf "$base"' EXIT
    fingerprint "$base/tree" > "$base/before.txt"
    fingerprint "$repo" > "$base/after.txt"
    echo "$rev:"; grep 'round trip' "$base/before.txt" | sed 's/^/  /'
    echo "this tree:"; grep 'round trip' "$base/after.txt" | sed 's/^/  /'
    # The files' fingerprints decide; the round trips (a property of each side) are reported above.
    if diff <(grep -v 'round trip' "$base/before.txt") <(grep -v 'round trip' "$base/after.txt"); then
        echo "byte-identical: $(grep -vc 'round trip' "$base/after.txt") files of $(grep -v 'round trip' "$base/after.txt" | grep -c results.json) runs, $rev vs this tree"
    else
        echo "error: the runs differ between $rev and this tree (above)" >&2; exit 1
    fi
else
    out=$(fingerprint "$repo")
    echo "$out"
    if grep -q DIFFERENT <<<"$out"; then echo "error: a config.yaml round trip differs" >&2; exit 1; fi
fi
