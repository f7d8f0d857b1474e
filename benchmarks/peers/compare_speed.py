#!/usr/bin/env python3
"""Seta against PyTorch + PEFT, side by side: alternating rounds of `seta bench --json` and torch_peft.py on the
same machine, then the ratio Seta / peer per workload as min – median – max over the rounds.

    venv/bin/python benchmarks/peers/compare_speed.py [--rounds 3] [--steps 5] [--seta .build/release/seta]
                      [--weights f32,bf16] [--peer-bf16] [--llama-cpp] [--train-only] [--out BENCH.json]

Each round runs `seta bench --json --weights W` for every W of --weights (default f32 and bf16), then the peer in
float32 (and, with --peer-bf16, under torch.autocast(bfloat16)); ratios are given for each seta precision against the
float32 peer, and bf16 against the autocast peer; --llama-cpp adds llama.cpp on the same GGUF (inference only).

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
    ap.add_argument("--weights", default="f32,bf16",
                    help="seta's base-weight precisions to run each round (seta bench --weights), comma-separated")
    ap.add_argument("--peer-bf16", action="store_true",
                    help="also run the peer under torch.autocast(bfloat16) each round (torch_peft.py --bf16-autocast)")
    ap.add_argument("--llama-cpp", action="store_true",
                    help="also run llama.cpp on the same GGUF each round (llama_cpp_peer.py: prefill, generation, RSS)")
    ap.add_argument("--train-only", action="store_true")
    ap.add_argument("--out", help="write every round's raw numbers and the ratios here (JSON)")
    args = ap.parse_args()
    extra = ["--train-only"] if args.train_only else []
    modes = [m for m in args.weights.split(",") if m]
    peers = ["f32"] + (["bf16"] if args.peer_bf16 else [])
    rounds = []
    for r in range(args.rounds):
        load = os.getloadavg()[0]
        entry = {"load_1min": load, "seta": {}, "peer": {}}
        for mode in modes:   # alternating: seta modes, then the peer(s), every round
            entry["seta"][mode] = run_json([args.seta, "bench", "--json", "--steps", str(args.steps), "--weights", mode] + extra)
        for mode in peers:
            entry["peer"][mode] = run_json([sys.executable, os.path.join(HERE, "torch_peft.py"), "--steps", str(args.steps)]
                                           + (["--bf16-autocast"] if mode == "bf16" else []) + extra)
        if args.llama_cpp and not args.train_only:
            entry["peer"]["llama.cpp"] = run_json([sys.executable, os.path.join(HERE, "llama_cpp_peer.py"), "--steps", str(args.steps)])
        rounds.append(entry)
        print(f"round {r + 1}/{args.rounds} (load {load:.2f}): "
              + "; ".join(f"seta {m}/peer f32 " + ", ".join(f"{k} {entry['seta'][m][k]:.0f}/{entry['peer']['f32'][k]:.0f}"
                                                      for k in KEYS if k in entry["seta"][m] and k in entry["peer"]["f32"])
                          for m in modes), flush=True)
    ratios = {}
    comparisons = [(m, "f32") for m in modes] + ([("bf16", "bf16")] if "bf16" in modes and "bf16" in peers else [])
    if args.llama_cpp and not args.train_only:
        comparisons += [(m, "llama.cpp") for m in modes]
    for seta_mode, peer_mode in comparisons:
        label = (f"seta {seta_mode} / llama.cpp (Q4_1)" if peer_mode == "llama.cpp"
                 else f"seta {seta_mode} / peer {peer_mode}" + (" autocast" if peer_mode == "bf16" else ""))
        print(f"\n{label}\n{'workload':<34} {'seta (median)':>14} {'peer (median)':>14}   ratio seta/peer min – median – max")
        for key in KEYS:
            pairs = [(e["seta"][seta_mode][key], e["peer"][peer_mode][key]) for e in rounds
                     if key in e["seta"][seta_mode] and key in e["peer"][peer_mode]]
            if not pairs:
                continue
            q = sorted(s_ / p_ for s_, p_ in pairs)
            ratios.setdefault(label, {})[key] = {"min": q[0], "median": statistics.median(q), "max": q[-1],
                                                 "seta": statistics.median(s_ for s_, _ in pairs),
                                                 "peer": statistics.median(p_ for _, p_ in pairs)}
            note = "  (lower is better)" if key == "peak_rss_mb" else ""
            print(f"{key:<34} {statistics.median(s_ for s_, _ in pairs):>14.1f} {statistics.median(p_ for _, p_ in pairs):>14.1f}"
                  f"   {q[0]:.2f} – {statistics.median(q):.2f} – {q[-1]:.2f}{note}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"rounds": rounds, "ratios": ratios}, f, indent=2)


if __name__ == "__main__":
    main()
