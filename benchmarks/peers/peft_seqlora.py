#!/usr/bin/env python3
"""Replay a Seta SeqLoRA run (exported with `seta train --method seq-lora --export-peer DIR`) in PyTorch + PEFT
and compare the step losses.

Reads DIR/config.json, DIR/lora_init.safetensors, DIR/batches.jsonl and DIR/seta_losses.json (or, for a run
that was stopped early, DIR/seta_losses.jsonl). Writes DIR/peft_losses.json and prints a table of the first
N step losses with relative differences and a PASS/FAIL line ("all within --tolerance relative").

The replay mirrors Seta exactly: the same LoRA initialisation (A, B = 0, scale alpha/r on q_proj/v_proj),
the same batches in the same order, right padding with the pad id, loss on completion tokens only, the mean
cross-entropy over all completion tokens of the batch (rows pooled, not a per-row mean), AdamW
(beta 0.9/0.999, eps 1e-8, Seta's weight decay), clipping of the global gradient norm, constant learning
rate, and a fresh optimiser at each task boundary (Seta builds one AdamW per task).
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F
from safetensors.torch import load_file


def load_seta_losses(folder):
    path = os.path.join(folder, "seta_losses.json")
    if os.path.exists(path):
        with open(path) as f:
            return [(int(t), int(s), float(l)) for t, s, l in json.load(f)]
    rows = []
    path = os.path.join(folder, "seta_losses.jsonl")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    t, s, l = json.loads(line)
                    rows.append((int(t), int(s), float(l)))
    return rows


def load_batches(folder, limit, follow=0.0):
    """The first `limit` batch records; with follow > 0, waits up to that many seconds for a run still writing."""
    batches = load_available_batches(folder, limit)
    deadline = time.time() + follow
    finished = os.path.join(folder, "seta_losses.json")  # written when the Seta run ends: no more batches will come
    while len(batches) < limit and time.time() < deadline and not os.path.exists(finished):
        time.sleep(5)
        batches = load_available_batches(folder, limit)
    return batches


def load_available_batches(folder, limit):
    batches = []
    with open(os.path.join(folder, "batches.jsonl")) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                batches.append(json.loads(line))
            except json.JSONDecodeError:
                break  # a killed run may leave a partial last line
            if len(batches) >= limit:
                break
    return batches


def make_batch(examples, pad_id):
    """Seta's Batch: input = (prompt + target)[:-1], right-padded with pad_id; targets = next token on the
    completion positions, -100 elsewhere (prompt and padding)."""
    length = max(len(e["prompt_ids"]) + len(e["target_ids"]) - 1 for e in examples)
    ids, targets = [], []
    for e in examples:
        full = e["prompt_ids"] + e["target_ids"]
        inp = full[:-1]
        tgt = [-100] * length
        for i in range(len(e["prompt_ids"]) - 1, len(inp)):
            tgt[i] = full[i + 1]
        ids.append(inp + [pad_id] * (length - len(inp)))
        targets.append(tgt)
    return torch.tensor(ids, dtype=torch.long), torch.tensor(targets, dtype=torch.long)


def grouped_loss_backward(model, examples, pad_id, rows_per_forward):
    """The batch's loss (mean cross-entropy over all its completion tokens, rows pooled) and its gradient, computed
    as Seta does: forward passes of `rows_per_forward` examples of similar length, the LM head only on the rows
    that carry loss, each pass's summed loss divided by the batch's completion-token count and backpropagated
    (gradients add up to those of one padded pass). rows_per_forward 0 = one padded pass over the whole batch."""
    inner = model.base_model.model  # LlamaForCausalLM with the LoRA layers injected
    total = sum(len(e["target_ids"]) for e in examples)
    ordered = sorted(examples, key=lambda e: len(e["prompt_ids"]) + len(e["target_ids"]))
    size = rows_per_forward if rows_per_forward > 0 else len(ordered)
    loss_value = 0.0
    for start in range(0, len(ordered), size):
        ids, targets = make_batch(ordered[start:start + size], pad_id)
        hidden = inner.model(input_ids=ids).last_hidden_state          # (B, T, D)
        keep = targets.reshape(-1) != -100
        logits = inner.lm_head(hidden.reshape(-1, hidden.size(-1))[keep])  # (completion tokens, V)
        part = F.cross_entropy(logits.float(), targets.reshape(-1)[keep], reduction="sum") / total
        part.backward()
        loss_value += part.item()
    return torch.tensor(loss_value)


def load_test_sets(folder):
    path = os.path.join(folder, "test.jsonl")
    if not os.path.exists(path):
        sys.exit(f"{path} missing: re-export with a Seta that writes test.jsonl (needed for --evaluate)")
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


_NEWLINE_IDS = None


def newline_ids(tokenizer):
    """Ids whose text contains a newline (Seta stops a row after such a token)."""
    global _NEWLINE_IDS
    if _NEWLINE_IDS is None:
        _NEWLINE_IDS = torch.tensor([i for i in range(len(tokenizer)) if "\n" in tokenizer.decode([i])], dtype=torch.long)
    return _NEWLINE_IDS


class StopAtNewline:
    """A row is finished once it has produced a newline token (only saves time: the text is cut there anyway)."""

    def __init__(self, prompt_length, ids):
        self.prompt_length, self.ids = prompt_length, ids

    def __call__(self, input_ids, scores, **kwargs):
        new = input_ids[:, self.prompt_length:]
        return torch.isin(new, self.ids).any(dim=1)


def greedy_batch(model, tokenizer, prompts, max_new_tokens, pad_id, eos_ids):
    """Seta's greedyBatch: left-padded prompts, greedy; a row stops at an end-of-sequence id (not kept) or after
    a token whose text contains a newline (kept)."""
    longest = max(len(p) for p in prompts)
    ids = torch.tensor([[pad_id] * (longest - len(p)) + p for p in prompts], dtype=torch.long)
    mask = torch.tensor([[0] * (longest - len(p)) + [1] * len(p) for p in prompts], dtype=torch.long)
    out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_new_tokens, do_sample=False,
                         eos_token_id=list(eos_ids), pad_token_id=pad_id,
                         stopping_criteria=[StopAtNewline(longest, newline_ids(tokenizer))])
    texts = []
    for row in out[:, longest:].tolist():
        kept = []
        for token in row:
            if token in eos_ids:
                break
            kept.append(token)
            if "\n" in tokenizer.decode([token]):
                break
        texts.append(tokenizer.decode(kept))
    return texts


def evaluate(model, tokenizer, test_set, pad_id, eos_ids, batch_size):
    """Exact match (stripped) for classification, as Seta scores; prompts sorted by length, as Seta batches."""
    if test_set["kind"] != "classification":
        sys.exit(f"task {test_set['name']}: only exact-match (classification) tasks are evaluated by this peer")
    examples = sorted(test_set["examples"], key=lambda e: len(e["prompt_ids"]))
    correct = 0
    model.eval()
    with torch.no_grad():
        for start in range(0, len(examples), batch_size):
            chunk = examples[start:start + batch_size]
            texts = greedy_batch(model, tokenizer, [e["prompt_ids"] for e in chunk], test_set["max_new_tokens"],
                                 pad_id, eos_ids)
            correct += sum(any(t.strip() == r.strip() for r in e["references"]) for t, e in zip(texts, chunk))
    model.train()
    return 100.0 * correct / max(len(examples), 1)


def load_model(gguf_path):
    from transformers import AutoModelForCausalLM

    folder, name = os.path.split(os.path.abspath(gguf_path))
    try:
        return AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    except TypeError:
        return AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, torch_dtype=torch.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", help="the --export-peer folder")
    parser.add_argument("--steps", type=int, default=20, help="steps to replay and compare (default 20)")
    parser.add_argument("--gguf", help="the GGUF file (default: model_path in config.json)")
    parser.add_argument("--tolerance", type=float, default=0.02, help="relative tolerance (default 0.02)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--all", action="store_true", help="replay every exported step (overrides --steps)")
    parser.add_argument("--evaluate", action="store_true",
                        help="after each task, score the tasks seen so far on test.jsonl (greedy, exact match) and "
                             "write DIR/peft_results.json with the matrix, AA and BWT (implies --all)")
    parser.add_argument("--eval-batch-size", type=int, default=8)
    parser.add_argument("--rows-per-forward", type=int, default=2,
                        help="examples per forward pass, grouped by length, as Seta (0 = one padded pass)")
    parser.add_argument("--follow", type=float, default=0.0,
                        help="seconds to wait for batches of a Seta run still writing the export (default 0)")
    args = parser.parse_args()

    if args.evaluate:
        args.all = True
    replay_limit = 10 ** 9 if args.all else args.steps
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)

    folder = args.folder
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    if config.get("method") != "seq-lora":
        sys.exit(f"expected a seq-lora export, found method {config.get('method')}")
    if config.get("schedule", "constant") != "constant" or config.get("warmup_steps", 0) != 0:
        sys.exit("only the constant learning rate without warm-up is replayed")
    gguf = args.gguf or config.get("model_path")
    if not gguf and config.get("model") == "default":  # exports written before config.json had model_path
        gguf = os.path.expanduser("~/.cache/seta/models/SmolLM2-135M-Instruct.Q4_1.gguf")
    if not gguf or not os.path.exists(gguf):
        sys.exit(f"GGUF file not found ({gguf}); pass --gguf")

    from peft import LoraConfig, get_peft_model

    base = load_model(gguf)
    lora_config = LoraConfig(r=int(config["rank"]), lora_alpha=float(config["alpha"]),
                             target_modules=list(config["targets"]), lora_dropout=0.0, bias="none")
    model = get_peft_model(base, lora_config)

    # Seta's initial A and B under PEFT's saved names (no adapter name): insert ".default".
    init_path = os.path.join(folder, "lora_init.safetensors")  # written when Seta attaches the adapters
    deadline = time.time() + args.follow
    while not os.path.exists(init_path) and time.time() < deadline:
        time.sleep(5)
    init = load_file(init_path)
    params = dict(model.named_parameters())
    trainable = {n for n, p in params.items() if p.requires_grad}
    loaded = set()
    with torch.no_grad():
        for key, tensor in init.items():
            name = key.replace(".lora_A.weight", ".lora_A.default.weight").replace(".lora_B.weight", ".lora_B.default.weight")
            if name not in params:
                sys.exit(f"no PEFT parameter {name} for {key}")
            if params[name].shape != tensor.shape:
                sys.exit(f"{name}: PEFT shape {tuple(params[name].shape)}, Seta {tuple(tensor.shape)}")
            params[name].copy_(tensor)
            loaded.add(name)
    if loaded != trainable:
        sys.exit(f"trainable parameters not loaded: {sorted(trainable - loaded)[:5]} / extra: {sorted(loaded - trainable)[:5]}")
    print(f"loaded {len(loaded)} LoRA tensors (rank {config['rank']}, alpha {config['alpha']}, targets {config['targets']})",
          flush=True)

    model.train()  # dropout is 0 everywhere; train() only matters for modules that branch on it
    trainable_params = [params[n] for n in sorted(trainable)]

    def new_optimizer():
        return torch.optim.AdamW(trainable_params, lr=float(config["learning_rate"]), betas=(0.9, 0.999), eps=1e-8,
                                 weight_decay=float(config["weight_decay"]), foreach=False)

    pad_id = int(config["pad_id"])
    eos_ids = set(config.get("eos_ids", [config["eos_id"]]))
    max_norm = float(config["max_grad_norm"])
    test_sets = load_test_sets(folder) if args.evaluate else []
    tokenizer = None
    if args.evaluate:
        from transformers import AutoTokenizer
        gguf_folder, gguf_name = os.path.split(os.path.abspath(gguf))
        tokenizer = AutoTokenizer.from_pretrained(gguf_folder, gguf_file=gguf_name)
    matrix = []

    def evaluate_seen(t):
        row = []
        for j in range(t + 1):
            start = time.time()
            row.append(evaluate(model, tokenizer, test_sets[j], pad_id, eos_ids, args.eval_batch_size))
            print(f"after task {t}: {test_sets[j]['name']} {row[-1]:.1f} ({time.time() - start:.0f} s)", flush=True)
        matrix.append(row)

    losses = []
    optimizer, task = None, None
    done = 0
    while done < replay_limit:
        batches = load_batches(folder, done + 1, follow=args.follow)
        if len(batches) <= done:
            break
        record = batches[done]
        done += 1
        if record["task"] != task:
            if args.evaluate and task is not None:
                evaluate_seen(task)
            task, optimizer = record["task"], new_optimizer()
        start = time.time()
        optimizer.zero_grad(set_to_none=True)
        loss = grouped_loss_backward(model, record["examples"], pad_id, args.rows_per_forward)
        torch.nn.utils.clip_grad_norm_(trainable_params, max_norm)
        optimizer.step()
        losses.append((record["task"], record["step"], loss.item()))
        print(f"task {record['task']} step {record['step']:3d} loss {loss.item():.6f} ({time.time() - start:.1f} s)",
              flush=True)

    with open(os.path.join(folder, "peft_losses.json"), "w") as f:
        json.dump([list(r) for r in losses], f)
    if args.evaluate:
        if task is not None:
            evaluate_seen(task)
        n = len(matrix)
        aa = sum(matrix[-1]) / n
        bwt = sum(matrix[-1][j] - matrix[j][j] for j in range(n - 1)) / (n - 1) if n > 1 else None
        result = {"method": "seq-lora (PyTorch + PEFT replay)", "tasks": [s["name"] for s in test_sets[:n]],
                  "matrix_seen": matrix, "diagonal": [matrix[j][j] for j in range(n)], "aa": aa, "bwt": bwt,
                  "seed": config.get("seed"), "steps": len(losses)}
        with open(os.path.join(folder, "peft_results.json"), "w") as f:
            json.dump(result, f, indent=2)
        print(f"PEFT replay: AA {aa:.2f}, BWT {bwt if bwt is None else round(bwt, 2)}, diagonal {result['diagonal']}")

    seta = {(t, s): l for t, s, l in load_seta_losses(folder)}
    deadline = time.time() + args.follow
    while any((t, s) not in seta for t, s, _ in losses) and time.time() < deadline:
        time.sleep(5)
        seta = {(t, s): l for t, s, l in load_seta_losses(folder)}
    print()
    print(f"{'task':>4} {'step':>4} {'seta':>12} {'peft':>12} {'rel diff':>10}")
    worst, compared = 0.0, 0
    losses = losses[:args.steps]  # the first --steps are compared (the rest only drive --evaluate)
    for t, s, l in losses:
        if (t, s) not in seta:
            print(f"{t:>4} {s:>4} {'-':>12} {l:>12.6f} {'-':>10}")
            continue
        rel = abs(l - seta[(t, s)]) / max(abs(seta[(t, s)]), 1e-12)
        worst, compared = max(worst, rel), compared + 1
        print(f"{t:>4} {s:>4} {seta[(t, s)]:>12.6f} {l:>12.6f} {100 * rel:>9.4f}%")
    needed = args.steps
    ok = compared == len(losses) and compared >= needed and worst <= args.tolerance
    print(f"\nmax relative difference over {compared} steps: {100 * worst:.4f}%")
    print(f"{'PASS' if ok else 'FAIL'}: {'all' if compared == len(losses) else 'not all'} {compared} of {needed} "
          f"step losses compared, within {100 * args.tolerance:g}% relative: {worst <= args.tolerance}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
