"""PyTorch side of `npm run bench:learner -- --shape NAME`: the same LoRA train step as ours.

The model of a Hugging Face folder (Llama / Qwen2 / Qwen3 layout, float32, eager attention as
transformers runs it on torch < 2.0), frozen, with PEFT-style LoRA adapters (A [r, in], B [out, r],
scale alpha / r) on q, k, v, o, gate, up and down as the only trained tensors; verl's dual-clip PPO
loss over the response tokens of the bench's batch (the LM head on those positions only, as ours),
clip_grad_norm_ and torch.optim.AdamW. Reads one JSON argument, prints one JSON line: step times (ms)
and peak RSS (bytes). Run with Debian's /usr/bin/python3 (python3-torch, libopenblas0-pthread).
"""

import json
import math
import os
import resource
import struct
import sys
import time

import torch

job = json.loads(sys.argv[1])
torch.set_num_threads(job["threads"])
torch.manual_seed(0)
folder = job["dir"]
c = json.load(open(os.path.join(folder, "config.json")))
DT = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}


def load_weights():
    """One tensor at a time into float32 (no second copy of the whole file)."""
    w = {}
    path = os.path.join(folder, "model.safetensors")
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        for name, info in header.items():
            if name == "__metadata__":
                continue
            begin, end = info["data_offsets"]
            f.seek(8 + n + begin)
            raw = bytearray(f.read(end - begin))
            w[name] = torch.frombuffer(raw, dtype=DT[info["dtype"]]).reshape(info["shape"]).float()
    return w


W = load_weights()
H, K = c["num_attention_heads"], c["num_key_value_heads"]
hd = c.get("head_dim") or c["hidden_size"] // H
eps = c["rms_norm_eps"]
L = c["num_hidden_layers"]
r = job["rank"]
scale = 2.0  # alpha = 2 r
modules = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]
lora = {}
for i in range(L):
    for m in modules:
        name = "model.layers.%d.%s" % (i, m)
        out_f, in_f = W[name + ".weight"].shape
        a = torch.empty(r, in_f).uniform_(-1 / math.sqrt(in_f), 1 / math.sqrt(in_f)).requires_grad_(True)
        b = torch.zeros(out_f, r).requires_grad_(True)
        lora[name] = (a, b)
params = [t for pair in lora.values() for t in pair]
opt = torch.optim.AdamW(params, lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)

batch = json.load(open(job["batchFile"]))
ids = torch.tensor(batch["input_ids"])
B, T = ids.shape
rows = torch.tensor([b for b, _ in batch["targets"]])
cols = torch.tensor([t for _, t in batch["targets"]])
adv = torch.tensor(batch["advantages"])
old = torch.tensor(batch["old_logprobs"])
inv = 1.0 / (c.get("rope_theta", 10000.0) ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
freqs = torch.outer(torch.arange(T).float(), inv)
emb = torch.cat((freqs, freqs), dim=-1)
cos, sin = emb.cos()[None, None], emb.sin()[None, None]
mask = torch.full((T, T), torch.finfo(torch.float32).min).triu(1)


def rms(x, w):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def lin(x, name):
    y = x @ W[name + ".weight"].t()
    if name + ".bias" in W:
        y = y + W[name + ".bias"]
    a, b = lora[name]
    return y + (x @ a.t()) @ b.t() * scale


def rot(x):
    return torch.cat((-x[..., hd // 2 :], x[..., : hd // 2]), dim=-1)


def forward():
    h = W["model.embed_tokens.weight"][ids]
    for i in range(L):
        p = "model.layers.%d." % i
        x = rms(h, W[p + "input_layernorm.weight"])
        q = lin(x, p + "self_attn.q_proj").view(B, T, H, hd)
        k = lin(x, p + "self_attn.k_proj").view(B, T, K, hd)
        v = lin(x, p + "self_attn.v_proj").view(B, T, K, hd).transpose(1, 2)
        if p + "self_attn.q_norm.weight" in W:
            q, k = rms(q, W[p + "self_attn.q_norm.weight"]), rms(k, W[p + "self_attn.k_norm.weight"])
        q, k = q.transpose(1, 2), k.transpose(1, 2)
        q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
        k = k[:, :, None].expand(B, K, H // K, T, hd).reshape(B, H, T, hd)  # repeat_kv
        v = v[:, :, None].expand(B, K, H // K, T, hd).reshape(B, H, T, hd)
        probs = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(hd) + mask, dim=-1)
        h = h + lin((probs @ v).transpose(1, 2).reshape(B, T, H * hd), p + "self_attn.o_proj")
        x = rms(h, W[p + "post_attention_layernorm.weight"])
        g = lin(x, p + "mlp.gate_proj")
        h = h + lin(torch.nn.functional.silu(g) * lin(x, p + "mlp.up_proj"), p + "mlp.down_proj")
    h = rms(h, W["model.norm.weight"])[rows, cols - 1]  # the positions predicting the response tokens
    head = W.get("lm_head.weight", W["model.embed_tokens.weight"])
    return h @ head.t()


def step():
    logp_all = torch.log_softmax(forward(), dim=-1)
    logp = logp_all.gather(-1, ids[rows, cols].unsqueeze(-1)).squeeze(-1)
    entropy = -(logp_all.exp() * logp_all).sum(-1)
    ratio = torch.exp(torch.clamp(logp - old, -20, 20))
    pg1, pg2 = -adv * ratio, -adv * torch.clamp(ratio, 0.8, 1.2)
    clipped = torch.maximum(pg1, pg2)
    pg = torch.where(adv < 0, torch.minimum(-adv * 3.0, clipped), clipped)
    loss = pg.mean() - 0.001 * entropy.mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(params, 1.0)
    if torch.isfinite(norm):
        opt.step()
    return loss.item()


times = []
for i in range(job["warmup"] + job["steps"]):
    t0 = time.perf_counter()
    loss = step()
    if i >= job["warmup"]:
        times.append((time.perf_counter() - t0) * 1000)
    if i == 0:
        sys.stderr.write("  torch: first step %.0f ms (loss %s)\n" % ((time.perf_counter() - t0) * 1000, loss))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"step_ms": times, "peak_rss": peak, "torch": torch.__version__, "threads": torch.get_num_threads()}))
