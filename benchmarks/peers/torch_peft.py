#!/usr/bin/env python3
"""The peer of `seta bench`: the same workloads in PyTorch + transformers + PEFT, float32, on the same GGUF.

    venv/bin/python benchmarks/peers/torch_peft.py [--steps 5] [--threads 2] [--gguf PATH] [--train-only]

Prints one JSON object with the keys `seta bench --json` prints (tokens/s; median of --steps after a warm-up):
  train_tokens_per_s                  LoRA r=8, alpha 16, q_proj/v_proj, batch 4 x 128, loss on every position
                                      (a language-model step: forward, backward, clip_grad_norm_, AdamW step)
  train_1x512_tokens_per_s            the same at batch 1 x 512
  train_completion_tokens_per_s       batch 4 x 128 with loss on the last 8 tokens only (labels -100 elsewhere;
                                      transformers still computes the LM head on every position)
  train_completion_keep_tokens_per_s  the same with the LM head only where loss is taken (hidden states, then
                                      lm_head on the loss rows) — what a careful PyTorch user would write
  prefill_tokens_per_s                forward over 1 x 128, logits of the last position only (logits_to_keep=1)
  prefill_8x128_tokens_per_s          the same at 8 x 128
  generate_tokens_per_s               16-token prompt, 64 new tokens, greedy, KV cache (decode rate: new tokens
                                      over generate time minus one prefill)
  peak_rss_mb                         ru_maxrss of this process
Token ids are seeded random ids, as Seta's. The frozen base gets no weight gradients (requires_grad False).
"""
import argparse
import contextlib
import json
import os
import resource

os.environ.setdefault("TQDM_DISABLE", "1")
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from timing import median_seconds  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--gguf", default=os.path.expanduser("~/.cache/seta/models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--train-only", action="store_true")
    ap.add_argument("--bf16-autocast", action="store_true",
                    help="run every forward under torch.autocast('cpu', bfloat16) (PyTorch's mixed precision; the "
                         "counterpart of seta --weights bf16); weights and LoRA stay float32")
    args = ap.parse_args()
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if args.bf16_autocast else contextlib.nullcontext
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    import peft
    import transformers
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM
    transformers.utils.logging.set_verbosity_error()

    folder, name = os.path.split(os.path.abspath(args.gguf))
    base = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    vocab = base.config.vocab_size
    gen = torch.Generator().manual_seed(0)
    result = {"engine": f"torch {torch.__version__} / transformers {transformers.__version__} / peft {peft.__version__}",
              "threads": args.threads, "steps": args.steps, "bf16_autocast": args.bf16_autocast}

    model = get_peft_model(base, LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"],
                                            lora_dropout=0.0, bias="none"))
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=5e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)

    def lm_step(ids, labels, keep_loss_rows=False):
        def step():
            optimizer.zero_grad(set_to_none=True)
            with autocast():
                if keep_loss_rows:
                    hidden = model.base_model.model.model(input_ids=ids).last_hidden_state   # (B, T, D)
                    rows = labels[:, 1:] != -100
                    logits = model.base_model.model.lm_head(hidden[:, :-1][rows])          # (N, V)
                    loss = F.cross_entropy(logits.float(), labels[:, 1:][rows])
                else:
                    loss = model(input_ids=ids, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
        return step

    for key, batch, length, loss_tokens, keep in [
        ("train_tokens_per_s", 4, 128, 128, False),
        ("train_1x512_tokens_per_s", 1, 512, 512, False),
        ("train_completion_tokens_per_s", 4, 128, 8, False),
        ("train_completion_keep_tokens_per_s", 4, 128, 8, True),
    ]:
        ids = torch.randint(3, vocab, (batch, length), generator=gen)
        labels = ids.clone()
        labels[:, : length - loss_tokens] = -100   # HF shifts labels inside: position t predicts token t+1
        seconds = median_seconds(lm_step(ids, labels, keep), args.steps)
        result[key] = batch * length / seconds

    if not args.train_only:
        model.eval()
        plain = model.base_model.model   # the base without adapters for inference timing
        with torch.inference_mode(), model.disable_adapter(), autocast():
            for batch in (1, 8):
                ids = torch.randint(3, vocab, (batch, 128), generator=gen)
                seconds = median_seconds(lambda: plain(input_ids=ids, use_cache=False, logits_to_keep=1), args.steps)
                result["prefill_tokens_per_s" if batch == 1 else "prefill_8x128_tokens_per_s"] = batch * 128 / seconds
            prompt = torch.randint(3, vocab, (1, 16), generator=gen)
            new = 64

            def generate():
                out = plain.generate(input_ids=prompt, attention_mask=torch.ones_like(prompt), do_sample=False,
                                     max_new_tokens=new, min_new_tokens=new, eos_token_id=None,
                                     pad_token_id=plain.config.pad_token_id, use_cache=True)
                assert out.shape[1] == 16 + new

            total = median_seconds(generate, args.steps)
            prefill = median_seconds(lambda: plain(input_ids=prompt, use_cache=True, logits_to_keep=1), args.steps)
            result["generate_tokens_per_s"] = (new - 1) / max(total - prefill, 1e-9)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
