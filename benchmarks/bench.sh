#!/usr/bin/env bash
# The method comparison on real data (issue 5): every method of SETA.md on one benchmark, several seeds, the same
# sizes for all. Resumable: a finished run (its results.json under benchmarks/results/) is skipped; an interrupted
# one continues from its last completed task (train --resume). Each finished run's results.json, timings.json,
# run.json and config.yaml are copied to benchmarks/results/<name>/<method>/seed-<S>/ (commit them), and the table in
# BENCHMARKS.md is regenerated from everything there (seta report --update).
#
#   benchmarks/bench.sh cl      cl:order1, 250 train × 2 epochs, 200 test, seeds 0 1, every method
#   benchmarks/bench.sh long    long:order4, 100 train × 2 epochs, 50 test, seeds 0 1: seq-lora olora independent seta
#   benchmarks/bench.sh superni superni:order1 (15 tasks), 100 train × 2 epochs, 50 test, seed 0: seta independent olora
#                               seq-lora (also the 15-task parameter growth of SETA against independent experts)
# The long streams score only the seen tasks and the next after each task (--eval-tasks seen: every cell the metrics
# read, 60% of the evaluations for 15 tasks); cl scores the whole matrix.
#
# Environment: SETA (the binary, default .build/release/seta), SEEDS, METHODS, RUNS (working run folders,
# default runs/bench), SETA_DATA (data root), WEIGHTS (f32, the default, or bf16: runs go to <name>-bf16/ and report
# keeps them in rows of their own). Hours on 2 cores: one run of cl:order1 takes ~1–2 h in f32, about half in bf16.
set -euo pipefail
cd "$(dirname "$0")/.."
SETA=${SETA:-.build/release/seta}
RUNS=${RUNS:-runs/bench}
case "${1:-}" in
  cl)   name=cl1;   benchmark=cl:order1;   sizes=(--train-per-task 250 --test-per-task 200 --epochs 2)
        default_methods="seq-lora ewc replay inc-lora olora independent per-task mtl seta" ;;
  long) name=long4; benchmark=long:order4; sizes=(--train-per-task 100 --test-per-task 50 --epochs 2 --eval-tasks seen)
        default_methods="seq-lora olora independent seta" ;;
  superni) name=sni1; benchmark=superni:order1; sizes=(--train-per-task 100 --test-per-task 50 --epochs 2 --eval-tasks seen)
        default_methods="seta independent olora seq-lora"; default_seeds="0" ;;
  *) echo "usage: benchmarks/bench.sh cl|long|superni   (see the comment at the top of this file)" >&2; exit 2 ;;
esac
weights=${WEIGHTS:-f32}
case "$weights" in
  f32) ;;
  bf16) name="$name-bf16" ;;
  *) echo "bench: WEIGHTS must be f32 or bf16, not '$weights'" >&2; exit 2 ;;
esac
methods=(${METHODS:-$default_methods})
seeds=(${SEEDS:-${default_seeds:-0 1}})
[ -x "$SETA" ] || { echo "bench: $SETA is not built: run make build first" >&2; exit 1; }
total=$(( ${#methods[@]} * ${#seeds[@]} )); i=0
for method in "${methods[@]}"; do
  for seed in "${seeds[@]}"; do
    i=$((i + 1))
    kept="benchmarks/results/$name/$method/seed-$seed"
    if [ -f "$kept/results.json" ]; then echo "[$i/$total] $method seed $seed: done ($kept)"; continue; fi
    run="$RUNS/$name/$method/seed-$seed"
    echo "[$i/$total] $method seed $seed → $run"
    mkdir -p "$(dirname "$run")"
    "$SETA" train --method "$method" --benchmark "$benchmark" "${sizes[@]}" --seed "$seed" --weights "$weights" --out "$run" --resume
    mkdir -p "$kept"
    for f in results.json timings.json run.json config.yaml; do [ -f "$run/$f" ] && cp "$run/$f" "$kept/$f.tmp" && mv "$kept/$f.tmp" "$kept/$f"; done
  done
done
# Runs started side by side (one per core) can finish in the same minute: the lock makes their regenerations of
# BENCHMARKS.md and the plots take turns, so the later one reads every results.json the earlier one copied.
exec 9>"${TMPDIR:-/tmp}/seta-bench-report.lock"
flock 9
"$SETA" report "benchmarks/results" --update BENCHMARKS.md --plot-dir benchmarks/plots
