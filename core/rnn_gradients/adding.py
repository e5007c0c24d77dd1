"""The adding problem: a tanh RNN and an LSTM side by side on a task that needs a memory of ~T/2 steps.

The target is the sum of the two marked values; always predicting 1 scores ADDING_BASELINE.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn

from core.lab import Progress, diverged, generator, param, report, seed_param, validate

ADDING_BASELINE = 1 / 6  # MSE of always predicting 1: Var(u1 + u2) = 2 / 12 for u ~ U(0, 1)


@dataclass(frozen=True)
class AddingConfig:
    """One adding-problem run: sequence length, width, batch, Adam steps and lr, the LSTM's forget bias."""

    T: int = param(30, lo=10, hi=50, step=5, label="add_T")  # one marker in each half, so the delay is ~T/2
    hidden: int = param(32, lo=8, hi=64, step=8)  # units of both models
    batch: int = param(64, lo=16, hi=128, step=16)  # fresh sequences per step, the same ones for both models
    steps: int = param(400, lo=50, hi=600, step=50)  # Adam steps
    lr: float = param(0.02, lo=0.0001, hi=0.1)  # Adam step size of both models
    forget_bias: float = param(2.0, lo=-2.0, hi=6.0, step=0.5)  # LSTM forget-gate bias at init (PyTorch's is ~0)
    seed: int = seed_param()

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class AddingResult:
    """Training curves of both models, the LSTM's gates on one test sequence, held-out MSEs."""

    history: pd.DataFrame  # model, step, mse (training batch; rows stop if a model diverges)
    # t, gate, value on one test sequence: input / forget / output (mean over units) and forget_top, the forget gate
    # of the unit that keeps most of what it holds from the first marked step to the end (the product of its gates)
    gates: pd.DataFrame
    sequence: pd.DataFrame  # t, value, marker: the test sequence the gates were read on
    rnn_mse: float  # final MSE on 512 held-out sequences (inf if diverged)
    lstm_mse: float
    diverged: tuple[str, ...]  # models whose loss diverged (core.lab.diverged): their rows stop there


def adding_batch(g: torch.Generator, n: int, T: int):
    """n adding-problem sequences: x (n, T, 2) = (value, marker), y (n, 1) = sum of marked values."""
    value = torch.rand(n, T, generator=g)
    first = torch.randint(0, T // 2, (n,), generator=g)
    second = torch.randint(T // 2, T, (n,), generator=g)
    marker = torch.zeros(n, T)
    rows = torch.arange(n)
    marker[rows, first] = 1.0
    marker[rows, second] = 1.0
    return torch.stack([value, marker], -1), (value * marker).sum(1, keepdim=True)


def _adding_models(cfg: AddingConfig, g: torch.Generator) -> nn.ModuleDict:
    """A tanh RNN and an LSTM, each with a linear head; all weights drawn from g."""
    H = cfg.hidden
    m = nn.ModuleDict({"rnn": nn.RNN(2, H, batch_first=True), "lstm": nn.LSTM(2, H, batch_first=True),
                       "rnn_head": nn.Linear(H, 1), "lstm_head": nn.Linear(H, 1)})
    k = 1 / math.sqrt(H)
    with torch.no_grad():
        for name in ("rnn", "lstm"):
            for p in m[name].parameters():
                nn.init.uniform_(p, -k, k, generator=g)  # PyTorch's default init, but seeded locally
        m["lstm"].bias_ih_l0[H:2 * H] = cfg.forget_bias  # forget gate = slice [H:2H]
        m["lstm"].bias_hh_l0[H:2 * H] = 0.0
        for name in ("rnn_head", "lstm_head"):
            nn.init.uniform_(m[name].weight, -0.1, 0.1, generator=g)
            nn.init.constant_(m[name].bias, 1.0)  # start at the baseline: predict the mean sum
    return m


def _predict(m: nn.ModuleDict, name: str, x: torch.Tensor) -> torch.Tensor:
    """(N, T, 2) -> (N, 1): the model's head on its last hidden state."""
    out, _ = m[name](x)  # (N, T, H)
    return m[name + "_head"](out[:, -1])


def lstm_gates(lstm: nn.LSTM, x: torch.Tensor) -> torch.Tensor:
    """Unrolled gate activations of a 1-layer LSTM on one sequence x (T, D): returns (T, 3, H)."""
    H = lstm.hidden_size
    h, c, out = torch.zeros(H), torch.zeros(H), []
    for x_t in x:
        z = lstm.weight_ih_l0 @ x_t + lstm.bias_ih_l0 + lstm.weight_hh_l0 @ h + lstm.bias_hh_l0
        i, f, gg, o = torch.sigmoid(z[:H]), torch.sigmoid(z[H:2 * H]), torch.tanh(z[2 * H:3 * H]), \
            torch.sigmoid(z[3 * H:])
        c = f * c + i * gg
        h = o * torch.tanh(c)
        out.append(torch.stack([i, f, o]))
    return torch.stack(out)  # (T, 3, H)


def run_adding(cfg: AddingConfig = AddingConfig(), progress: Progress | None = None) -> AddingResult:
    """Train an RNN and an LSTM side by side on the adding problem; MSE per step, then LSTM gates."""
    g = generator(cfg.seed)
    m = _adding_models(cfg, g)
    opt = torch.optim.Adam(m.parameters(), lr=cfg.lr)
    x_test, y_test = adding_batch(g, 512, cfg.T)
    rows, alive = [], {"rnn": True, "lstm": True}
    for step in range(cfg.steps):
        x, y = adding_batch(g, cfg.batch, cfg.T)
        losses = {name: ((_predict(m, name, x) - y) ** 2).mean() for name in alive}
        live = [l for n, l in losses.items() if alive[n]]
        if live:
            opt.zero_grad()
            sum(live).backward()  # separate parameters, so each model gets only its own gradient
            opt.step()
        for name, loss in losses.items():
            if alive[name] and diverged(loss.item()):
                alive[name] = False
            if alive[name]:
                rows.append({"model": name, "step": step, "mse": loss.item()})
        if step % 10 == 0:
            report(progress, step / cfg.steps, rows)
    with torch.no_grad():
        mse = {n: ((_predict(m, n, x_test) - y_test) ** 2).mean().item() for n in alive}
        gates = lstm_gates(m["lstm"], x_test[0]).nan_to_num(0.5)  # (T, 3, H)
    mse = {n: v if alive[n] and not diverged(v) else math.inf for n, v in mse.items()}
    history = pd.DataFrame(rows)
    report(progress, 1.0, rows)
    T = cfg.T
    first = int(x_test[0, :, 1].nonzero()[0])  # 0-based step of the first marked value
    top = gates[first + 1:, 1].double().prod(0).argmax()  # the unit whose forget gates keep most of it to the end
    shown = torch.cat([gates.mean(2), gates[:, 1, top, None]], 1)  # (T, 4)
    return AddingResult(
        history=history,
        gates=pd.DataFrame({"t": [t for t in range(1, T + 1) for _ in range(4)],
                            "gate": ["input", "forget", "output", "forget_top"] * T,
                            "value": shown.flatten().tolist()}),
        sequence=pd.DataFrame({"t": range(1, T + 1), "value": x_test[0, :, 0].tolist(),
                               "marker": x_test[0, :, 1].tolist()}),
        rnn_mse=mse["rnn"], lstm_mse=mse["lstm"],
        diverged=tuple(n for n in ("rnn", "lstm") if not alive[n]))


def forget_between_marks(r: AddingResult) -> float:
    """Mean forget-gate activation of the trained LSTM between the two marked steps of the test sequence."""
    first, second = r.sequence.t[r.sequence.marker > 0].tolist()
    f = r.gates[(r.gates.gate == "forget") & (r.gates.t > first) & (r.gates.t < second)]
    return float(f.value.mean())


def gate_story(r: AddingResult) -> dict[str, float]:
    """What the trained LSTM's gates do on the test sequence: the forget gate (mean over units) after the first mark
    up to the second, and elsewhere; the most open unit's forget gate from the first mark on (its mean, and the
    product: the share of its cell value kept to the end); the input gate (mean over units) at the marked steps and
    elsewhere."""
    first, second = r.sequence.t[r.sequence.marker > 0].tolist()
    g = r.gates.pivot(index="t", columns="gate", values="value")  # t = 1 .. T
    marked, f = g.index.isin([first, second]), g.forget
    top = g.forget_top[g.index > first]
    span = (g.index > first) & (g.index <= second)  # the steps that carry the first value to the second mark
    return {"between": float(f[span].mean()), "outside": float(f[~span].mean()),
            "top_mean": float(top.mean()), "keep": float(top.prod()), "steps": len(top),
            "in_marks": float(g.input[marked].mean()), "in_else": float(g.input[~marked].mean())}
