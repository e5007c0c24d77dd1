"""Gradient clipping: one tanh RNN (or LSTM) in the exploding regime, trained three ways from the same init.

no_clip (lr), clip (lr + norm clipping) and low_lr (lr_low, no clipping): clipping bounds every step,
a smaller learning rate only shrinks an exploded step.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import torch

from core.lab import Progress, diverged, generator, param, report, seed_param, validate

RUNS = ("no_clip", "clip", "low_lr")  # lr without clipping, lr with clipping, lr_low without
SPIKE_FACTOR = 10.0  # a "spike": loss jumps above 10x the lowest loss seen so far (or inf/NaN)
THRESHOLDS = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)  # clipping bounds on a log ladder
LRS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)  # the learning-rate ladder of the no_clip and clip runs


@dataclass(frozen=True)
class ClipConfig:
    """One clipping comparison: initial scale, clipping threshold, the two learning rates, T, steps."""

    model: str = param("rnn", options=("rnn", "lstm"))  # a tanh RNN, or an LSTM (forget bias 3, gate open)
    scale: float = param(3.0, lo=0.5, hi=10.0, step=0.5)  # spectral radius of W_hh (each LSTM gate's block) at init
    threshold: float = param(1.0, options=THRESHOLDS, log=True)  # max gradient norm of the clip run
    lr: float = param(0.1, options=LRS, log=True)  # SGD step size of the no_clip and clip runs
    lr_low: float = param(0.01, options=(0.0001, 0.0003) + LRS, log=True)  # SGD step size of low_lr (no clipping)
    T: int = param(30, lo=5, hi=40, step=5)  # sequence length
    steps: int = param(200, lo=10, hi=400, step=10)  # full-batch SGD steps
    seed: int = seed_param()

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class ClipResult:
    """Per-step loss and gradient norms of the three runs, and one summary row per run."""

    history: pd.DataFrame  # run, step, loss, grad_norm, applied_norm, spike (rows stop at divergence)
    summary: pd.DataFrame  # run, lr, clipped, diverged, diverged_step, n_spikes, final_loss,
    #                        max_grad_norm, max_step  (max_step = lr * largest applied norm)


def _clip_data(cfg: ClipConfig, g: torch.Generator, n: int = 64):
    """Task: predict 3 * mean(x) at the last step from x ~ N(0, 1); target variance ~ 9 / T."""
    x = torch.randn(n, cfg.T, 1, generator=g)  # (N, T, 1)
    return x, 3 * x.mean(1)  # (N, 1)


LSTM_FORGET_BIAS = 3.0  # the LSTM starts with its forget gate open: its gradient does not vanish, it can explode


def _clip_params(cfg: ClipConfig, g: torch.Generator, H: int = 32, M: int = len(RUNS)):
    """One identical initial net per run, stacked on a leading model dimension M.

    RNN: W (H, H) = scale x an orthogonal matrix. LSTM (gates i, f, g, o): W (4H, H) = scale x one orthogonal
    block per gate, forget bias LSTM_FORGET_BIAS.
    """
    gates = 4 if cfg.model == "lstm" else 1
    W = cfg.scale * torch.cat([torch.linalg.qr(torch.randn(H, H, generator=g))[0] for _ in range(gates)])
    U = torch.randn(gates * H, 1, generator=g)
    b = torch.zeros(gates * H, 1)
    if cfg.model == "lstm":
        U, b[H:2 * H] = U / math.sqrt(H), LSTM_FORGET_BIAS  # inputs at the LSTM's scale (PyTorch-like)
    v = torch.randn(1, H, generator=g) / math.sqrt(H)
    init = [W, U, b, v, torch.zeros(1, 1)]
    return [p.expand(M, *p.shape).clone().requires_grad_() for p in init]


def _clip_loss(params, x, y) -> torch.Tensor:
    """MSE of every run's net at the last step; returns (M,)."""
    W, U, b, v, c = params  # (M,G·H,H) (M,G·H,1) (M,G·H,1) (M,1,H) (M,1,1); G = 4 gates for an LSTM, else 1
    M, N, H = W.shape[0], x.shape[0], W.shape[2]
    Ux = torch.einsum("mhd,ntd->tmhn", U, x)  # (T, M, G·H, N)
    h, cell = torch.zeros(M, H, N), torch.zeros(M, H, N)
    for t in range(x.shape[1]):
        z = torch.bmm(W, h) + Ux[t] + b  # (M, G·H, N)
        if W.shape[1] == H:  # RNN
            h = torch.tanh(z)
        else:  # LSTM
            i, f, g, o = z.chunk(4, dim=1)
            cell = torch.sigmoid(f) * cell + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(cell)  # (M, H, N)
    out = torch.bmm(v, h) + c  # (M, 1, N)
    return ((out.squeeze(1) - y.T) ** 2).mean(1)  # (M,)


def run_clipping(cfg: ClipConfig = ClipConfig(), progress: Progress | None = None) -> ClipResult:
    """Full-batch SGD on one RNN three ways: lr, lr + norm clipping, lr_low; same init and data."""
    g = generator(cfg.seed)
    x, y = _clip_data(cfg, g)
    params = _clip_params(cfg, g)
    lr = torch.tensor([cfg.lr, cfg.lr, cfg.lr_low], dtype=torch.float64)
    tau = torch.tensor([math.inf, cfg.threshold, math.inf], dtype=torch.float64)
    alive = [True] * len(RUNS)
    best = [math.inf] * len(RUNS)
    rows, died = [], [None] * len(RUNS)
    for step in range(cfg.steps):
        loss = _clip_loss(params, x, y)
        grads = torch.autograd.grad(loss.sum(), params)  # runs share nothing: grads stay separate
        gn = torch.sqrt(sum((q.double().flatten(1) ** 2).sum(1) for q in grads))  # (M,)
        coef = torch.clamp(tau / gn, max=1.0) * (1 - 1e-6)  # (1 - 1e-6): float32 rounding headroom
        coef = torch.where(tau.isinf(), torch.ones_like(coef), coef)
        with torch.no_grad():
            for p, q in zip(params, grads):
                p -= (lr * coef).float().view(-1, *[1] * (p.dim() - 1)) * q
        for m, run in enumerate(RUNS):
            lm, gm = loss[m].item(), gn[m].item()
            if not alive[m]:
                continue
            # the loss follows the shared rule (core.lab.diverged); a huge but finite gradient norm is this
            # lesson's ordinary exploding regime (clipping bounds the step), but an inf/NaN one poisons the weights
            if diverged(lm) or not math.isfinite(gm):
                alive[m], died[m] = False, step
                continue
            applied = gm * coef[m].item() if math.isfinite(tau[m].item()) else gm
            spike = lm > SPIKE_FACTOR * best[m]
            best[m] = min(best[m], lm)
            rows.append({"run": run, "step": step, "loss": lm, "grad_norm": gm,
                         "applied_norm": applied, "spike": spike})
        if step % 20 == 0:
            report(progress, step / cfg.steps, rows)
    history = pd.DataFrame(rows)
    report(progress, 1.0, rows)
    return ClipResult(history=history, summary=_clip_summary(history, cfg, died))


def _clip_summary(history: pd.DataFrame, cfg: ClipConfig, died) -> pd.DataFrame:
    """One row per run: divergence, number of spikes, final loss, largest gradient and step."""
    rows = []
    for m, run in enumerate(RUNS):
        h = history[history.run == run]
        lr = cfg.lr_low if run == "low_lr" else cfg.lr
        rows.append({"run": run, "lr": lr, "clipped": run == "clip", "diverged": died[m] is not None,
                     "diverged_step": -1 if died[m] is None else died[m],
                     "n_spikes": int(h.spike.sum()), "final_loss": float(h.loss.iloc[-1]) if len(h) else math.inf,
                     "max_grad_norm": float(h.grad_norm.max()) if len(h) else math.inf,
                     "max_step": lr * float(h.applied_norm.max()) if len(h) else math.inf})
    return pd.DataFrame(rows)


def exit_step(r: ClipResult, run: str, top: float) -> int | None:
    """The step at which a run leaves a loss chart whose top is `top`: its first loss above it, else the step
    it diverged (its rows stop before that loss); None if it does neither."""
    h, died = r.history[r.history.run == run], int(r.summary.set_index("run").loc[run, "diverged_step"])
    above = h.step[h.loss > top]
    if len(above):
        return int(above.min())
    return died if died >= 0 else None


def low_lr_story(r: ClipResult, cfg: ClipConfig) -> dict:
    """What the low_lr run did next to the clipped one, in numbers a sentence can name.

    Returns outcome ("diverged", "lower" or "higher": its final loss vs the clipped run's), the two final
    losses and the common starting loss, its gradient's swing (max / min) and peak, its largest update,
    clipping's bound lr * threshold, and times = largest update / bound.
    """
    s = r.summary.set_index("run")
    h = r.history
    low, clip = h[h.run == "low_lr"], h[h.run == "clip"]
    final, final_clip = s.loc["low_lr", "final_loss"], s.loc["clip", "final_loss"]
    outcome = "diverged" if s.loc["low_lr", "diverged"] else "lower" if final < final_clip else "higher"
    bound = cfg.lr * cfg.threshold
    step = float(s.loc["low_lr", "max_step"])
    return {"outcome": outcome, "final": float(final), "final_clip": float(final_clip),
            "start": float(clip.loss.iloc[0]), "died": int(s.loc["low_lr", "diverged_step"]),
            "swing": float(low.grad_norm.max() / low.grad_norm.min()) if len(low) else math.inf,
            "gmax": float(low.grad_norm.max()) if len(low) else math.inf,
            "step": step, "bound": bound, "times": step / bound}
