#!/usr/bin/python3
"""PyTorch peer for bench/mpi.ts: data-parallel pretraining steps with DistributedDataParallel on the
gloo backend (CPU), on the same BERT (tools/make-model-fixtures.py's reference: HF's arithmetic and
names) and shapes as bert-cli's, from the weights bert-cli wrote. Random token batches, MLM at 15% of
the positions and NSP; AdamW; dropout off. Prints one JSON line: seconds per step (median after
warmup), and the time of a bare allreduce of the whole gradient (gloo, in DDP's 25 MB buckets).

  /usr/bin/python3 bench/peers/torch_ddp.py MODEL_DIR RANKS THREADS_PER_RANK BATCH_PER_RANK SEQ STEPS
"""
import importlib.util
import json
import os
import statistics
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("ref", os.path.join(here, "..", "..", "tools", "make-model-fixtures.py"))
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)


class Bert(torch.nn.Module):
    def __init__(self, cfg, params):
        super().__init__()
        self.cfg = cfg
        self.names = list(params)
        self.ps = torch.nn.ParameterList([torch.nn.Parameter(v) for v in params.values()])

    def forward(self, ids, types, mask, mlm, nsp):
        p = dict(zip(self.names, self.ps))
        h, pooled = ref.encoder(self.cfg, p, ids, types, mask)
        logits = ref.heads_pretraining(self.cfg, p, h, pooled)
        return F.cross_entropy(logits["mlm_logits"].view(-1, self.cfg["vocab_size"]), mlm.view(-1), ignore_index=-100) + F.cross_entropy(logits["nsp_logits"], nsp)


def worker(rank, world, model_dir, threads, batch, seq, steps, out):
    torch.set_num_threads(threads)
    if world > 1:
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", "29517")
        dist.init_process_group("gloo", rank=rank, world_size=world)
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    cfg.setdefault("pad_token_id", 0)
    params = {k: v.clone() for k, v in ref.read_safetensors(os.path.join(model_dir, "model.safetensors")).items() if k != "cls.predictions.decoder.weight"}
    model = Bert(cfg, params)
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, eps=1e-6, weight_decay=0.01)
    g = torch.Generator().manual_seed(rank)
    times = []
    for step in range(steps):
        ids = torch.randint(5, cfg["vocab_size"], (batch, seq), generator=g)
        types = torch.zeros_like(ids)
        mask = torch.ones_like(ids)
        mlm = torch.where(torch.rand(batch, seq, generator=g) < 0.15, ids, torch.full_like(ids, -100))
        nsp = torch.randint(0, 2, (batch,), generator=g)
        t0 = time.perf_counter()
        loss = net(ids, types, mask, mlm, nsp)
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t0)
    result = {"stepSeconds": statistics.median(times[2:]) if len(times) > 3 else min(times)}
    if world > 1:
        grads = torch.zeros(sum(v.numel() for v in model.parameters()))
        bucket = 25 * 1024 * 1024 // 4
        reduce_times = []
        for _ in range(5):
            dist.barrier()
            t0 = time.perf_counter()
            for i in range(0, grads.numel(), bucket):
                dist.all_reduce(grads[i:i + bucket])
            reduce_times.append(time.perf_counter() - t0)
        result["allreduceSeconds"] = min(reduce_times)
        result["bytes"] = grads.numel() * 4
        dist.destroy_process_group()
    if rank == 0:
        out.put(result)


def main():
    model_dir, world, threads, batch, seq, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(r, world, model_dir, threads, batch, seq, steps, q)) for r in range(world)]
    for p in procs:
        p.start()
    result = q.get()
    for p in procs:
        p.join()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
