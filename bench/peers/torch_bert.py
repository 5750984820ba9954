#!/usr/bin/python3
"""PyTorch peer for bench/training.ts: the same BERT (HF's BertForPreTraining /
BertForSequenceClassification arithmetic; dropout 0.1; torch.optim.AdamW), timed on the same shapes.
MLM logits over every position, as HF computes them. Prints one JSON line.

  /usr/bin/python3 bench/peers/torch_bert.py MODE LAYERS HIDDEN HEADS VOCAB BATCH SEQ STEPS THREADS [DTYPE]
  MODE: pretrain | finetune | infer; DTYPE: fp32 (default) | bf16, which runs the forward and the
  loss under torch.autocast("cpu", torch.bfloat16) — mixed precision, float32 weights, as
  HF Trainer's bf16=True | int8 (infer only): torch.ao.quantization.quantize_dynamic on every
  nn.Linear (qint8 weights per tensor, activations quantized per batch on the fly), on the
  quantized engine this build has (fbgemm, else onednn)
"""
import contextlib
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Layer(nn.Module):
    def __init__(self, H, NH, I, p):
        super().__init__()
        self.qkv, self.o = nn.Linear(H, 3 * H), nn.Linear(H, H)
        self.ln1, self.ln2 = nn.LayerNorm(H, eps=1e-12), nn.LayerNorm(H, eps=1e-12)
        self.i, self.out = nn.Linear(H, I), nn.Linear(I, H)
        self.NH, self.p = NH, p

    def forward(self, h, ext):
        B, T, H = h.shape
        q, k, v = self.qkv(h).view(B, T, 3, self.NH, H // self.NH).permute(2, 0, 3, 1, 4)
        probs = F.dropout(torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(H // self.NH) + ext, -1), self.p, self.training)
        ctx = (probs @ v).transpose(1, 2).reshape(B, T, H)
        a = self.ln1(F.dropout(self.o(ctx), self.p, self.training) + h)
        return self.ln2(F.dropout(self.out(F.gelu(self.i(a))), self.p, self.training) + a)


class Bert(nn.Module):
    def __init__(self, L, H, NH, V, mode, p=0.1):
        super().__init__()
        self.word, self.pos, self.segment = nn.Embedding(V, H, padding_idx=0), nn.Embedding(512, H), nn.Embedding(2, H)
        self.ln = nn.LayerNorm(H, eps=1e-12)
        self.layers = nn.ModuleList([Layer(H, NH, 4 * H, p) for _ in range(L)])
        self.pool = nn.Linear(H, H)
        self.mode, self.p = mode, p
        if mode == "pretrain":
            self.t, self.tln, self.bias, self.nsp = nn.Linear(H, H), nn.LayerNorm(H, eps=1e-12), nn.Parameter(torch.zeros(V)), nn.Linear(H, 2)
        else:
            self.cls = nn.Linear(H, 2)

    def forward(self, ids, types, mask):
        T = ids.shape[1]
        h = F.dropout(self.ln(self.word(ids) + self.pos(torch.arange(T)) + self.segment(types)), self.p, self.training)
        ext = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            h = layer(h, ext)
        pooled = torch.tanh(self.pool(h[:, 0]))
        if self.mode == "pretrain":
            # .float(): torch 1.13's CPU autocast leaves layer_norm's input bf16 beside fp32 weights
            return self.tln(F.gelu(self.t(h)).float()) @ self.word.weight.T + self.bias, self.nsp(pooled)
        return self.cls(F.dropout(pooled, self.p, self.training))



def peak_rss_mib():
    # VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss across exec, so a child of a big
    # process would report its parent's peak
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")

def main():
    mode, L, H, NH, V, B, T, steps, threads = sys.argv[1], *map(int, sys.argv[2:10])
    dtype = sys.argv[10] if len(sys.argv) > 10 else "fp32"
    bf16 = dtype == "bf16"
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if bf16 else contextlib.nullcontext
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = Bert(L, H, NH, V, mode)
    ids, types, mask = torch.randint(1, V, (B, T)), torch.zeros(B, T, dtype=torch.long), torch.ones(B, T, dtype=torch.long)
    mlm = torch.full((B, T), -100)
    mlm[:, ::7] = ids[:, ::7]  # ~15% of the positions
    nsp, labels = torch.randint(0, 2, (B,)), torch.randint(0, 2, (B,))
    engine = None
    if dtype == "int8":
        engines = torch.backends.quantized.supported_engines
        engine = "fbgemm" if "fbgemm" in engines else "onednn" if "onednn" in engines else "qnnpack"
        torch.backends.quantized.engine = engine
        model.eval()
        model = torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
    if mode == "infer":
        model.eval()
        with torch.inference_mode(), autocast():
            for _ in range(2):
                model(ids, types, mask)
            t0 = time.perf_counter()
            for _ in range(steps):
                model(ids, types, mask)
            dt = (time.perf_counter() - t0) / steps
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, eps=1e-6, weight_decay=0.01)

        def step():
            opt.zero_grad(set_to_none=True)
            with autocast():
                out = model(ids, types, mask)
                if mode == "pretrain":
                    loss = F.cross_entropy(out[0].reshape(-1, V), mlm.reshape(-1)) + F.cross_entropy(out[1], nsp)
                else:
                    loss = F.cross_entropy(out, labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()

        model.train()
        for _ in range(2):
            step()
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        dt = (time.perf_counter() - t0) / steps
    print(json.dumps({"seconds_per_step": dt, "tokens_per_second": B * T / dt,
                      "peak_rss_mib": peak_rss_mib(), "torch": torch.__version__, "dtype": dtype, "quantized_engine": engine}))


main()
