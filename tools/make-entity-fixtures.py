#!/usr/bin/env python3
"""Writes test/fixtures/tagger-tiny/: a small random BertForTokenClassification saved by HF
transformers (config.json, model.safetensors, tokenizer.json …) and entities.json, what HF's
token-classification pipeline answers for a set of texts under every aggregation strategy, with and
without windows (stride). Offsets are turned into JavaScript string indices (UTF-16 units), which is
what bert-cli reports. With a stride, tokenizers 0.23.2's overflowing encodings of a single text keep only the first
window and `stride` tokens of the next (the rest of the text is lost), so the windows here are made as
the pipeline's documentation defines them — model_max_length − 2 pieces, each next one moved on by
that less `stride` — from the whole text's encoding, run through the model, and given to the
pipeline's own postprocess (aggregation, the "O" filter, aggregate_overlapping_entities).
CI never runs this; the fixtures are committed.

Run: python tools/make-entity-fixtures.py   (a venv with torch and transformers 5.x)
"""
import json
import os
import shutil

import torch
from transformers import BertConfig, BertForTokenClassification, BertTokenizerFast, pipeline

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "tagger-tiny")
LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]

WORDS = """the a of to and in is was he she it said went from with by on at for
alice bob carol rome paris london new york united nations acme corp smith jones
visit visited meet meeting city company river mountain today yesterday""".split()
PIECES = ["ing", "ed", "s", "er", "ton", "ville", "berg", "son"]
CJK = "東京大阪北京上海"
TEXTS = [
    "Alice Smith went to Rome.",
    "bob jones visited New York with carol yesterday",
    "Wolfberg met Carlton at Acme Corp in Parisville!",
    "Jöns visited Zürich and 東京, then 北京 🎉 with Bob.",
    "  spaced   out\ttext\nwith  alice  ",
    "unknownword xqzj alice ☃ rome",
    "the " * 3 + "alice smith visited rome and paris with bob jones of acme corp in new york "
    + "then carol went to london by the river on the mountain today and met the united nations",
    "",
]


def utf16(text, i):
    return len(text[:i].encode("utf-16-le")) // 2


def windowed(nlp, model, tok, text, max_length, stride, strategy):
    enc = tok(text, return_offsets_mapping=True, return_special_tokens_mask=True, truncation=False)
    ids, offs = enc["input_ids"][1:-1], enc["offset_mapping"][1:-1]
    L, outputs, start = max_length - 2, [], 0
    while True:
        stop = min(len(ids), start + L)
        w_ids = [tok.cls_token_id] + ids[start:stop] + [tok.sep_token_id]
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([w_ids])).logits
        outputs.append({"logits": logits, "input_ids": torch.tensor([w_ids]), "sentence": text,
                        "offset_mapping": torch.tensor([[(0, 0)] + offs[start:stop] + [(0, 0)]]),
                        "special_tokens_mask": torch.tensor([[1] + [0] * (stop - start) + [1]])})
        if stop >= len(ids):
            break
        start += L - stride
    return nlp.postprocess(outputs, aggregation_strategy=nlp._postprocess_params["aggregation_strategy"])


def main():
    torch.manual_seed(7)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = sorted(set("abcdefghijklmnopqrstuvwxyz.,!?'-"))
    vocab += chars + ["##" + c for c in chars] + list(CJK) + WORDS + ["##" + p for p in PIECES]
    vocab = {t: i for i, t in enumerate(dict.fromkeys(vocab))}
    tok = BertTokenizerFast(vocab=vocab, do_lower_case=True, model_max_length=64)
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=64, max_position_embeddings=64, num_labels=len(LABELS),
                     id2label=dict(enumerate(LABELS)), label2id={l: i for i, l in enumerate(LABELS)})
    model = BertForTokenClassification(cfg).eval()
    with torch.no_grad():
        # random logits far enough apart that the tags vary from token to token
        model.classifier.weight.normal_(0, 1.0)
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    model.save_pretrained(OUT)
    tok.save_pretrained(OUT)

    cases = []
    for max_length, stride in [(64, None), (16, 4)]:
        t = BertTokenizerFast.from_pretrained(OUT, model_max_length=max_length)
        for strategy in ["none", "simple", "first", "average", "max"]:
            if stride is not None and strategy == "none":
                continue  # HF refuses a stride without aggregation
            kw = {"stride": stride} if stride is not None else {}
            nlp = pipeline("token-classification", model=model, tokenizer=t, aggregation_strategy=strategy, **kw)
            for i, text in enumerate(TEXTS):
                if stride is None and len(t(text)["input_ids"]) > max_length:
                    continue
                ents = nlp(text) if stride is None else windowed(nlp, model, t, text, max_length, stride, strategy)
                out = []
                for e in ents:
                    e = {k: (float(v) if k == "score" else int(v) if k in ("start", "end", "index") else str(v)) for k, v in e.items()}
                    e["start"], e["end"] = utf16(text, e["start"]), utf16(text, e["end"])
                    out.append(e)
                cases.append({"text": i, "strategy": strategy, "max_length": max_length, "stride": stride, "entities": out})
    with open(os.path.join(OUT, "entities.json"), "w") as f:
        json.dump({"texts": TEXTS, "labels": LABELS, "cases": cases}, f, ensure_ascii=False, indent=1)
    print(f"wrote {OUT}: {len(cases)} cases")


if __name__ == "__main__":
    main()
