"""Elman vs Jordan: which feedback can remember a bit from `delay` steps ago.

Elman feeds back its hidden state h_{t-1}; Jordan feeds back only its previous output y_{t-1}, one probability
that must also be its own answer: it can pass on some of the bit just seen (delay 1), and on this task nothing of
a bit three or more steps back (tests/test_rnn_gradients.py). Guessing scores ECHO_BASELINE.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn

from core.lab import Progress, diverged, generator, param, report, seed_param, validate

ECHO_BASELINE = math.log(2)  # BCE (nats) of guessing 0.5 for a fair random bit
LEARNED = ECHO_BASELINE / 2  # a network "echoes the bit" when its held-out loss is below half of guessing's
NEAR_CHANCE = 0.95 * ECHO_BASELINE  # above this it is at chance: it carried (almost) nothing of the bit

# What each network feeds back, as edges for a small diagram (kind "feedback" = the recurrence).
FEEDBACK_EDGES = pd.DataFrame([
    ("elman", "x_t", "h_t", "input"), ("elman", "h_{t-1}", "h_t", "feedback"), ("elman", "h_t", "y_t", "output"),
    ("jordan", "x_t", "h_t", "input"), ("jordan", "y_{t-1}", "h_t", "feedback"), ("jordan", "h_t", "y_t", "output"),
], columns=["model", "source", "target", "kind"])


@dataclass(frozen=True)
class EchoConfig:
    """One echo run: how far back the bit is, sequence length, width, Adam steps and lr."""

    delay: int = param(2, lo=1, hi=5, step=1)  # output at t must be the input bit from t - delay
    T: int = param(20, lo=10, hi=30, step=5)  # bits per sequence
    hidden: int = param(16, lo=4, hi=64, step=4)  # units of both networks
    steps: int = param(200, lo=50, hi=500, step=50)  # Adam steps
    lr: float = param(0.02, lo=0.0001, hi=0.1)  # Adam step size of both networks
    seed: int = seed_param()

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class EchoResult:
    """Training curves of both networks, their feedback diagrams and held-out losses."""

    history: pd.DataFrame  # model (elman/jordan), step, loss (BCE in nats; chance = ln 2); rows stop at divergence
    edges: pd.DataFrame  # model, source, target, kind: what is fed back (FEEDBACK_EDGES)
    elman_loss: float  # final loss on 256 held-out sequences (inf if diverged)
    jordan_loss: float
    diverged: tuple[str, ...]  # models whose loss diverged (core.lab.diverged)


def _echo_loss(p: dict, x: torch.Tensor, delay: int) -> torch.Tensor:
    """BCE of Elman (index 0) and Jordan (index 1) on bits x (N, T); returns (2,)."""
    N, T = x.shape
    H = p["W_x"].shape[1]
    h = torch.zeros(2, N, H)  # Elman's memory: the hidden state
    y_prev = torch.zeros(2, N, 1)  # Jordan's memory: its previous output probability (one number)
    logits = []
    for t in range(T):
        fed = torch.stack([h[0] @ p["W_h"], y_prev[1] @ p["w_y"]])  # (2, N, H)
        h = torch.tanh(x[None, :, t, None] * p["W_x"][:, None] + fed + p["b"][:, None])
        z = (h @ p["v"]).squeeze(-1) + p["c"][:, None]  # (2, N)
        y_prev = torch.sigmoid(z)[..., None]
        logits.append(z)
    z = torch.stack(logits, -1)[:, :, delay:]  # (2, N, T - delay): targets exist from t = delay
    target = x[:, :-delay].expand(2, N, T - delay)
    return nn.functional.binary_cross_entropy_with_logits(z, target, reduction="none").mean((1, 2))


def run_echo(cfg: EchoConfig = EchoConfig(), progress: Progress | None = None) -> EchoResult:
    """Train Elman and Jordan networks on echoing the bit from `delay` steps ago; loss per step."""
    g = generator(cfg.seed)
    H, k = cfg.hidden, 1 / math.sqrt(cfg.hidden)
    u = lambda *shape: ((2 * torch.rand(*shape, generator=g) - 1) * k)  # noqa: E731
    p = {"W_x": u(2, H), "W_h": u(H, H), "w_y": u(1, H) * math.sqrt(H), "b": u(2, H),
         "v": u(2, H, 1), "c": torch.zeros(2)}  # index 0 = Elman, 1 = Jordan (W_h, w_y are each one's)
    for t in p.values():
        t.requires_grad_()
    opt = torch.optim.Adam(p.values(), lr=cfg.lr)
    x_test = torch.randint(0, 2, (256, cfg.T), generator=g).float()
    rows, alive = [], {"elman": True, "jordan": True}
    for step in range(cfg.steps):
        x = torch.randint(0, 2, (64, cfg.T), generator=g).float()  # (N, T) fresh random bits
        loss = _echo_loss(p, x, cfg.delay)  # (2,)
        opt.zero_grad()
        loss.sum().backward()  # each model owns its own rows of p: a diverged one cannot spoil the other
        opt.step()
        for name, l in zip(("elman", "jordan"), loss.tolist()):
            alive[name] = alive[name] and not diverged(l)
            if alive[name]:
                rows.append({"model": name, "step": step, "loss": l})
        if step % 10 == 0:
            report(progress, step / cfg.steps, rows)
    with torch.no_grad():
        final = dict(zip(alive, _echo_loss(p, x_test, cfg.delay).tolist()))
    final = {n: v if alive[n] and not diverged(v) else math.inf for n, v in final.items()}
    report(progress, 1.0, rows)
    return EchoResult(history=pd.DataFrame(rows), edges=FEEDBACK_EDGES.copy(),
                      elman_loss=final["elman"], jordan_loss=final["jordan"],
                      diverged=tuple(n for n in alive if not alive[n]))


def echo_verdict(r: EchoResult) -> dict[str, str]:
    """Each network's result in words: "learned" (below LEARNED), "chance" (at or above NEAR_CHANCE) or "some"."""
    loss = {"elman": r.elman_loss, "jordan": r.jordan_loss}
    return {m: "learned" if v < LEARNED else "chance" if v >= NEAR_CHANCE else "some" for m, v in loss.items()}
