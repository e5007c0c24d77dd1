"""Gradient flow through time: how large dL/dh_t is in a tanh RNN vs an LSTM (loss on the last step), and why
the LSTM's cell path keeps it from vanishing (but not from exploding).

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
SWEEP_BIASES = tuple(float(b) for b in range(-2, 7))  # -2 .. 6 for the LSTM forget-bias heatmap
SWEEP_LSTM_SCALES = tuple(0.5 * k for k in range(1, 21))  # 0.5 .. 10 for the LSTM recurrent-scale heatmap


@dataclass(frozen=True)
class FlowConfig:
    """One gradient-flow measurement: sequence length, width, the RNN's scale, the LSTM's forget bias."""

    T: int = param(50, lo=10, hi=200, step=10)  # steps; the loss is on step T
    hidden: int = param(64, lo=8, hi=128, step=8)  # units; larger H gives steadier (self-averaging) norms
    # spectral radius of W_hh: below 1 the gradient can only shrink going back (tanh' <= 1); above 1 it can grow
    rnn_scale: float = param(0.8, lo=0.1, hi=5.0, step=0.1)
    forget_bias: float = param(3.0, lo=-2.0, hi=8.0, step=0.5)  # PyTorch's init is ~0, which makes an LSTM vanish too
    # every gate's block of the LSTM's W_hh is lstm_scale x an orthogonal matrix; 0.5 is about PyTorch's own init
    # (uniform +-1/sqrt(H): spectral radius ~0.58); large values make the LSTM explode as well
    lstm_scale: float = param(0.5, lo=0.1, hi=10.0, step=0.1)
    seed: int = seed_param()

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class FlowResult:
    """Gradient norms per step for the chosen RNN and LSTM, the three heatmap sweeps, the LSTM's cell path."""

    flow: pd.DataFrame  # model, t, grad_norm, log10_norm, exploded, vanished
    rnn_sweep: pd.DataFrame  # scale, t, grad_norm, log10_norm, exploded, vanished
    lstm_sweep: pd.DataFrame  # forget_bias, t, grad_norm, log10_norm, exploded, vanished
    lstm_scale_sweep: pd.DataFrame  # lstm_scale, t, grad_norm, log10_norm, exploded, vanished
    cell: pd.DataFrame  # path (full / cell), t, grad_norm, ...: ||dL/dc_t|| of the chosen LSTM, all paths vs cell path
    rnn_ratio: float  # ||dL/dh_1|| / ||dL/dh_T|| for the RNN (inf when exploded)
    lstm_ratio: float  # same for the LSTM
    cell_ratio: float  # ||dL/dc_1|| / ||dL/dc_T|| along the cell path alone (a product of forget gates: <= 1)
    full_cell_ratio: float  # the same for the full gradient reaching c_1 (cell path + every path through h)
    forget_mean: float  # the LSTM's forget gate, averaged over steps and units
    # each unit's product of its own forget gates f_2 .. f_T (float64): smallest, median, largest over units.
    # cell_ratio is their average weighted by (dL/dc_T)^2 (a root mean square), so it lies between min and max
    forget_products: tuple[float, float, float]


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


def _lstm_unroll(W_h, Wx_x, b, detach_h: bool = False):
    """Unrolled LSTMs (gate order i, f, g, o as PyTorch), one per slice: W_h (S, 4H, H), Wx_x (T, 4H), b (S, 4H).

    detach_h cuts every path through the hidden state (the gates see h_{t-1}'s values, but no gradient flows
    back through them), so the only way back in time is the cell state c_t = f_t * c_{t-1} + i_t * g_t.
    Returns the lists of h_t and c_t (each (S, H)) and the forget gates (T, S, H).
    """
    S, H = b.shape[0], W_h.shape[2]
    h = torch.zeros(S, H, requires_grad=True)
    c = torch.zeros(S, H, requires_grad=True)  # a leaf, so the cell chain is in the graph even with h detached
    hs, cs, fs = [], [], []
    for t in range(Wx_x.shape[0]):
        z = torch.einsum("sh,sgh->sg", h.detach() if detach_h else h, W_h) + Wx_x[t] + b  # (S, 4H)
        i, f, g, o = z.chunk(4, dim=1)
        f = torch.sigmoid(f)
        c = f * c + torch.sigmoid(i) * torch.tanh(g)  # (S, H)
        h = torch.sigmoid(o) * torch.tanh(c)
        hs.append(h), cs.append(c), fs.append(f)
    return hs, cs, torch.stack(fs)


def _lstm_weights(blocks, b, settings):
    """Per-slice W_h (S, 4H, H) = scale x the orthogonal gate blocks, and biases (S, 4H) with the forget bias set,
    for settings = [(scale, forget_bias), ...]."""
    H = blocks.shape[1]
    W_h = torch.tensor([s for s, _ in settings]).view(-1, 1, 1) * blocks
    b = b.repeat(len(settings), 1)
    b[:, H:2 * H] = torch.tensor([f for _, f in settings]).view(-1, 1)  # forget gate = slice [H:2H]
    return W_h, b


def _lstm_norms(blocks, W_x, b, x, y, settings, detach_h: bool = False):
    """||dL/dh_t|| and ||dL/dc_t|| for LSTMs, one per (scale, forget_bias) setting, each (S, T), and the forget
    gates (T, S, H). detach_h: the cell path alone (see _lstm_unroll)."""
    W_h, b = _lstm_weights(blocks, b, settings)
    hs, cs, fs = _lstm_unroll(W_h, x @ W_x.T, b, detach_h=detach_h)
    L = 0.5 * ((hs[-1] - y) ** 2).sum()
    # one backward pass for both; with h detached, h_1 .. h_{T-1} no longer reach the loss: their gradient is 0
    grads = torch.autograd.grad(L, hs + cs, allow_unused=True, materialize_grads=True)
    norms = torch.stack([g.double().norm(dim=1) for g in grads], 1)  # (S, 2T)
    return norms[:, :len(hs)], norms[:, len(hs):], fs


def _products(f: torch.Tensor) -> tuple[float, float, float]:
    """(T - 1, H) forget gates -> (smallest, median, largest) over units of each unit's product over steps."""
    p = f.double().prod(0)  # float64: in float32 a closed unit's product underflows to 0 within a few dozen steps
    return p.min().item(), p.median().item(), p.max().item()


def crossing(r: FlowResult) -> tuple[float, float] | None:
    """Where the RNN sweep's ratio ||dL/dh_1|| / ||dL/dh_T|| first exceeds 1: (the last scale below that, the first
    scale above it), or None if no scale of the sweep grows."""
    first, last = (r.rnn_sweep.groupby("scale").grad_norm.nth(i).to_numpy() for i in (0, -1))  # t = 1, t = T
    grows = [k for k, (a, b) in enumerate(zip(first, last)) if a > b]
    return (SWEEP_SCALES[grows[0] - 1], SWEEP_SCALES[grows[0]]) if grows and grows[0] > 0 else None


def sweep_ratio(r: FlowResult, scale: float) -> float:
    """||dL/dh_1|| / ||dL/dh_T|| of the RNN sweep at one of its scales (inf if it overflowed)."""
    g = r.rnn_sweep[r.rnn_sweep.scale == scale]
    return math.inf if g.exploded.iloc[0] else float(g.grad_norm.iloc[0] / g.grad_norm.iloc[-1])


def run_gradient_flow(cfg: FlowConfig = FlowConfig(), progress: Progress | None = None) -> FlowResult:
    """Measure ||dL/dh_t|| (loss on the last step) for an RNN and an LSTM, plus heatmap sweeps, and split the
    LSTM's gradient reaching c_t into the cell path alone and all paths."""
    g = generator(cfg.seed)
    H, T = cfg.hidden, cfg.T
    Q = torch.linalg.qr(torch.randn(H, H, generator=g))[0]  # orthogonal: every singular value is 1
    U = torch.randn(H, 1, generator=g)
    x = X_SCALE * torch.randn(T, 1, generator=g)  # (T, 1) one shared input sequence
    y = torch.randn(H, generator=g)  # target for h_T
    k = 1 / math.sqrt(H)  # PyTorch's LSTM init for the input weights and biases: U(-1/sqrt(H), 1/sqrt(H))
    W_x = (2 * torch.rand(4 * H, 1, generator=g) - 1) * k
    b = (2 * torch.rand(4 * H, generator=g) - 1) * k
    blocks = torch.cat([torch.linalg.qr(torch.randn(H, H, generator=g))[0] for _ in range(4)])  # (4H, H)

    scales = (float(cfg.rnn_scale),) + SWEEP_SCALES
    rnn = _rnn_norms(Q, U, x, y, scales)  # (1 + S, T)
    chosen = (float(cfg.lstm_scale), float(cfg.forget_bias))
    settings = [chosen] + [(chosen[0], f) for f in SWEEP_BIASES] + [(s, chosen[1]) for s in SWEEP_LSTM_SCALES]
    lstm, c_all, _ = _lstm_norms(blocks, W_x, b, x, y, settings)  # (1 + B + C, T): chosen, bias sweep, scale sweep
    _, c_cell, fs = _lstm_norms(blocks, W_x, b, x, y, [chosen], detach_h=True)  # the chosen LSTM, cell path alone
    cell = torch.stack([c_all[0], c_cell[0]])  # (2, T): every path, the cell path alone
    B = 1 + len(SWEEP_BIASES)
    flow = pd.concat([_tidy(rnn[:1], "model", ["rnn"]), _tidy(lstm[:1], "model", ["lstm"])],
                     ignore_index=True)
    res = FlowResult(flow=flow, rnn_sweep=_tidy(rnn[1:], "scale", SWEEP_SCALES),
                     lstm_sweep=_tidy(lstm[1:B], "forget_bias", SWEEP_BIASES),
                     lstm_scale_sweep=_tidy(lstm[B:], "lstm_scale", SWEEP_LSTM_SCALES),
                     cell=_tidy(cell, "path", ["full", "cell"]), rnn_ratio=_ratio(rnn[0]), lstm_ratio=_ratio(lstm[0]),
                     cell_ratio=_ratio(cell[1]), full_cell_ratio=_ratio(cell[0]), forget_mean=fs.mean().item(),
                     forget_products=_products(fs[1:, 0]))
    if progress is not None:  # the whole section takes well under 0.5 s: one report at the end
        progress(1.0, flow)
    return res
