#!/usr/bin/env python3
"""Check `seta export` against PyTorch + PEFT: the adapter Seta writes, loaded with PeftModel.from_pretrained,
must give the logits Seta's run gives for the task.

    python benchmarks/peers/check_peft_export.py --run RUN --task NAME [--seta .build/debug/seta] [--tolerance 1e-4]

1. `seta export --run RUN --task NAME --peft TMP` writes the task's effective LoRA (adapter_config.json +
   adapter_model.safetensors);
2. for a few seeded token-id sequences, `seta logits --run RUN --task NAME --ids ... --json` gives Seta's own
   last-position logits: the run's adapters routed to the task (SETA: the oracle route), not the export;
3. transformers loads the run's base model in float32 (a Hugging Face folder, a .gguf file, or `default` through
   `seta model path default`), PEFT loads TMP on it, and the same logits are computed.

Prints one JSON object: the largest |Seta − PEFT| over all sequences and the vocabulary, the largest change the
adapter makes (so a difference can be judged against it), r and lora_alpha; exits 1 when the difference is above
--tolerance. Float32 on both sides: expect ~1e-5 on the tiny test model, ~1e-3 on SmolLM2-135M (the parity
tolerance of the base model alone, TransformersParityTests).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import torch


def seta(binary, *args):
    result = subprocess.run([binary, *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"seta {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def base_model(spec, binary):
    from transformers import AutoModelForCausalLM
    path = seta(binary, "model", "path", spec).strip()
    if path.endswith(".gguf"):
        folder, name = os.path.split(path)
        return AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    return AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", required=True, help="a run folder written by seta train / seta demo")
    parser.add_argument("--task", required=True, help="the task to export (a name from the run's task list)")
    parser.add_argument("--seta", default=".build/debug/seta", help="the seta executable")
    parser.add_argument("--model", help="the base model, when run.json's does not resolve from here")
    parser.add_argument("--lengths", default="5,9,16,24", help="lengths of the seeded id sequences")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()
    from peft import PeftModel

    torch.set_num_threads(2)
    with open(os.path.join(args.run, "run.json")) as f:
        spec = args.model or json.load(f)["model"]
    model_args = ["--model", args.model] if args.model else []
    base = base_model(spec, args.seta).eval()
    vocab = base.config.vocab_size
    generator = torch.Generator().manual_seed(0)
    sequences = [torch.randint(3, vocab, (int(n),), generator=generator).tolist() for n in args.lengths.split(",")]
    with torch.no_grad():
        before = [base(torch.tensor([s])).logits[0, -1] for s in sequences]

    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "adapter")
        seta(args.seta, "export", "--run", args.run, "--task", args.task, "--peft", out, *model_args)
        with open(os.path.join(out, "adapter_config.json")) as f:
            config = json.load(f)
        model = PeftModel.from_pretrained(base, out).eval()
        worst, effect = 0.0, 0.0
        for s, b in zip(sequences, before):
            own = json.loads(seta(args.seta, "logits", "--run", args.run, "--task", args.task,
                                  "--ids", ",".join(map(str, s)), "--json", *model_args))["last"]
            with torch.no_grad():
                peft = model(torch.tensor([s])).logits[0, -1]
            worst = max(worst, float((torch.tensor(own) - peft).abs().max()))
            effect = max(effect, float((peft - b).abs().max()))
    report = {"run": args.run, "task": args.task, "model": spec, "r": config["r"], "lora_alpha": config["lora_alpha"],
              "sequences": len(sequences), "max_abs_logit_difference": worst, "max_adapter_effect": effect,
              "tolerance": args.tolerance, "pass": worst <= args.tolerance}
    print(json.dumps(report))
    sys.exit(0 if report["pass"] else 1)


if __name__ == "__main__":
    main()
