"""Train the facts LM on the packed corpus (2 CPU threads, ~10 minutes).

Each document becomes <|endoftext|> + text, predicting text + <|endoftext|>.
Documents are packed into 128-token rows with a block-diagonal mask and
positions restarting at 0, so every document is seen exactly as the app will
present a prompt: BOS at position 0, nothing before it.
"""
import argparse
import json
import math
import os
import random
import time

import torch
import torch.nn.functional as F

import bpe
from common import MODEL_DIR, SEED, SPECIAL_ID, SPECIAL_TOKEN, WORK_DIR, WORLD_DIR
from facts_eval import accuracy, questions
from model import Config, FactsLM, count_parameters, training_mask


def pack(docs, enc, row_len):
    """Rows of (input ids, targets, positions, doc ids); a document never spans rows."""
    rows, cur = [], None
    for d in docs:
        ids = enc.encode(d)
        inp, tgt = [SPECIAL_ID] + ids, ids + [SPECIAL_ID]
        assert len(inp) <= row_len
        if cur is None or len(cur[0]) + len(inp) > row_len:
            cur = ([], [], [], [])
            rows.append(cur)
        doc = cur[3][-1] + 1 if cur[3] else 0  # index of this document within the row
        cur[0].extend(inp)
        cur[1].extend(tgt)
        cur[2].extend(range(len(inp)))
        cur[3].extend([doc] * len(inp))
    out = []
    for inp, tgt, pos, doc in rows:
        pad = row_len - len(inp)
        out.append((inp + [SPECIAL_ID] * pad, tgt + [-100] * pad, pos + [0] * pad, doc + [-1] * pad))
    return [torch.tensor(x) for x in zip(*out)]


def lr_at(step, total, peak, warmup):
    """Linear warm-up, then cosine decay to 10% of the peak."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def main():
    ap = argparse.ArgumentParser()
    # Rows of 128 rather than the 256-token context: documents are under 60
    # tokens, so a shorter row wastes less attention on masked-out blocks.
    ap.add_argument("--row-length", type=int, default=128)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--max-steps", type=int, default=0, help="stop early (timing runs)")
    args = ap.parse_args()

    torch.manual_seed(SEED)
    random.seed(SEED)
    torch.set_num_threads(2)

    enc = bpe.Encoder.load(os.path.join(MODEL_DIR, "tokenizer.json"))
    with open(os.path.join(WORK_DIR, "corpus.txt")) as fh:
        docs = fh.read().split(SPECIAL_TOKEN)[:-1]
    inputs, targets, positions, doc_ids = pack(docs, enc, args.row_length)
    n_rows = inputs.shape[0]
    real_tokens = int((targets != -100).sum())
    print(f"{len(docs)} documents -> {n_rows} rows, {real_tokens} target tokens "
          f"({real_tokens / inputs.numel():.1%} of row slots)")

    with open(os.path.join(WORLD_DIR, "known.json")) as fh:
        known = json.load(fh)
    probe = questions(random.Random(SEED).sample(known, 100), {"city_where"})

    cfg = Config(vocab_size=len(enc.vocab))
    model = FactsLM(cfg)
    print(f"parameters: {count_parameters(model)}")
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))

    total_steps = math.ceil(n_rows * args.epochs / args.batch)
    if args.max_steps:
        total_steps = min(total_steps, args.max_steps)
    order = torch.cat([torch.randperm(n_rows, generator=torch.Generator().manual_seed(SEED + e))
                       for e in range(math.ceil(args.epochs) + 1)])
    trained_tokens = 0
    t0 = time.time()
    for step in range(total_steps):
        model.train()
        idx = order[step * args.batch:(step + 1) * args.batch]
        for g in opt.param_groups:
            g["lr"] = lr_at(step, total_steps, args.lr, warmup=min(100, total_steps // 10))
        logits, _ = model(inputs[idx], positions[idx], training_mask(doc_ids[idx]))
        loss = F.cross_entropy(logits.view(-1, cfg.vocab_size), targets[idx].view(-1),
                               ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        trained_tokens += int((targets[idx] != -100).sum())
        if step % 20 == 0 or step == total_steps - 1:
            print(f"step {step}/{total_steps} loss {loss.item():.4f} "
                  f"{time.time() - t0:.0f}s", flush=True)
        if (step + 1) % args.eval_every == 0:
            acc = accuracy(model, enc, probe)["city"]
            print(f"  probe city accuracy (100 known): {acc:.2%}", flush=True)
    train_seconds = time.time() - t0

    acc = accuracy(model, enc, questions(known))
    print("final greedy accuracy (PyTorch, all known):",
          json.dumps({k: round(v, 4) for k, v in sorted(acc.items())}))
    torch.save({
        "config": cfg.__dict__,
        "state_dict": model.state_dict(),
        "stats": {"steps": total_steps, "batch": args.batch, "row_length": args.row_length,
                  "trained_tokens": trained_tokens, "corpus_tokens": real_tokens,
                  "train_seconds": round(train_seconds), "parameters": count_parameters(model),
                  "final_loss": loss.item(), "pytorch_accuracy": acc, "lr": args.lr,
                  "epochs": args.epochs},
    }, os.path.join(WORK_DIR, "model.pt"))


if __name__ == "__main__":
    main()
