#!/usr/bin/python3
"""PyTorch peer for bench/learning-parity.ts: trains the same BERT from the same initial weights on
the same masked batches that bert-cli wrote, with the same recipe — torch.optim.AdamW (betas 0.9/0.999,
eps 1e-6, weight decay 0.01 except biases and LayerNorm weights), clip_grad_norm_ 1.0, linear warmup
and decay to zero — and prints one JSON line of per-step losses. The model is the reference of
tools/make-model-fixtures.py (HF's BertForPreTraining arithmetic and names, MLM decoder tied to the
word embeddings); dropout is off, as in the recipe being compared.

  /usr/bin/python3 bench/peers/torch_pretrain.py MODEL_DIR BATCHES.bin STEPS LR WARMUP THREADS
BATCHES.bin: per batch, int32 B, T, then B·T input ids, type ids, attention mask, MLM labels
(-100 where not predicted), then B NSP labels; all little-endian int32.
"""
import importlib.util
import json
import os
import struct
import sys

import torch
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("ref", os.path.join(here, "..", "..", "tools", "make-model-fixtures.py"))
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)


def batches(path):
    with open(path, "rb") as f:
        data = f.read()
    off = 0
    while off < len(data):
        B, T = struct.unpack_from("<ii", data, off)
        off += 8
        arrays = []
        for n in (B * T, B * T, B * T, B * T, B):
            arrays.append(torch.frombuffer(bytearray(data[off:off + 4 * n]), dtype=torch.int32).to(torch.int64))
            off += 4 * n
        ids, types, mask, mlm, nsp = arrays
        yield ids.view(B, T), types.view(B, T), mask.view(B, T), mlm.view(B, T), nsp


def main():
    model_dir, path, steps, lr, warmup, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    torch.set_num_threads(threads)
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    cfg.setdefault("pad_token_id", 0)
    p = {k: v.clone().requires_grad_() for k, v in ref.read_safetensors(os.path.join(model_dir, "model.safetensors")).items()
         if k != "cls.predictions.decoder.weight"}  # tied to the word embeddings
    no_decay = lambda n: n.endswith(".bias") or "LayerNorm" in n
    opt = torch.optim.AdamW([{"params": [v for n, v in p.items() if not no_decay(n)], "weight_decay": 0.01},
                             {"params": [v for n, v in p.items() if no_decay(n)], "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.999), eps=1e-6)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: s / max(1, warmup) if s < warmup else max(0.0, (steps - s) / max(1, steps - warmup)))
    out = {"mlm": [], "nsp": [], "loss": []}
    for step, (ids, types, mask, mlm, nsp) in enumerate(batches(path)):
        if step >= steps:
            break
        h, pooled = ref.encoder(cfg, p, ids, types, mask)
        logits = ref.heads_pretraining(cfg, p, h, pooled)
        mlm_loss = F.cross_entropy(logits["mlm_logits"].view(-1, cfg["vocab_size"]), mlm.view(-1), ignore_index=-100)
        nsp_loss = F.cross_entropy(logits["nsp_logits"], nsp)
        loss = mlm_loss + nsp_loss
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(p.values()), 1.0)
        opt.step()
        sched.step()
        out["mlm"].append(mlm_loss.item())
        out["nsp"].append(nsp_loss.item())
        out["loss"].append(loss.item())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
