#!/usr/bin/env python3
"""Seta against PyTorch + PEFT, side by side: alternating rounds of `seta bench --json` and torch_peft.py on the
same machine, then the ratio Seta / peer per workload as min – median – max over the rounds.

    venv/bin/python benchmarks/peers/compare_speed.py [--rounds 3] [--steps 5] [--seta .build/release/seta]
                                                      [--train-only] [--out BENCH.json]

Alternating (seta, peer, seta, peer, ...) spreads slow drifts of a shared machine (other jobs, thermal) over both
sides. Run on an otherwise idle machine: the 1-minute load average before each round is recorded.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = ["train_tokens_per_s", "train_1x512_tokens_per_s", "train_completion_tokens_per_s",
        "prefill_tokens_per_s", "prefill_8x128_tokens_per_s", "generate_tokens_per_s", "peak_rss_mb"]


def run_json(command):
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--seta", default=".build/release/seta")
    ap.add_argument("--train-only", action="store_true")
    ap.add_argument("--out", help="write every round's raw numbers and the ratios here (JSON)")
    args = ap.parse_args()
    extra = ["--train-only"] if args.train_only else []
    rounds = []
    for r in range(args.rounds):
        load = os.getloadavg()[0]
        seta = run_json([args.seta, "bench", "--json", "--steps", str(args.steps)] + extra)
        peer = run_json([sys.executable, os.path.join(HERE, "torch_peft.py"), "--steps", str(args.steps)] + extra)
        rounds.append({"load_1min": load, "seta": seta, "peer": peer})
        print(f"round {r + 1}/{args.rounds} (load {load:.2f}): "
              + ", ".join(f"{k} {seta[k]:.0f}/{peer[k]:.0f}" for k in KEYS if k in seta and k in peer), flush=True)
    print(f"\n{'workload':<34} {'seta (median)':>14} {'peer (median)':>14}   ratio seta/peer min – median – max")
    ratios = {}
    for key in KEYS:
        pairs = [(r["seta"][key], r["peer"][key]) for r in rounds if key in r["seta"] and key in r["peer"]]
        if not pairs:
            continue
        q = sorted(s / p for s, p in pairs)
        ratios[key] = {"min": q[0], "median": statistics.median(q), "max": q[-1]}
        note = "  (lower is better)" if key == "peak_rss_mb" else ""
        print(f"{key:<34} {statistics.median(s for s, _ in pairs):>14.1f} {statistics.median(p for _, p in pairs):>14.1f}"
              f"   {q[0]:.2f} – {statistics.median(q):.2f} – {q[-1]:.2f}{note}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"rounds": rounds, "ratios": ratios}, f, indent=2)


if __name__ == "__main__":
    main()
