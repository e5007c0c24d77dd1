"""The small CNN of the pooling lesson and the loop that trains several of them side by side."""
from __future__ import annotations

import math
import time
from typing import Callable

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

from core.lab import Progress, diverged, generator, report

N_EVAL = 300  # training images scored after each epoch (a fixed subset keeps evaluation cheap)
BATCH = 32
HISTORY_COLS = ["model", "pool", "epoch", "split", "loss", "accuracy"]


def _max_pool(x: torch.Tensor) -> torch.Tensor:
    """2x2 max pooling (B, C, H, W) -> (B, C, H/2, W/2).

    Without autograd the max of four strided views gives the identical result several times
    faster than F.max_pool2d on CPU; training keeps F.max_pool2d for its lean backward.
    """
    if torch.is_grad_enabled():
        return F.max_pool2d(x, 2)
    x = x[..., : x.shape[-2] // 2 * 2, : x.shape[-1] // 2 * 2]  # an odd last row/col is dropped
    return torch.maximum(torch.maximum(x[..., ::2, ::2], x[..., 1::2, ::2]),
                         torch.maximum(x[..., ::2, 1::2], x[..., 1::2, 1::2]))


class CNN(nn.Module):
    """n_conv x [conv (stride 1, 'same' padding) -> ReLU -> optional 2x2 pool] -> flatten -> fc."""

    def __init__(self, n_conv: int, channels: int, kernel: int, pool: str, size: int,
                 n_classes: int, g_conv: torch.Generator, g_fc: torch.Generator):
        super().__init__()
        self.pool = pool
        c_in = [1] + [channels] * (n_conv - 1)
        self.convs = nn.ModuleList(nn.Conv2d(c, channels, kernel, padding=kernel // 2) for c in c_in)
        side = size // 2**n_conv if pool != "none" else size
        self.fc = nn.Linear(channels * side * side, n_classes)
        for conv in self.convs:  # the same g_conv state for both nets -> identical conv weights
            nn.init.kaiming_normal_(conv.weight, nonlinearity="relu", generator=g_conv)
            nn.init.zeros_(conv.bias)
        nn.init.normal_(self.fc.weight, std=1 / math.sqrt(self.fc.in_features), generator=g_fc)
        nn.init.zeros_(self.fc.bias)

    def trace(self, x: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
        """Every layer's output, named, from the input (B, 1, S, S) to the logits (B, K)."""
        out = [("input", x)]
        for i, conv in enumerate(self.convs, 1):
            x = F.relu(conv(x))  # (B, C, H, W)
            out.append((f"conv{i}", x))
            if self.pool != "none":
                x = _max_pool(x) if self.pool == "max" else F.avg_pool2d(x, 2)  # (B, C, H/2, W/2)
                out.append((f"pool{i}", x))
        x = x.flatten(1)  # (B, C*H*W)
        out.append(("flatten", x))
        out.append(("fc", self.fc(x)))  # (B, K)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B, K) for images (B, 1, S, S)."""
        return self.trace(x)[-1][1]


def _loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy; a module-level hook so tests can force a divergence."""
    return F.cross_entropy(logits, y)


@torch.no_grad()
def _score(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """(mean loss, accuracy in %) of net on (x, y)."""
    logits = net(x)
    return float(_loss(logits, y)), float((logits.argmax(1) == y).double().mean()) * 100


def _twins(g: torch.Generator, pools: dict[str, str], **arch) -> dict[str, CNN]:
    """One CNN per name with the given pooling, all starting from the same conv weights."""
    init_seed = int(torch.randint(2**31 - 1, (1,), generator=g))
    nets = {}
    for k, pool in pools.items():
        g_init = generator(init_seed)  # replayed per net: identical conv weights at the start
        nets[k] = CNN(pool=pool, g_conv=g_init, g_fc=g_init, **arch)
    return nets


def train_together(nets: dict[str, nn.Module], data: tuple[torch.Tensor, ...], epochs: int, lr: float,
                   g: torch.Generator, progress: Progress | None = None, span: float = 1.0,
                   augment: dict[str, Callable[[torch.Tensor], torch.Tensor]] | None = None,
                   ) -> tuple[pd.DataFrame, dict[str, float], set[str]]:
    """Minibatch Adam on all nets with the same batches; rows model, pool, epoch, split, loss, accuracy.

    data = (x_train, y_train, x_test, y_test); training reports progress from 0 up to span.
    augment maps a net name to a batch transform (data augmentation for that net only).
    Returns the history, each net's measured training seconds, and the names that diverged.
    """
    x_tr, y_tr, x_te, y_te = data
    seconds, stopped, rows = {k: 0.0 for k in nets}, set(), []

    def evaluate(epoch: int) -> None:
        for k, net in nets.items():
            if k in stopped:
                continue
            for split, (x, y) in (("train", (x_tr[:N_EVAL], y_tr[:N_EVAL])), ("test", (x_te, y_te))):
                loss, acc = _score(net, x, y)
                if diverged(loss):
                    stopped.add(k)
                    break
                rows.append(dict(model=k, pool=net.pool, epoch=epoch, split=split, loss=loss, accuracy=acc))

    evaluate(0)
    report(progress, 0.0, rows)
    opts = {k: torch.optim.Adam(net.parameters(), lr=lr) for k, net in nets.items()}
    for epoch in range(1, epochs + 1):
        perm = torch.randperm(len(y_tr), generator=g)
        for idx in perm.split(BATCH):
            xb, yb = x_tr[idx], y_tr[idx]  # (B, 1, S, S), (B,)
            for k, net in nets.items():
                if k in stopped:
                    continue
                t0 = time.perf_counter()
                xk = augment[k](xb) if augment and k in augment else xb
                loss = _loss(net(xk), yb)
                if diverged(loss):
                    stopped.add(k)
                    continue
                opts[k].zero_grad()
                loss.backward()
                opts[k].step()
                seconds[k] += time.perf_counter() - t0
        evaluate(epoch)
        report(progress, span * epoch / epochs, rows)
    return pd.DataFrame(rows, columns=HISTORY_COLS), seconds, stopped
