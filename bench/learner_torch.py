"""PyTorch side of `npm run bench:learner`: the same train step as ours, in eager PyTorch on CPU.

Same architecture (Llama layout: RMSNorm, rotate_half RoPE, causal multi-head attention, SwiGLU,
tied or untied head), sizes, batch, loss (verl's dual-clip PPO, token mean, entropy bonus),
global grad-norm clipping and torch.optim.AdamW. Reads one JSON argument, prints one JSON line.
Run with Debian's python3-torch and libopenblas0-pthread (without OpenBLAS, torch uses the
reference BLAS and is about 20x slower).
"""

import json
import math
import sys
import time

import torch
import torch.nn.functional as F

cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg["threads"])
torch.manual_seed(0)
V, d, L, H, FF = cfg["vocabSize"], cfg["dModel"], cfg["nLayers"], cfg["nHeads"], cfg["ffnHidden"]
hd = d // H
B, T = cfg["batch"], cfg["seq"]


class RMSNorm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + cfg["rmsNormEps"]) * self.weight


def rotate_half(x):
    return torch.cat((-x[..., hd // 2 :], x[..., : hd // 2]), dim=-1)


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        lin = lambda o, i: torch.nn.Linear(i, o, bias=False)  # noqa: E731
        self.input_layernorm, self.post_attention_layernorm = RMSNorm(), RMSNorm()
        self.q, self.k, self.v, self.o = lin(d, d), lin(d, d), lin(d, d), lin(d, d)
        self.gate, self.up, self.down = lin(FF, d), lin(FF, d), lin(d, FF)

    def forward(self, h, cos, sin, bias):
        x = self.input_layernorm(h)
        heads = lambda t: t.view(B, T, H, hd).transpose(1, 2)  # noqa: E731
        q, k, v = heads(self.q(x)), heads(self.k(x)), heads(self.v(x))
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        p = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd) + bias, dim=-1)
        h = h + self.o((p @ v).transpose(1, 2).reshape(B, T, d))
        x = self.post_attention_layernorm(h)
        return h + self.down(F.silu(self.gate(x)) * self.up(x))


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(V, d)
        self.layers = torch.nn.ModuleList([Block() for _ in range(L)])
        self.norm = RMSNorm()
        self.lm_head = None if cfg["tieEmbeddings"] else torch.nn.Linear(d, V, bias=False)
        inv = 1.0 / (cfg["ropeTheta"] ** (torch.arange(0, hd, 2).float() / hd))
        freqs = torch.outer(torch.arange(T).float(), inv)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.cos, self.sin = emb.cos(), emb.sin()
        self.bias = torch.full((T, T), -1e9).triu(1)

    def forward(self, ids):
        h = self.embed(ids)
        for layer in self.layers:
            h = layer(h, self.cos, self.sin, self.bias)
        head = self.embed.weight if self.lm_head is None else self.lm_head.weight
        return self.norm(h) @ head.t()


model = Model()
opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
g = torch.Generator().manual_seed(1)
ids = torch.randint(0, V, (B, T), generator=g)
mask = torch.ones(B, T - 1)
adv = torch.randn(B, T - 1, generator=g)
old = torch.full((B, T - 1), -math.log(V))


def step():
    logits = model(ids)[:, :-1]
    logp_all = torch.log_softmax(logits, dim=-1)
    logp = logp_all.gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)
    entropy = -(logp_all.exp() * logp_all).sum(-1)
    n = mask.sum().clamp(min=1)
    log_ratio = (logp - old).clamp(-20, 20)
    ratio = log_ratio.exp()
    pg1, pg2 = -adv * ratio, -adv * ratio.clamp(0.8, 1.2)
    clipped = torch.maximum(pg1, pg2)
    pg = torch.where(adv < 0, torch.minimum(-adv * 3.0, clipped), clipped)
    loss = (pg * mask).sum() / n - 0.001 * (entropy * mask).sum() / n
    opt.zero_grad(set_to_none=True)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    if torch.isfinite(norm):
        opt.step()
    return loss.item()


for _ in range(cfg["warmup"]):
    step()
times = []
for _ in range(cfg["steps"]):
    t0 = time.perf_counter()
    step()
    times.append((time.perf_counter() - t0) * 1000)
print(json.dumps({"step_ms": times, "torch": torch.__version__, "threads": torch.get_num_threads()}))
