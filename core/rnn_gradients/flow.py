"""Gradient flow through time: how large dL/dh_t is in a tanh RNN vs an LSTM (loss on the last step).

Every number is measured with autograd on an unrolled cell (nn.RNN's out.grad is not dL/dh_t).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import torch

from core.lab import Progress, generator, param, seed_param, validate

X_SCALE = 0.3  # small inputs keep tanh out of saturation, so the recurrent scale sets the regime
LOG_FLOOR, LOG_CEIL = -45.0, 38.5  # float32 range: 0 underflows below, inf overflows above
SWEEP_SCALES = tuple(round(0.25 * k, 2) for k in range(2, 21))  # 0.5 .. 5.0 for the RNN heatmap
SWEEP_BIASES = tuple(float(b) for b in range(-2, 7))  # -2 .. 6 for the LSTM heatmap


@dataclass(frozen=True)
class FlowConfig:
    """One gradient-flow measurement: sequence length, width, the RNN's scale, the LSTM's forget bias."""

    T: int = param(50, lo=10, hi=200, step=10)  # steps; the loss is on step T
    hidden: int = param(64, lo=8, hi=128, step=8)  # units; larger H gives steadier (self-averaging) norms
    rnn_scale: float = param(0.8, lo=0.1, hi=5.0, step=0.1)  # spectral radius of W_hh (<1 vanishes, >1 explodes)
    forget_bias: float = param(3.0, lo=-2.0, hi=8.0, step=0.5)  # PyTorch's init is ~0, which makes an LSTM vanish too
    seed: int = seed_param()

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class FlowResult:
    """Gradient norms per step for the chosen RNN and LSTM, and the two heatmap sweeps."""

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
