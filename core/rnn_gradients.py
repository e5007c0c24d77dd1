"""Gradients through time: vanishing and exploding in a tanh RNN vs an LSTM, and gradient clipping.

Chapter 5 of the notes. Every number here is measured with autograd on an unrolled cell: the loss
sits on the last step, and we ask how large dL/dh_t is for every earlier step t.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import torch

from core.lab import Progress, check_int, check_range, generator, report

X_SCALE = 0.3  # small inputs keep tanh out of saturation, so the recurrent scale sets the regime
LOG_FLOOR, LOG_CEIL = -45.0, 38.5  # float32 range: 0 underflows below, inf overflows above
SWEEP_SCALES = tuple(round(0.25 * k, 2) for k in range(2, 21))  # 0.5 .. 5.0 for the RNN heatmap
SWEEP_BIASES = tuple(float(b) for b in range(-2, 7))  # -2 .. 6 for the LSTM heatmap
SPIKE_FACTOR = 10.0  # a "spike": loss jumps above 10x the lowest loss seen so far (or inf/NaN)


@dataclass(frozen=True)
class FlowConfig:
    T: int = 50  # 10..200 steps; the loss is on step T
    hidden: int = 64  # 8..128 units; larger H gives steadier (self-averaging) norms
    rnn_scale: float = 0.8  # 0.1..5.0 spectral radius of W_hh (<1 vanishes, >1 explodes)
    forget_bias: float = 3.0  # -2..8; PyTorch's init is ~0, which makes an LSTM vanish too
    seed: int = 0  # 0..9999

    def __post_init__(self):
        check_int("T", self.T, 10, 200)
        check_int("hidden", self.hidden, 8, 128)
        check_range("rnn_scale", self.rnn_scale, 0.1, 5.0)
        check_range("forget_bias", self.forget_bias, -2.0, 8.0)
        check_int("seed", self.seed, 0, 9999)


@dataclass(frozen=True)
class FlowResult:
    flow: pd.DataFrame  # model, t, grad_norm, log10_norm, exploded, vanished
    rnn_sweep: pd.DataFrame  # scale, t, grad_norm, log10_norm, exploded, vanished
    lstm_sweep: pd.DataFrame  # forget_bias, t, grad_norm, log10_norm, exploded, vanished
    rnn_ratio: float  # ||dL/dh_1|| / ||dL/dh_T|| for the RNN (inf when exploded)
    lstm_ratio: float  # same for the LSTM


def _ratio(norms: torch.Tensor) -> float:
    """||dL/dh_1|| / ||dL/dh_T|| for one (T,) row of norms; inf when it overflowed or is NaN."""
    r = (norms[0].double() / norms[-1].double()).item()
    return r if math.isfinite(r) else math.inf


def _tidy(norms: torch.Tensor, key: str, keys) -> pd.DataFrame:
    """(S, T) norms -> tidy rows; inf/NaN become exploded=True with the norm capped, 0 -> vanished."""
    S, T = norms.shape
    exploded = ~torch.isfinite(norms)  # (S, T)
    vanished = norms == 0
    capped = torch.where(exploded, torch.full_like(norms, 10.0**LOG_CEIL), norms).double()
    log10 = capped.clamp_min(10.0**LOG_FLOOR).log10().clamp(LOG_FLOOR, LOG_CEIL)
    return pd.DataFrame({
        key: [k for k in keys for _ in range(T)],
        "t": list(range(1, T + 1)) * S,
        "grad_norm": capped.flatten().tolist(),
        "log10_norm": log10.flatten().tolist(),
        "exploded": exploded.flatten().tolist(),
        "vanished": vanished.flatten().tolist(),
    })


def _rnn_norms(Q, U, x, y, scales) -> torch.Tensor:
    """||dL/dh_t|| for tanh RNNs with W_hh = scale * Q, one per scale; returns (S, T)."""
    S, H = len(scales), Q.shape[0]
    W = torch.tensor(scales).view(S, 1, 1) * Q  # (S, H, H)
    Ux = x @ U.T  # (T, H): the same inputs drive every scale
    h = torch.zeros(S, H, 1, requires_grad=True)
    hs = []
    for t in range(x.shape[0]):
        h = torch.tanh(torch.bmm(W, h) + Ux[t].view(1, H, 1))  # (S, H, 1)
        hs.append(h)
    L = 0.5 * ((hs[-1].squeeze(-1) - y) ** 2).sum()  # summed over S: each slice gets its own grads
    grads = torch.autograd.grad(L, hs)
    # float64 norm: in float32 the sum of squares overflows once elements pass ~1e19, long before they do
    return torch.stack([g.flatten(1).double().norm(dim=1) for g in grads], 1)  # (S, T)


def _lstm_norms(W_x, W_h, b, x, y, forget_biases) -> torch.Tensor:
    """||dL/dh_t|| for LSTMs (gate order i, f, g, o as PyTorch) with the forget bias set; (S, T)."""
    S, H = len(forget_biases), W_h.shape[1]
    b = b.repeat(S, 1)  # (S, 4H)
    b[:, H:2 * H] = torch.tensor(forget_biases).view(S, 1)  # forget gate = slice [H:2H]
    Wx_x = x @ W_x.T  # (T, 4H)
    h = torch.zeros(S, H, requires_grad=True)
    c = torch.zeros(S, H)
    hs = []
    for t in range(x.shape[0]):
        z = h @ W_h.T + Wx_x[t] + b  # (S, 4H)
        i, f, g, o = z.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)  # (S, H)
        h = torch.sigmoid(o) * torch.tanh(c)
        hs.append(h)
    L = 0.5 * ((hs[-1] - y) ** 2).sum()
    grads = torch.autograd.grad(L, hs)
    return torch.stack([g.double().norm(dim=1) for g in grads], 1)  # (S, T)


def run_gradient_flow(cfg: FlowConfig = FlowConfig(), progress: Progress | None = None) -> FlowResult:
    """Measure ||dL/dh_t|| (loss on the last step) for an RNN and an LSTM, plus heatmap sweeps."""
    g = generator(cfg.seed)
    H, T = cfg.hidden, cfg.T
    Q = torch.linalg.qr(torch.randn(H, H, generator=g))[0]  # orthogonal: every singular value is 1
    U = torch.randn(H, 1, generator=g)
    x = X_SCALE * torch.randn(T, 1, generator=g)  # (T, 1) one shared input sequence
    y = torch.randn(H, generator=g)  # target for h_T
    k = 1 / math.sqrt(H)  # PyTorch's LSTM init: U(-1/sqrt(H), 1/sqrt(H))
    W_x = (2 * torch.rand(4 * H, 1, generator=g) - 1) * k
    W_h = (2 * torch.rand(4 * H, H, generator=g) - 1) * k
    b = (2 * torch.rand(4 * H, generator=g) - 1) * k

    scales = (float(cfg.rnn_scale),) + SWEEP_SCALES
    rnn = _rnn_norms(Q, U, x, y, scales)  # (1 + S, T)
    biases = (float(cfg.forget_bias),) + SWEEP_BIASES
    lstm = _lstm_norms(W_x, W_h, b, x, y, biases)
    flow = pd.concat([_tidy(rnn[:1], "model", ["rnn"]), _tidy(lstm[:1], "model", ["lstm"])],
                     ignore_index=True)
    res = FlowResult(flow=flow, rnn_sweep=_tidy(rnn[1:], "scale", SWEEP_SCALES),
                     lstm_sweep=_tidy(lstm[1:], "forget_bias", SWEEP_BIASES),
                     rnn_ratio=_ratio(rnn[0]), lstm_ratio=_ratio(lstm[0]))
    if progress is not None:  # the whole section takes well under 0.5 s: one report at the end
        progress(1.0, flow)
    return res


# --- clipping: the same tanh RNN, trained in the exploding regime ---------------------------
RUNS = ("no_clip", "clip", "low_lr")  # lr without clipping, lr with clipping, lr_low without


@dataclass(frozen=True)
class ClipConfig:
    scale: float = 3.0  # 0.5..5.0 spectral radius of W_hh at init; 3 = the "exploding" preset
    threshold: float = 1.0  # 0.1..100 max gradient norm of the clipped run
    lr: float = 0.1  # 0.001..1.0 SGD step size of the no_clip and clip runs
    lr_low: float = 0.01  # 0.0001..1.0 SGD step size of the low_lr run (no clipping)
    T: int = 30  # 5..40 sequence length
    steps: int = 200  # 10..400 full-batch SGD steps
    seed: int = 0  # 0..9999

    def __post_init__(self):
        check_range("scale", self.scale, 0.5, 5.0)
        check_range("threshold", self.threshold, 0.1, 100.0)
        check_range("lr", self.lr, 0.001, 1.0)
        check_range("lr_low", self.lr_low, 0.0001, 1.0)
        check_int("T", self.T, 5, 40)
        check_int("steps", self.steps, 10, 400)
        check_int("seed", self.seed, 0, 9999)


@dataclass(frozen=True)
class ClipResult:
    history: pd.DataFrame  # run, step, loss, grad_norm, applied_norm, spike (rows stop at divergence)
    summary: pd.DataFrame  # run, lr, clipped, diverged, diverged_step, n_spikes, final_loss,
    #                        max_grad_norm, max_step  (max_step = lr * largest applied norm)


def _clip_data(cfg: ClipConfig, g: torch.Generator, n: int = 64):
    """Task: predict 3 * mean(x) at the last step from x ~ N(0, 1); target variance ~ 9 / T."""
    x = torch.randn(n, cfg.T, 1, generator=g)  # (N, T, 1)
    return x, 3 * x.mean(1)  # (N, 1)


def _clip_params(cfg: ClipConfig, g: torch.Generator, H: int = 32, M: int = len(RUNS)):
    """One identical initial RNN per run, stacked on a leading model dimension M."""
    Q = torch.linalg.qr(torch.randn(H, H, generator=g))[0]
    W = cfg.scale * Q  # (H, H) spectral radius = scale
    U = torch.randn(H, 1, generator=g)
    v = torch.randn(1, H, generator=g) / math.sqrt(H)
    init = [W, U, torch.zeros(H, 1), v, torch.zeros(1, 1)]
    return [p.expand(M, *p.shape).clone().requires_grad_() for p in init]


def _clip_loss(params, x, y) -> torch.Tensor:
    """MSE of every run's RNN at the last step; returns (M,)."""
    W, U, b, v, c = params  # (M,H,H) (M,H,1) (M,H,1) (M,1,H) (M,1,1)
    M, N, H = W.shape[0], x.shape[0], W.shape[1]
    Ux = torch.einsum("mhd,ntd->tmhn", U, x)  # (T, M, H, N)
    h = torch.zeros(M, H, N)
    for t in range(x.shape[1]):
        h = torch.tanh(torch.bmm(W, h) + Ux[t] + b)  # (M, H, N)
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
            if not (math.isfinite(lm) and math.isfinite(gm)):
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
