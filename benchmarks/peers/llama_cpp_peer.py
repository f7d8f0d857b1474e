#!/usr/bin/env python3
"""llama.cpp (through llama-cpp-python) on the same GGUF: the memory-bound reference for inference. Measures the
inference workloads of `seta bench` — prefill of 1×128 random tokens, and greedy generation of 64 tokens after a
16-token prompt — and prints one JSON line with prefill_tokens_per_s, generate_tokens_per_s and peak_rss_mb.

    venv/bin/pip install llama-cpp-python==0.3.36     # builds llama.cpp from source (several minutes)
    venv/bin/python benchmarks/peers/llama_cpp_peer.py [--steps 5] [--threads 2] [--gguf PATH]

llama.cpp computes on the Q4_1 weights as stored (its own quantised kernels); Seta dequantises them at load and
computes in float32 (or bfloat16 with --weights bf16), so this compares engines, not identical arithmetic.
Training is not measured: llama.cpp has no LoRA training.
"""
import argparse
import json
import os
import random
import resource

from timing import median_seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--gguf", default=os.path.expanduser("~/.cache/seta/models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    args = ap.parse_args()

    import llama_cpp
    llm = llama_cpp.Llama(model_path=args.gguf, n_ctx=512, n_batch=512, n_threads=args.threads,
                          n_threads_batch=args.threads, verbose=False)
    vocab = llm.n_vocab()
    rng = random.Random(0)
    result = {"engine": f"llama-cpp-python {llama_cpp.__version__}", "threads": args.threads, "steps": args.steps}

    prompt128 = [rng.randrange(3, vocab) for _ in range(128)]

    def prefill():
        llm.reset()
        llm.eval(prompt128)

    result["prefill_tokens_per_s"] = 128 / median_seconds(prefill, args.steps)

    prompt16 = [rng.randrange(3, vocab) for _ in range(16)]
    new = 64

    def generate():
        llm.reset()
        count = 0
        for _ in llm.generate(prompt16, top_k=1, top_p=1.0, temp=0.0, repeat_penalty=1.0, reset=True):
            count += 1
            if count == new:
                break
        assert count == new

    def prompt_only():
        llm.reset()
        llm.eval(prompt16)

    total = median_seconds(generate, args.steps)
    first = median_seconds(prompt_only, args.steps)
    result["generate_tokens_per_s"] = (new - 1) / max(total - first, 1e-9)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
