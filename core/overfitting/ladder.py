"""The batched model ladder (linear -> deep ReLU MLPs), its training loop and its logged curves
as tidy frames.

Every model of every group trains in one full-batch step: layer l holds the weights of all
models with at least l hidden layers, stacked capacity-major (depth l..D, each for G groups),
so the models still using layer l are always a contiguous suffix and one `baddbmm` serves them.
See reference.py for one model of the ladder as a plain nn.Sequential.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import pandas as pd
import torch

from core.lab import Progress, diverged


@dataclass
class Ladder:
    """Weights of G groups x (depth + 1) capacities (0 = linear, d = d hidden ReLU layers)."""
    depth: int
    groups: int
    params: list[torch.Tensor]   # [a, c, W_1..W_D, b_1..b_D, V, v]

    @property
    def weights(self) -> list[torch.Tensor]:
        """The tensors weight decay acts on (slopes, not biases)."""
        D = self.depth
        return [self.params[0], *self.params[2:2 + D], self.params[-2]]


def init_ladder(G: int, D: int, width: int, widths: torch.Tensor, g: torch.Generator,
                share: int = 1) -> Ladder:
    """He-uniform weights for G groups; each block of `share` consecutive groups starts from the
    same draw (paired comparisons), and a group with widths[g] < width has its extra units zeroed
    (they get zero gradient, so they stay dead: a narrower net)."""
    def u(m: int, shape: tuple[int, ...], bound: torch.Tensor) -> torch.Tensor:
        r = torch.rand((m, G // share, *shape), generator=g) * 2 - 1
        r = r.repeat_interleave(share, 1).reshape(m * G, *shape)      # (m*G, *shape)
        return r * bound.repeat(m).view(m * G, *[1] * len(shape))

    live = (torch.arange(width)[None, :] < widths[:, None]).float()  # (G, W)
    one, he, inv = torch.ones(G), (6 / widths.float()).sqrt(), widths.float().rsqrt()
    Ws, bs = [], []
    for l in range(1, D + 1):
        m = D - l + 1                                # capacities l..D use layer l
        out = live.repeat(m, 1)[:, None, :]          # (m*G, 1, W)
        if l == 1:
            Ws.append(u(m, (1, width), one * math.sqrt(6)) * out)
            bs.append(u(m, (1, width), one) * out)  # kinks spread over [-1, 1]
        else:
            Ws.append(u(m, (width, width), he) * live.repeat(m, 1)[:, :, None] * out)
            bs.append(u(m, (1, width), inv) * out)
    V = u(D, (width, 1), inv) * live.repeat(D, 1)[:, :, None]   # (D*G, W, 1)
    v = u(D, (1, 1), inv)
    lin = [u(1, (1, 1), one), u(1, (1, 1), one)]                  # slope a, intercept c
    return Ladder(D, G, [p.requires_grad_() for p in lin + Ws + bs + [V, v]])


def forward(lad: Ladder, x: torch.Tensor) -> torch.Tensor:
    """Predictions of every model: x (G, N) -> (C*G, N), capacity-major (row = depth*G + group)."""
    D, G, p = lad.depth, lad.groups, lad.params
    Ws, bs, V, v = p[2:2 + D], p[2 + D:2 + 2 * D], p[-2], p[-1]
    x3 = x[:, :, None]                                              # (G, N, 1)
    y0 = torch.baddbmm(p[1], x3, p[0])                              # (G, N, 1) linear model
    h = torch.relu(torch.baddbmm(bs[0], x3.repeat(D, 1, 1), Ws[0]))  # (D*G, N, W)
    last = []
    for l in range(1, D):
        stop, h = h.split([G, h.shape[0] - G])      # depth-l models stop here (split: its backward is one cat)
        last.append(stop)
        h = torch.relu(torch.baddbmm(bs[l], h, Ws[l]))               # ((D-l)*G, N, W)
    last.append(h)
    y = torch.baddbmm(v, torch.cat(last), V)                         # (D*G, N, 1)
    return torch.cat([y0, y])[..., 0]


@torch.no_grad()
def predict(lad: Ladder, x: torch.Tensor, chunk: int = 512) -> torch.Tensor:
    """forward() without autograd, in chunks of points so big test sets stay small in memory."""
    return torch.cat([forward(lad, x[:, i:i + chunk]) for i in range(0, x.shape[1], chunk)], 1)


def masked_mse(pred: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Per-model mean squared error over the points where w = 1: (C*G, N) -> (C*G,)."""
    C = pred.shape[0] // y.shape[0]
    y, w = y.repeat(C, 1), w.repeat(C, 1)                           # (C*G, N)
    return ((pred - y) ** 2 * w).sum(1) / w.sum(1).clamp(min=1)


class Adam:
    """Plain Adam over a list of tensors with foreach ops (torch.optim's fused path imports
    torch._dynamo on first use, ~2 s cold; its foreach path has ~3x the per-step overhead)."""

    def __init__(self, params: list[torch.Tensor], b1: float = 0.9, b2: float = 0.999,
                 eps: float = 1e-8) -> None:
        self.params, self.b1, self.b2, self.eps, self.t = params, b1, b2, eps, 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    @torch.no_grad()
    def step(self, grads: tuple[torch.Tensor, ...], lr: float) -> None:
        """One bias-corrected Adam update with learning rate lr."""
        self.t += 1
        torch._foreach_lerp_(self.m, grads, 1 - self.b1)          # m <- b1 m + (1-b1) g
        torch._foreach_mul_(self.v, self.b2)
        torch._foreach_addcmul_(self.v, grads, grads, 1 - self.b2)  # v <- b2 v + (1-b2) g^2
        # sqrt of a denormal float (v of a weight whose gradient is ~1e-20) is ~40x slower than of a normal one;
        # below 1e-36 the float32 square root is far under eps's last bit anyway: flooring v there changes no update
        den = torch._foreach_clamp_min(self.v, 1e-36)
        torch._foreach_sqrt_(den)
        torch._foreach_div_(den, (1 - self.b2 ** self.t) ** 0.5)
        torch._foreach_add_(den, self.eps)
        torch._foreach_addcdiv_(self.params, self.m, den, -lr / (1 - self.b1 ** self.t))


@dataclass
class Trained:
    """A trained ladder plus its logged curves (capacity-major rows; a diverged model logs 0, ok False)."""
    ladder: Ladder
    epochs: list[int]
    train: list[torch.Tensor]   # each (C*G,)
    val: list[torch.Tensor]     # each (C*G,)
    ok: list[torch.Tensor]      # each (C*G,) bool: the model had not diverged at that log
    alive: torch.Tensor         # (C*G,) bool: False once a model's loss diverged (lab.diverged)


def train_ladder(lad: Ladder, x: torch.Tensor, y: torch.Tensor, w_tr: torch.Tensor,
                 x_ev: torch.Tensor, y_ev: torch.Tensor, w_ev: torch.Tensor, *, epochs: int,
                 lr: float, wd: torch.Tensor, log_every: int,
                 on_log: Callable[[Trained, int], None] | None = None) -> Trained:
    """Full-batch Adam (cosine-decayed lr) on every model at once; logs train/eval loss.

    x, y, w_tr: (G, N) inputs, targets, 0/1 train mask; x_ev, y_ev, w_ev: (G, M) eval set;
    wd: (G,) L2 strength on weights. on_log(state, epoch) is called after each log.
    """
    adam = Adam(lad.params)
    C = lad.depth + 1
    out = Trained(lad, [], [], [], [], torch.ones(C * lad.groups, dtype=torch.bool))
    wds = [wd] + [wd.repeat(lad.depth - l) for l in range(lad.depth)] + [wd.repeat(lad.depth)]
    decay = bool(wd.any())
    for e in range(epochs + 1):
        loss = masked_mse(forward(lad, x), y, w_tr)                  # (C*G,)
        out.alive &= ~diverged(loss.detach())
        if e % log_every == 0 or e == epochs:
            ev = masked_mse(predict(lad, x_ev), y_ev, w_ev)
            out.alive &= ~diverged(ev)
            out.epochs.append(e)
            out.train.append(loss.detach().where(out.alive, 0.0))
            out.val.append(ev.where(out.alive, 0.0))
            out.ok.append(out.alive.clone())
            if on_log is not None:
                on_log(out, e)
        if e == epochs or not bool(out.alive.any()):
            break
        obj = loss.where(out.alive, 0.0).sum()        # models are independent: sum = train each
        if decay:                                     # no weight decay anywhere: skip ~50 ops per step
            obj = obj + sum((w * (p ** 2).sum((1, 2))).sum() for w, p in zip(wds, lad.weights))
        grads = torch.autograd.grad(obj, lad.params)
        adam.step(grads, lr * 0.5 * (1 + math.cos(math.pi * e / epochs)))
    return out


# ---------------------------------------------------------------- logged curves -> tidy frames
def logged(t: Trained) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Logged train, val losses and not-diverged flags as (L logs, C capacities, G groups) tensors."""
    C = t.ladder.depth + 1
    return tuple(torch.stack(v).view(len(v), C, -1) for v in (t.train, t.val, t.ok))


def tidy(epochs: list[int], tr: torch.Tensor, va: torch.Tensor, ok: torch.Tensor,
         keys: dict[str, list]) -> pd.DataFrame:
    """Long rows (<keys>, epoch, split, loss) from (L, K) curves; diverged models left out.

    keys: column name -> K labels (e.g. {"depth": [0, 1, ...]})."""
    L, K = tr.shape
    rows = [{**{c: v[k] for c, v in keys.items()}, "epoch": epochs[i], "split": sp, "loss": float(x[i, k])}
            for i in range(L) for k in range(K) if ok[i, k] for sp, x in (("train", tr), ("val", va))]
    return pd.DataFrame(rows, columns=[*keys, "epoch", "split", "loss"])


def live(progress: Progress | None, total: int, keys: dict[str, list], reduce=None):
    """on_log callback streaming group 0's (or reduce()'s) curves to progress ~20 times."""
    step = max(1, total // 20)

    def on_log(t: Trained, e: int) -> None:
        if progress is None or e == total or (e % step and e):
            return
        tr, va, ok = logged(t)
        tr, va, ok = reduce(tr, va, ok) if reduce else (tr[..., 0], va[..., 0], ok[..., 0])
        progress(e / total, tidy(t.epochs, tr, va, ok, keys))
    return on_log


def all_ok(tr: torch.Tensor, va: torch.Tensor, ok: torch.Tensor):
    """Averaged curves count as not diverged only if no averaged run did (ok is a mean of 0/1)."""
    return tr, va, ok == 1
