"""Memory tasks for chapter 5: the adding problem (RNN vs LSTM) and an echo task (Elman vs Jordan)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn

from core.lab import Progress, check_int, check_range, generator, report

ADDING_BASELINE = 1 / 6  # MSE of always predicting 1: Var(u1 + u2) = 2 / 12 for u ~ U(0, 1)
ECHO_BASELINE = math.log(2)  # BCE (nats) of guessing 0.5 for a fair random bit


@dataclass(frozen=True)
class AddingConfig:
    T: int = 30  # 10..50 sequence length; one marker in each half, so the delay is ~T/2
    hidden: int = 32  # 8..64
    batch: int = 64  # 16..128 fresh sequences per step, the same ones for both models
    steps: int = 400  # 50..600 Adam steps
    lr: float = 0.02  # 0.0001..0.1
    forget_bias: float = 2.0  # -2..6 LSTM forget-gate bias at init (PyTorch's own is ~0)
    seed: int = 0  # 0..9999

    def __post_init__(self):
        check_int("T", self.T, 10, 50)
        check_int("hidden", self.hidden, 8, 64)
        check_int("batch", self.batch, 16, 128)
        check_int("steps", self.steps, 50, 600)
        check_range("lr", self.lr, 0.0001, 0.1)
        check_range("forget_bias", self.forget_bias, -2.0, 6.0)
        check_int("seed", self.seed, 0, 9999)


@dataclass(frozen=True)
class AddingResult:
    history: pd.DataFrame  # model, step, mse (training batch; rows stop if a model diverges)
    gates: pd.DataFrame  # t, gate (input/forget/output), value (mean over units), one test sequence
    sequence: pd.DataFrame  # t, value, marker: the test sequence the gates were read on
    rnn_mse: float  # final MSE on 512 held-out sequences (inf if diverged)
    lstm_mse: float
    diverged: tuple[str, ...]  # models whose loss went inf/NaN


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
            if alive[name] and not math.isfinite(loss.item()):
                alive[name] = False
            if alive[name]:
                rows.append({"model": name, "step": step, "mse": loss.item()})
        if step % 10 == 0:
            report(progress, step / cfg.steps, rows)
    with torch.no_grad():
        mse = {n: ((_predict(m, n, x_test) - y_test) ** 2).mean().item() for n in alive}
        gates = lstm_gates(m["lstm"], x_test[0]).mean(2)  # (T, 3) mean over units
    mse = {n: v if alive[n] and math.isfinite(v) else math.inf for n, v in mse.items()}
    history = pd.DataFrame(rows)
    report(progress, 1.0, rows)
    T = cfg.T
    return AddingResult(
        history=history,
        gates=pd.DataFrame({"t": [t for t in range(1, T + 1) for _ in range(3)],
                            "gate": ["input", "forget", "output"] * T,
                            "value": gates.flatten().nan_to_num(0.5).tolist()}),
        sequence=pd.DataFrame({"t": range(1, T + 1), "value": x_test[0, :, 0].tolist(),
                               "marker": x_test[0, :, 1].tolist()}),
        rnn_mse=mse["rnn"], lstm_mse=mse["lstm"],
        diverged=tuple(n for n in ("rnn", "lstm") if not alive[n]))


# --- Elman (hidden state fed back) vs Jordan (output fed back) ------------------------------
# What each network feeds back, as edges for a small diagram (kind "feedback" = the recurrence).
FEEDBACK_EDGES = pd.DataFrame([
    ("elman", "x_t", "h_t", "input"), ("elman", "h_{t-1}", "h_t", "feedback"), ("elman", "h_t", "y_t", "output"),
    ("jordan", "x_t", "h_t", "input"), ("jordan", "y_{t-1}", "h_t", "feedback"), ("jordan", "h_t", "y_t", "output"),
], columns=["model", "source", "target", "kind"])


@dataclass(frozen=True)
class EchoConfig:
    delay: int = 2  # 1..5: output at t must be the input bit from t - delay
    T: int = 20  # 10..30 bits per sequence
    hidden: int = 16  # 4..64
    steps: int = 200  # 50..500 Adam steps
    lr: float = 0.02  # 0.0001..0.1
    seed: int = 0  # 0..9999

    def __post_init__(self):
        check_int("delay", self.delay, 1, 5)
        check_int("T", self.T, 10, 30)
        check_int("hidden", self.hidden, 4, 64)
        check_int("steps", self.steps, 50, 500)
        check_range("lr", self.lr, 0.0001, 0.1)
        check_int("seed", self.seed, 0, 9999)


@dataclass(frozen=True)
class EchoResult:
    history: pd.DataFrame  # model (elman/jordan), step, loss (BCE in nats; chance = ln 2)
    edges: pd.DataFrame  # model, source, target, kind: what is fed back (FEEDBACK_EDGES)
    elman_loss: float  # final loss on 256 held-out sequences
    jordan_loss: float


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
    rows = []
    for step in range(cfg.steps):
        x = torch.randint(0, 2, (64, cfg.T), generator=g).float()  # (N, T) fresh random bits
        loss = _echo_loss(p, x, cfg.delay)
        opt.zero_grad()
        loss.sum().backward()
        opt.step()
        for name, l in zip(("elman", "jordan"), loss.tolist()):
            if math.isfinite(l):
                rows.append({"model": name, "step": step, "loss": l})
        if step % 10 == 0:
            report(progress, step / cfg.steps, rows)
    with torch.no_grad():
        final = _echo_loss(p, x_test, cfg.delay).nan_to_num(math.inf).tolist()
    report(progress, 1.0, rows)
    return EchoResult(history=pd.DataFrame(rows), edges=FEEDBACK_EDGES.copy(),
                      elman_loss=final[0], jordan_loss=final[1])
