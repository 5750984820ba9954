#!/usr/bin/python3
"""Writes test/fixtures/model-*/: a reference BERT in PyTorch (HF's BertModel arithmetic and tensor
names, written out here because Debian ships torch but not transformers), its random weights, a
padded batch, and what it computes: sequence and pooled outputs, every head's logits, the pretraining
and classification losses with every parameter gradient, and the parameters after five steps of
torch.optim.AdamW, and for model-tiny every head's loss and every parameter gradient (masked LM alone,
token classification, QA, multiple choice, regression, multi-label). CI never runs this; the fixtures
are committed.

Run: python3 tools/make-model-fixtures.py   (torch from Debian's python3-torch or a venv: pip install torch)

With --check DIR it runs the other direction: it loads a model directory written by bert-cli
(tools/export-for-reference.ts) into the reference and compares with the outputs bert-cli recorded.
"""
import json
import math
import os
import struct

import torch
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures")


def write_safetensors(path, tensors):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    h = json.dumps(header).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def make_params(cfg, num_labels, gen):
    H, I, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    p = {}

    def w(name, *shape, scale=0.5):  # larger than BERT's 0.02 so every path carries signal
        p[name] = (torch.randn(*shape, generator=gen) * scale).requires_grad_()

    w("bert.embeddings.word_embeddings.weight", V, H)
    w("bert.embeddings.position_embeddings.weight", cfg["max_position_embeddings"], H)
    w("bert.embeddings.token_type_embeddings.weight", cfg["type_vocab_size"], H)
    w("bert.embeddings.LayerNorm.weight", H, scale=0.2)
    p["bert.embeddings.LayerNorm.weight"] = (p["bert.embeddings.LayerNorm.weight"].detach() + 1).requires_grad_()
    w("bert.embeddings.LayerNorm.bias", H, scale=0.1)
    for l in range(cfg["num_hidden_layers"]):
        pre = f"bert.encoder.layer.{l}."
        for n in ("query", "key", "value"):
            w(f"{pre}attention.self.{n}.weight", H, H, scale=1 / math.sqrt(H))
            w(f"{pre}attention.self.{n}.bias", H, scale=0.1)
        w(f"{pre}attention.output.dense.weight", H, H, scale=1 / math.sqrt(H))
        w(f"{pre}attention.output.dense.bias", H, scale=0.1)
        w(f"{pre}intermediate.dense.weight", I, H, scale=1 / math.sqrt(H))
        w(f"{pre}intermediate.dense.bias", I, scale=0.1)
        w(f"{pre}output.dense.weight", H, I, scale=1 / math.sqrt(I))
        w(f"{pre}output.dense.bias", H, scale=0.1)
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            p[f"{pre}{ln}.weight"] = (1 + 0.2 * torch.randn(H, generator=gen)).requires_grad_()
            w(f"{pre}{ln}.bias", H, scale=0.1)
    w("bert.pooler.dense.weight", H, H, scale=1 / math.sqrt(H))
    w("bert.pooler.dense.bias", H, scale=0.1)
    w("cls.predictions.transform.dense.weight", H, H, scale=1 / math.sqrt(H))
    w("cls.predictions.transform.dense.bias", H, scale=0.1)
    p["cls.predictions.transform.LayerNorm.weight"] = (1 + 0.2 * torch.randn(H, generator=gen)).requires_grad_()
    w("cls.predictions.transform.LayerNorm.bias", H, scale=0.1)
    w("cls.predictions.bias", V, scale=0.1)
    w("cls.seq_relationship.weight", 2, H)
    w("cls.seq_relationship.bias", 2, scale=0.1)
    w("classifier.weight", num_labels, H)
    w("classifier.bias", num_labels, scale=0.1)
    w("qa_outputs.weight", 2, H)
    w("qa_outputs.bias", 2, scale=0.1)
    # BertForMultipleChoice's classifier is [1, H]; stored under mc.* so one file serves every head
    w("mc.classifier.weight", 1, H)
    w("mc.classifier.bias", 1, scale=0.1)
    return p


def encoder(cfg, p, ids, types, mask):
    B, T = ids.shape
    H, NH = cfg["hidden_size"], cfg["num_attention_heads"]
    HS, eps = H // NH, cfg["layer_norm_eps"]
    pos = torch.arange(T).unsqueeze(0).expand(B, T)
    e = (F.embedding(ids, p["bert.embeddings.word_embeddings.weight"], padding_idx=cfg["pad_token_id"])
         + F.embedding(pos, p["bert.embeddings.position_embeddings.weight"])
         + F.embedding(types, p["bert.embeddings.token_type_embeddings.weight"]))
    h = F.layer_norm(e, (H,), p["bert.embeddings.LayerNorm.weight"], p["bert.embeddings.LayerNorm.bias"], eps)
    ext = (1.0 - mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
    for l in range(cfg["num_hidden_layers"]):
        pre = f"bert.encoder.layer.{l}."
        lin = lambda x, n: F.linear(x, p[f"{pre}{n}.weight"], p[f"{pre}{n}.bias"])
        heads = lambda x: x.view(B, T, NH, HS).permute(0, 2, 1, 3)
        q, k, v = (heads(lin(h, f"attention.self.{n}")) for n in ("query", "key", "value"))
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(HS) + ext, dim=-1)
        ctx = (probs @ v).permute(0, 2, 1, 3).reshape(B, T, H)
        a = F.layer_norm(lin(ctx, "attention.output.dense") + h, (H,), p[f"{pre}attention.output.LayerNorm.weight"],
                         p[f"{pre}attention.output.LayerNorm.bias"], eps)
        i = gelu(lin(a, "intermediate.dense"))
        h = F.layer_norm(lin(i, "output.dense") + a, (H,), p[f"{pre}output.LayerNorm.weight"], p[f"{pre}output.LayerNorm.bias"], eps)
    pooled = torch.tanh(F.linear(h[:, 0], p["bert.pooler.dense.weight"], p["bert.pooler.dense.bias"]))
    return h, pooled


def heads(cfg, p, h, pooled):
    eps = cfg["layer_norm_eps"]
    t = gelu(F.linear(h, p["cls.predictions.transform.dense.weight"], p["cls.predictions.transform.dense.bias"]))
    t = F.layer_norm(t, (cfg["hidden_size"],), p["cls.predictions.transform.LayerNorm.weight"], p["cls.predictions.transform.LayerNorm.bias"], eps)
    return {
        "mlm_logits": F.linear(t, p["bert.embeddings.word_embeddings.weight"], p["cls.predictions.bias"]),
        "nsp_logits": F.linear(pooled, p["cls.seq_relationship.weight"], p["cls.seq_relationship.bias"]),
        "cls_logits": F.linear(pooled, p["classifier.weight"], p["classifier.bias"]),
        "tok_logits": F.linear(h, p["classifier.weight"], p["classifier.bias"]),
        "qa_logits": F.linear(h, p["qa_outputs.weight"], p["qa_outputs.bias"]),
        # the batch's 3 rows as the 3 choices of one example: [1, 3]
        "choice_logits": F.linear(pooled, p["mc.classifier.weight"], p["mc.classifier.bias"]).view(1, -1),
    }


def make(name, cfg, num_labels, seed, full=True):
    """full=False (the 30522-word vocabulary): MLM logits only at the masked rows, no classification
    gradients or AdamW run, to keep the committed files small."""
    gen = torch.Generator().manual_seed(seed)
    out = os.path.join(ROOT, name)
    os.makedirs(out, exist_ok=True)
    p = make_params(cfg, num_labels, gen)
    B, T, V = 3, 7, cfg["vocab_size"]
    ids = torch.randint(1, V, (B, T), generator=gen)
    mask = torch.ones(B, T, dtype=torch.int64)
    mask[1, 5:] = 0                      # padded after 5 tokens
    mask[2, 3:] = 0                      # padded after 3 tokens
    ids[mask == 0] = cfg["pad_token_id"]
    types = torch.zeros(B, T, dtype=torch.int64)
    types[0, 4:] = 1
    types[1, 3:5] = 1
    mlm_labels = torch.full((B, T), -100)
    for b, t in ((0, 1), (0, 5), (1, 2), (2, 1)):
        mlm_labels[b, t] = torch.randint(0, V, (1,), generator=gen)
    nsp_labels = torch.tensor([0, 1, 1])
    cls_labels = torch.tensor([2, 0, 1]) % num_labels
    tok_labels = torch.randint(0, num_labels, (B, T), generator=gen)
    tok_labels[mask == 0] = -100
    start, end = torch.tensor([1, 2, 0]), torch.tensor([3, 4, 2])

    h, pooled = encoder(cfg, p, ids, types, mask)
    logits = heads(cfg, p, h, pooled)
    expected = {"sequence_output": h, "pooled_output": pooled, **logits}
    # sentence-transformers' arithmetic: Pooling (mean over the real tokens, clamped count; max with the
    # padding at -1e9), then Normalize (F.normalize, p=2)
    m = mask.unsqueeze(-1).to(h.dtype)
    expected["sentence_embedding_mean"] = F.normalize((h * m).sum(1) / m.sum(1).clamp(min=1e-9), p=2, dim=1)
    expected["sentence_embedding_max"] = h.masked_fill(mask.unsqueeze(-1) == 0, -1e9).max(1).values

    # pretraining loss (MLM + NSP) and every gradient
    pre_loss = F.cross_entropy(logits["mlm_logits"].reshape(-1, V), mlm_labels.reshape(-1)) + F.cross_entropy(logits["nsp_logits"], nsp_labels)
    pre_loss.backward()
    pre_grads = {n: (t.grad.clone() if t.grad is not None else torch.zeros_like(t)) for n, t in p.items()}
    for t in p.values():
        t.grad = None
    # sequence-classification loss and gradients
    h2, pooled2 = encoder(cfg, p, ids, types, mask)
    cls_loss = F.cross_entropy(heads(cfg, p, h2, pooled2)["cls_logits"], cls_labels)
    cls_loss.backward()
    cls_grads = {n: (t.grad.clone() if t.grad is not None else torch.zeros_like(t)) for n, t in p.items()}
    for t in p.values():
        t.grad = None
    # token classification and QA losses
    tok_loss = F.cross_entropy(logits["tok_logits"].reshape(-1, num_labels), tok_labels.reshape(-1)).item()
    qa_start, qa_end = logits["qa_logits"][..., 0], logits["qa_logits"][..., 1]
    qa_loss = ((F.cross_entropy(qa_start, start) + F.cross_entropy(qa_end, end)) / 2).item()
    choice_loss = F.cross_entropy(logits["choice_logits"], torch.tensor([2])).item()

    weights = {n: t.detach().clone() for n, t in p.items()}
    # five AdamW steps of sequence classification, as HF's Trainer groups parameters
    no_decay = lambda n: n.endswith(".bias") or "LayerNorm.weight" in n
    opt = torch.optim.AdamW([
        {"params": [t for n, t in p.items() if not no_decay(n)], "weight_decay": 0.01},
        {"params": [t for n, t in p.items() if no_decay(n)], "weight_decay": 0.0},
    ], lr=1e-3, betas=(0.9, 0.999), eps=1e-6)
    adam_losses = []
    for _ in range(5):
        opt.zero_grad()
        h3, pooled3 = encoder(cfg, p, ids, types, mask)
        loss = F.cross_entropy(heads(cfg, p, h3, pooled3)["cls_logits"], cls_labels)
        loss.backward()
        opt.step()
        adam_losses.append(loss.item())
    after_adamw = {n: t.detach().clone() for n, t in p.items()}

    # every other head's loss and gradients (model-tiny): the new tensors and targets come from a second
    # generator, so the stream above (and every fixture written before) is unchanged
    head_grads, head_losses, extra = {}, {}, {}
    if full:
        gen2 = torch.Generator().manual_seed(seed + 1000)
        with torch.no_grad():  # back to the weights before the AdamW steps: the gradients are at model.safetensors
            for n, t in weights.items():
                p[n].copy_(t)
        H = cfg["hidden_size"]
        p["reg.classifier.weight"] = (torch.randn(1, H, generator=gen2) * 0.5).requires_grad_()
        p["reg.classifier.bias"] = (torch.randn(1, generator=gen2) * 0.1).requires_grad_()
        reg_targets = torch.randn(B, generator=gen2)
        ml_targets = (torch.rand(B, num_labels, generator=gen2) < 0.5).to(torch.float32)
        extra = {"regression_targets": reg_targets.tolist(), "multilabel_targets": ml_targets.flatten().tolist()}
        weights.update({n: p[n].detach().clone() for n in ("reg.classifier.weight", "reg.classifier.bias")})

        def run(name, loss_fn):
            for t in p.values():
                t.grad = None
            h4, pooled4 = encoder(cfg, p, ids, types, mask)
            loss = loss_fn(h4, pooled4)
            loss.backward()
            head_losses[name] = loss.item()
            head_grads[name] = {n: t.grad.clone() for n, t in p.items() if t.grad is not None}

        def mlm_only(h4, pooled4):
            t = gelu(F.linear(h4, p["cls.predictions.transform.dense.weight"], p["cls.predictions.transform.dense.bias"]))
            t = F.layer_norm(t, (H,), p["cls.predictions.transform.LayerNorm.weight"], p["cls.predictions.transform.LayerNorm.bias"], cfg["layer_norm_eps"])
            return F.cross_entropy(F.linear(t, p["bert.embeddings.word_embeddings.weight"], p["cls.predictions.bias"]).reshape(-1, V), mlm_labels.reshape(-1))

        def qa(h4, pooled4):
            lg = F.linear(h4, p["qa_outputs.weight"], p["qa_outputs.bias"])
            return (F.cross_entropy(lg[..., 0], start) + F.cross_entropy(lg[..., 1], end)) / 2

        run("masked_lm", mlm_only)
        run("token_classification", lambda h4, _: F.cross_entropy(F.linear(h4, p["classifier.weight"], p["classifier.bias"]).reshape(-1, num_labels), tok_labels.reshape(-1)))
        run("question_answering", qa)
        run("multiple_choice", lambda _, q: F.cross_entropy(F.linear(q, p["mc.classifier.weight"], p["mc.classifier.bias"]).view(1, -1), torch.tensor([2])))
        run("regression", lambda _, q: F.mse_loss(F.linear(q, p["reg.classifier.weight"], p["reg.classifier.bias"]).view(-1), reg_targets))
        run("multi_label", lambda _, q: F.binary_cross_entropy_with_logits(F.linear(q, p["classifier.weight"], p["classifier.bias"]), ml_targets))
        for t in p.values():
            t.grad = None
        for name, g in head_grads.items():
            write_safetensors(os.path.join(out, f"grads-{name.replace('_', '-')}.safetensors"), g)

    write_safetensors(os.path.join(out, "model.safetensors"), weights)
    if not full:
        expected["mlm_logits"] = expected["mlm_logits"][mlm_labels != -100]  # [masked rows, V], row-major order
    write_safetensors(os.path.join(out, "expected.safetensors"), expected)
    write_safetensors(os.path.join(out, "grads-pretraining.safetensors"), pre_grads)
    if full:
        write_safetensors(os.path.join(out, "grads-classification.safetensors"), cls_grads)
        write_safetensors(os.path.join(out, "adamw-5-steps.safetensors"), after_adamw)
    full_cfg = dict(cfg, model_type="bert", hidden_act="gelu", hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
                    initializer_range=0.02, id2label={str(i): f"L{i}" for i in range(num_labels)},
                    label2id={f"L{i}": i for i in range(num_labels)})
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(full_cfg, f, indent=2)
    with open(os.path.join(out, "batch.json"), "w") as f:
        json.dump({
            "B": B, "T": T,
            "input_ids": ids.flatten().tolist(), "token_type_ids": types.flatten().tolist(), "attention_mask": mask.flatten().tolist(),
            "mlm_labels": mlm_labels.flatten().tolist(), "nsp_labels": nsp_labels.tolist(), "labels": cls_labels.tolist(),
            "token_labels": tok_labels.flatten().tolist(), "start_positions": start.tolist(), "end_positions": end.tolist(),
            "losses": {"pretraining": pre_loss.item(), "classification": cls_loss.item(), "token_classification": tok_loss,
                       "question_answering": qa_loss, "multiple_choice": choice_loss, "adamw": adam_losses,
                       **({"heads": head_losses} if head_losses else {})},
            "choice_labels": [2], **extra,
        }, f, indent=1)
    print(f"wrote {out}")


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        assert e["dtype"] == "F32", (name, e["dtype"])
        b, en = e["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[b:en]), dtype=torch.float32).reshape(e["shape"])
    return out


def check(dir):
    """Loads a bert-cli model directory into the reference; compares with bert-cli's outputs."""
    cfg = json.load(open(os.path.join(dir, "config.json")))
    assert cfg["architectures"] == ["BertForPreTraining"], cfg["architectures"]
    p = read_safetensors(os.path.join(dir, "model.safetensors"))
    want = read_safetensors(os.path.join(dir, "reference-outputs.safetensors"))
    b = json.load(open(os.path.join(dir, "reference-batch.json")))
    shape = (b["B"], b["T"])
    ids, types, mask = (torch.tensor(b[k]).reshape(shape) for k in ("input_ids", "token_type_ids", "attention_mask"))
    with torch.no_grad():
        h, pooled = encoder(cfg, p, ids, types, mask)
        got = {"sequence_output": h, "pooled_output": pooled, **heads_pretraining(cfg, p, h, pooled)}
    worst = 0.0
    for k, v in want.items():
        d = (got[k] - v).abs().max().item()
        print(f"{k:16s} max |bert-cli - reference| = {d:.2e}")
        worst = max(worst, d)
    print("OK" if worst < 1e-4 else "MISMATCH")
    raise SystemExit(0 if worst < 1e-4 else 1)


def heads_pretraining(cfg, p, h, pooled):
    eps = cfg["layer_norm_eps"]
    t = gelu(F.linear(h, p["cls.predictions.transform.dense.weight"], p["cls.predictions.transform.dense.bias"]))
    t = F.layer_norm(t, (cfg["hidden_size"],), p["cls.predictions.transform.LayerNorm.weight"], p["cls.predictions.transform.LayerNorm.bias"], eps)
    return {"mlm_logits": F.linear(t, p["bert.embeddings.word_embeddings.weight"], p["cls.predictions.bias"]),
            "nsp_logits": F.linear(pooled, p["cls.seq_relationship.weight"], p["cls.seq_relationship.bias"])}


if __name__ == "__main__":
    import sys
    torch.set_num_threads(1)
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
    base = dict(num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=16, type_vocab_size=2, layer_norm_eps=1e-12, pad_token_id=0)
    make("model-tiny", dict(base, vocab_size=50, hidden_size=32, intermediate_size=64), num_labels=3, seed=1)
    make("model-vocab30522", dict(base, vocab_size=30522, hidden_size=4, intermediate_size=8, num_attention_heads=2, num_hidden_layers=1), num_labels=2, seed=2, full=False)
