#!/usr/bin/env python3
"""Seta's SeqLoRA against its PyTorch + PEFT replay, over seeds: AA, BWT and the diagonal of each side.

    python3 benchmarks/peers/compare_aa.py SETA_RUN:PEER_EXPORT [SETA_RUN:PEER_EXPORT ...]

SETA_RUN is a `seta train --method seq-lora ... --export-peer PEER_EXPORT` run folder (its results.json), PEER_EXPORT
the folder `peft_seqlora.py PEER_EXPORT --evaluate` wrote peft_results.json into. Both sides trained on the same
batches from the same LoRA initialisation and were scored on the same test prompts, so seed by seed they are paired.

Agreement (issue 4): |mean AA(Seta) − mean AA(PEFT)| ≤ max(3, 2 SE), where SE is the standard error of that
difference of means over seeds, sqrt(sd_seta² / n + sd_peft² / n) (sample sd, n − 1), and, reported beside it, the
sampling SE of the test sets (binomial: AA is a mean over n_test × tasks exact-match scores).
"""
import json
import math
import os
import statistics
import sys


def main():
    pairs = [a.split(":", 1) for a in sys.argv[1:]]
    if not pairs or any(len(p) != 2 for p in pairs):
        sys.exit(__doc__)
    rows = []
    for run, export in pairs:
        with open(os.path.join(run, "results.json")) as f:
            seta = json.load(f)
        with open(os.path.join(export, "peft_results.json")) as f:
            peft = json.load(f)
        matrix = seta["matrix"]
        n = len(matrix)
        seta_diag = [matrix[j][j] for j in range(n)]
        if peft["tasks"] != seta["tasks"]:
            sys.exit(f"{export}: tasks {peft['tasks']} differ from {run}'s {seta['tasks']}")
        tests = [len(t["examples"]) for t in map(json.loads, open(os.path.join(export, "test.jsonl")))]
        rows.append({"seed": seta["seed"], "seta_aa": seta["metrics"]["aa"], "seta_bwt": seta["metrics"]["bwt"],
                     "seta_diag": seta_diag, "peft_aa": peft["aa"], "peft_bwt": peft["bwt"],
                     "peft_diag": peft["diagonal"], "test_examples": sum(tests)})
    print(f"{'seed':>4}  {'Seta AA':>8} {'PEFT AA':>8} {'Δ':>6}   {'Seta BWT':>8} {'PEFT BWT':>8}   diagonal Seta | PEFT")
    for r in rows:
        print(f"{r['seed']:>4}  {r['seta_aa']:8.2f} {r['peft_aa']:8.2f} {r['seta_aa'] - r['peft_aa']:6.2f}   "
              f"{r['seta_bwt']:8.2f} {r['peft_bwt']:8.2f}   {r['seta_diag']} | {r['peft_diag']}")
    k = len(rows)
    seta_mean = statistics.mean(r["seta_aa"] for r in rows)
    peft_mean = statistics.mean(r["peft_aa"] for r in rows)
    diff = seta_mean - peft_mean
    if k > 1:
        se = math.sqrt(statistics.variance([r["seta_aa"] for r in rows]) / k
                       + statistics.variance([r["peft_aa"] for r in rows]) / k)
    else:
        se = float("nan")
    p = peft_mean / 100
    sampling_se = 100 * math.sqrt(2 * p * (1 - p) / sum(r["test_examples"] for r in rows))
    bound = max(3.0, 2 * se) if k > 1 else 3.0
    print(f"\nmean AA over {k} seed(s): Seta {seta_mean:.2f}, PEFT {peft_mean:.2f}, difference {diff:+.2f}")
    print(f"SE of the difference over seeds {se:.2f} (test-set sampling SE {sampling_se:.2f}); bound max(3, 2 SE) = {bound:.2f}")
    ok = abs(diff) <= bound
    print(f"{'PASS' if ok else 'FAIL'}: |{diff:.2f}| {'≤' if ok else '>'} {bound:.2f}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
