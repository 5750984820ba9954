#!/usr/bin/python3
"""Exports a bert-cli model directory's encoder + pooler (HF's BertModel) to ONNX, for the ONNX Runtime
peer in bench/onnx.ts. The modules mirror transformers' BertModel op for op (separate query/key/value
projections, the extended additive mask, erf GELU, post-LN), which is the graph ONNX Runtime's BERT
fusions are written for. Weights come from model.safetensors under HF names, read without any package
beyond torch.

  /usr/bin/python3 bench/peers/export_onnx.py MODEL_DIR OUT.onnx

A model directory of a sequence classifier (classifier.weight in its checkpoint) exports as HF's
BertForSequenceClassification instead, with one output, "logits" (as Optimum names it): the graph
transformers.js's text-classification pipeline runs.
"""
import json
import math
import struct
import sys

import torch
import torch.nn as nn


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", f"{name}: {t['dtype']}"
        a, b = t["data_offsets"]
        out[name.removeprefix("bert.")] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(t["shape"])
    return out


class SelfAttention(nn.Module):
    def __init__(self, H, NH):
        super().__init__()
        self.query, self.key, self.value = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H)
        self.NH, self.d = NH, H // NH

    def heads(self, x):
        B, T, _ = x.shape
        return x.view(B, T, self.NH, self.d).permute(0, 2, 1, 3)

    def forward(self, h, ext):
        q, k, v = self.heads(self.query(h)), self.heads(self.key(h)), self.heads(self.value(h))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.d) + ext
        ctx = torch.matmul(torch.softmax(scores, dim=-1), v).permute(0, 2, 1, 3).contiguous()
        return ctx.view(ctx.shape[0], ctx.shape[1], -1)


class DenseLN(nn.Module):
    def __init__(self, n_in, H, eps):
        super().__init__()
        self.dense, self.LayerNorm = nn.Linear(n_in, H), nn.LayerNorm(H, eps=eps)

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class Attention(nn.Module):
    def __init__(self, H, NH, eps):
        super().__init__()
        self.self, self.output = SelfAttention(H, NH), DenseLN(H, H, eps)


class Intermediate(nn.Module):
    def __init__(self, H, I):
        super().__init__()
        self.dense = nn.Linear(H, I)


class Layer(nn.Module):
    def __init__(self, H, NH, I, eps):
        super().__init__()
        self.attention, self.intermediate, self.output = Attention(H, NH, eps), Intermediate(H, I), DenseLN(I, H, eps)

    def forward(self, h, ext):
        a = self.attention.output(self.attention.self(h, ext), h)
        return self.output(nn.functional.gelu(self.intermediate.dense(a)), a)


class Embeddings(nn.Module):
    def __init__(self, V, P, TV, H, eps):
        super().__init__()
        self.word_embeddings, self.position_embeddings, self.token_type_embeddings = nn.Embedding(V, H), nn.Embedding(P, H), nn.Embedding(TV, H)
        self.LayerNorm = nn.LayerNorm(H, eps=eps)

    def forward(self, ids, types):
        pos = torch.arange(ids.shape[1], dtype=torch.long).unsqueeze(0)
        return self.LayerNorm(self.word_embeddings(ids) + self.position_embeddings(pos) + self.token_type_embeddings(types))


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c["hidden_size"], c["num_attention_heads"], c["intermediate_size"], c["layer_norm_eps"]) for _ in range(c["num_hidden_layers"])])


class Pooler(nn.Module):
    def __init__(self, H):
        super().__init__()
        self.dense = nn.Linear(H, H)


class BertModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c["hidden_size"]
        self.embeddings = Embeddings(c["vocab_size"], c["max_position_embeddings"], c["type_vocab_size"], H, c["layer_norm_eps"])
        self.encoder, self.pooler = Encoder(c), Pooler(H)

    def forward(self, input_ids, attention_mask, token_type_ids):
        ext = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
        h = self.embeddings(input_ids, token_type_ids)
        for layer in self.encoder.layer:
            h = layer(h, ext)
        return h, torch.tanh(self.pooler.dense(h[:, 0]))


class BertForSequenceClassification(nn.Module):
    def __init__(self, c, num_labels):
        super().__init__()
        self.bert, self.classifier = BertModel(c), nn.Linear(c["hidden_size"], num_labels)

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.classifier(self.bert(input_ids, attention_mask, token_type_ids)[1])


def main():
    model_dir, out = sys.argv[1], sys.argv[2]
    with open(f"{model_dir}/config.json") as f:
        c = json.load(f)
    c.setdefault("layer_norm_eps", 1e-12)
    c.setdefault("type_vocab_size", 2)
    weights = read_safetensors(f"{model_dir}/model.safetensors")
    classifier = "classifier.weight" in weights
    if classifier:
        model = BertForSequenceClassification(c, weights["classifier.weight"].shape[0])
        weights = {(k if k.startswith("classifier.") else "bert." + k): v for k, v in weights.items()}
        outputs = ["logits"]
    else:
        model = BertModel(c)
        outputs = ["last_hidden_state", "pooler_output"]
    missing = model.load_state_dict({k: v for k, v in weights.items() if k in model.state_dict()}, strict=False).missing_keys
    assert not missing, f"missing in model.safetensors: {missing}"
    model.eval()
    ids = torch.ones(2, 16, dtype=torch.long)
    torch.onnx.export(model, (ids, torch.ones_like(ids), torch.zeros_like(ids)), out, opset_version=14,
                      input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=outputs,
                      dynamic_axes={n: {0: "batch", 1: "sequence"} for n in ["input_ids", "attention_mask", "token_type_ids", *outputs[:1]] if n != "logits"}
                      | {n: {0: "batch"} for n in outputs if n != "last_hidden_state"})
    print(json.dumps({"onnx": out, "torch": torch.__version__}))


main()
