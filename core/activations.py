"""Chapter 1, activation functions: a curve built from pieces, y = b + sum_i c_i * act(b_i + w_i * x).

One piece: c * sigmoid(b + w*x) is a smooth step (b shifts it, w steepens it, c scales it; as |w| grows it
approaches a jump); c * ReLU(b + w*x) is a kink; the hard sigmoid (flat, a straight ramp, flat) is exactly two
ReLUs, c * (ReLU(b + w*x) - ReLU(b + w*x - 1)). Many pieces: the sum of k such units plus a constant, trained by
gradient descent (Adam). Every model of a run (a ladder of k for both activations and the chosen one, each from
several random starts) trains in one batch: all their units in one flat list, each unit adding into the output
of the model it belongs to.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import torch

from core.lab import Progress, diverged, generator, param, report, seed_param, validate

ACTS = ("sigmoid", "relu")
TARGETS = ("kinks", "sine")
K_LADDER = (1, 2, 4, 8, 16, 32)  # the error-against-k chart
K_MAX = 32
# the piecewise-linear target: flat, then three kinks (a constant + 3 ReLU pieces can make it exactly)
KNOTS = ((0.0, 0.3), (0.2, 0.3), (0.45, 0.9), (0.7, 0.25), (1.0, 0.65))
N_KINKS = len(KNOTS) - 2  # the interior knots
N_POINTS = 64  # x on an even grid over [0, 1]
# A ReLU's kink moves at this fraction of the learning rate. Adam moves every parameter about lr per step whatever
# its gradient's size, and a kink moving 0.03 of the data's range per step outran its height: 34% of 2000 starts of
# 3 ReLUs on the kinked curve ended with two kinks merged (error 0.47 or worse), against 6.3% at 0.2 (at 0.1, 2% of
# 200, but 32 ReLUs then ended above the floor on 75% of starts, against 26% at 0.2).
KINK_PACE = 0.2
PIECE_X = (-4.0, 4.0)  # the one-piece charts' x range
# The error-against-k chart draws relative errors (MSE / variance of the target) below this on it: an RMS error
# under 1% of the target's standard deviation. Below it, how far Adam polished the last digits (1e-13 on one start,
# 1e-6 on the next) says how training went, not how many pieces the model has: drawn as is, the 3-kink curve's
# ReLU errors zig-zagged between 1e-13 and 1e-5 against k and read as "more neurons fit worse".
FLOOR = 1e-4
ROUNDING = 1e-10  # a relative error below this is zero up to float32 rounding (exact fits end near 1e-13): exact


def act(name: str, z: torch.Tensor) -> torch.Tensor:
    """The activation called name, elementwise."""
    return torch.sigmoid(z) if name == "sigmoid" else torch.relu(z)


# --- section 1: one piece ---------------------------------------------------------------------
@dataclass(frozen=True)
class PieceConfig:
    """One piece's three numbers, shared by the sigmoid, the ReLU and the hard sigmoid drawn from them."""

    c: float = param(1.0, lo=-3.0, hi=3.0, step=0.1)  # height: scales the piece (negative flips it)
    b: float = param(0.0, lo=-10.0, hi=10.0, step=0.5)  # bias: shifts the piece along x (its centre is at -b/w)
    w: float = param(1.0, lo=-30.0, hi=30.0, step=0.5)  # weight: steepness (large |w|: the sigmoid becomes a step)
    seed: int = seed_param()  # nothing random here; every config carries the page's seed

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class PieceResult:
    """The curves of one piece and the hard-sigmoid identity's largest error."""

    curves: pd.DataFrame  # curve (sigmoid / relu / relu_a / relu_b / hard), x, y
    identity_gap: float  # max |c*(ReLU(z) - ReLU(z - 1)) - c*clamp(z, 0, 1)| over the grid (0 up to rounding)


def run_piece(cfg: PieceConfig = PieceConfig(), progress: Progress | None = None) -> PieceResult:
    """c*sigmoid(z), c*ReLU(z) and the hard sigmoid as two ReLUs, z = b + w*x, on a fine x grid."""
    x = torch.linspace(*PIECE_X, 401, dtype=torch.float64)  # (X,)
    z = cfg.b + cfg.w * x
    relu_a, relu_b = cfg.c * torch.relu(z), -cfg.c * torch.relu(z - 1)  # the hard sigmoid's two ReLUs
    hard = relu_a + relu_b
    curves = {"sigmoid": cfg.c * torch.sigmoid(z), "relu": relu_a, "relu_a": relu_a, "relu_b": relu_b, "hard": hard}
    frame = pd.concat([pd.DataFrame({"curve": k, "x": x.numpy(), "y": v.numpy()}) for k, v in curves.items()],
                      ignore_index=True)
    gap = (hard - cfg.c * z.clamp(0, 1)).abs().max().item()
    report(progress, 1.0, [])
    return PieceResult(curves=frame, identity_gap=gap)


# --- section 2: pieces add up -----------------------------------------------------------------
@dataclass(frozen=True)
class FitConfig:
    """One fit: the target, k units of one activation; the budget (steps, learning rate, restarts); the seed."""

    target: str = param("kinks", options=TARGETS)  # a piecewise-linear curve with 3 kinks, or a sine
    units: int = param(3, lo=1, hi=K_MAX, step=1)  # k: neurons in the hidden layer
    act: str = param("relu", options=ACTS)
    steps: int = param(1000, lo=100, hi=2000, step=100)  # Adam steps, full batch
    lr: float = param(0.03, options=(0.001, 0.003, 0.01, 0.03, 0.1), log=True)
    restarts: int = param(4, lo=1, hi=6, step=1)  # random starts per model; the best one is shown
    seed: int = seed_param()

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class FitResult:
    """The chosen model's fit, its pieces and loss curve, and the error against k for both activations."""

    data: pd.DataFrame  # x, y: the target on the grid
    fit: pd.DataFrame  # x, y: the chosen model's best restart
    pieces: pd.DataFrame  # unit (1..k, 0 = the constant b), x, y = c_i * act(b_i + w_i * x)
    history: pd.DataFrame  # step, rel_mse: the chosen model, best restart so far
    sweep: pd.DataFrame  # act, k, rel_mse (best of the restarts, after the last step), shown (rel_mse, at least
                         # FLOOR: what the error-against-k chart draws): every model of the run, the chosen one too
    starts: pd.DataFrame  # act, k, start (1..restarts), rel_mse: every random start's final error, every model
    params: pd.DataFrame  # unit, w, b, c of the chosen model's best restart (unit 0: the constant, in b)
    rel_mse: float  # the chosen model's final MSE / variance of the target (its row of sweep)
    dead: int  # ReLU units that are 0 at every data point (kink at or past the data's edge, facing away from the
               # data): every one of their parameters gets zero gradient. Facing the data, such a ReLU is on at
               # every point instead: one straight line over all of it, not dead.
    diverged: bool  # the chosen model's loss blew up (core.lab.diverged)


def target(name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The target curve on N_POINTS even points of [0, 1]: (x, y), each (N,)."""
    x = torch.linspace(0, 1, N_POINTS)
    if name == "sine":
        return x, 0.5 + 0.4 * torch.sin(2 * math.pi * x)
    kx, ky = (torch.tensor(v) for v in zip(*KNOTS))
    i = torch.searchsorted(kx, x, right=True).clamp(1, len(kx) - 1)  # segment of each x
    t = (x - kx[i - 1]) / (kx[i] - kx[i - 1])
    return x, ky[i - 1] + t * (ky[i] - ky[i - 1])


class _Batch:
    """Every model of a run as one flat list of units: unit j belongs to model owner[j]; ReLU units come first.

    No padding: a model with k units has exactly k rows, and each activation is computed only on its own units.
    """

    def __init__(self, ks: list[int], acts: list[str]):
        units = [(m, j, k) for a in ("relu", "sigmoid") for m, (k, am) in enumerate(zip(ks, acts)) if am == a
                 for j in range(k)]
        self.models = len(ks)
        self.owner = torch.tensor([m for m, _, _ in units])  # (U,): the model each unit adds into
        self.n_relu = sum(1 for m, _, _ in units if acts[m] == "relu")
        self.slot = torch.tensor([(j, k) for _, j, k in units], dtype=torch.float32)  # (U, 2): unit j of k

    def init(self, y: torch.Tensor, g: torch.Generator) -> list[torch.Tensor]:
        """w, p (kink) of the ReLU units, p (centre) of the sigmoid units, c per unit and the constant b per model,
        kinks and centres spread over [0, 1].

        A unit's kink sits at x = p = -b/w. Drawn at random without care, many kinks fall outside the data, and
        such a piece bends nothing where the data is: facing away from the data it is 0 at every point and gets
        zero gradient (a dead unit); facing it, it is one straight line over all of it. So a model's k kinks start
        spread over the data's range, one at a random spot in each k-th of it.
        """
        U, relu = len(self.owner), torch.arange(len(self.owner)) < self.n_relu
        at = (self.slot[:, 0] + torch.rand(U, generator=g)) / self.slot[:, 1]  # (U,)
        # every piece starts rising to the right (w > 0); its height c, of either sign, sets which way the curve
        # bends there. A ReLU that opens to the left would add a slope across the range left of its kink, which
        # the constant and the other pieces would have to cancel.
        w = torch.where(relu, 1 + 2 * torch.rand(U, generator=g), 5 + 10 * torch.rand(U, generator=g))
        c = 0.1 * torch.randn(U, generator=g)  # small random heights: from 0 (all equal), ReLU fits of the sine stall
        b0 = y.mean().expand(self.models).clone()  # (M,)
        return [p.requires_grad_() for p in (w, at[:self.n_relu], at[self.n_relu:], c, b0)]

    def pieces(self, params, x: torch.Tensor) -> torch.Tensor:
        """Each unit's contribution c_i * act(b_i + w_i * x) = c_i * act(w_i * (x - p_i)): (U, N).

        Training moves the kink p_i = -b_i / w_i itself (b_i = -w_i * p_i): the same model, but a kink then
        moves at the same pace however steep its unit is.
        """
        w, at, c = params[0], torch.cat(params[1:3]), params[3]
        z = w.unsqueeze(-1) * (x - at.unsqueeze(-1))  # (U, N)
        a = torch.cat([torch.relu(z[:self.n_relu]), torch.sigmoid(z[self.n_relu:])])
        return c.unsqueeze(-1) * a

    def forward(self, params, x: torch.Tensor) -> torch.Tensor:
        """Every model's output b + sum of its units: (M, N)."""
        out = torch.zeros(self.models, len(x)).index_add(0, self.owner, self.pieces(params, x))
        return out + params[4].unsqueeze(-1)


def models(cfg: FitConfig) -> list[tuple[int, str]]:
    """The (k, activation) of every model a run trains: the ladder of both activations, and the chosen one (once:
    a chosen k on the ladder is that ladder's model), ordered by activation, then k."""
    ladder = {(k, a) for a in ACTS for k in K_LADDER} | {(cfg.units, cfg.act)}
    return sorted(ladder, key=lambda s: (ACTS.index(s[1]), s[0]))


def run_fit(cfg: FitConfig = FitConfig(), progress: Progress | None = None) -> FitResult:
    """Train the chosen model and the k ladder of both activations together, from `restarts` starts each."""
    g = generator(cfg.seed)
    x, y = target(cfg.target)  # (N,), (N,)
    var = y.var(unbiased=False).item()
    settings, R = models(cfg), cfg.restarts
    first = R * settings.index((cfg.units, cfg.act))
    mine = slice(first, first + R)  # the chosen model's restarts
    batch = _Batch([k for k, _ in settings for _ in range(R)], [a for _, a in settings for _ in range(R)])
    params = batch.init(y, g)
    w, kinks, centres, c, b0 = params
    opt = torch.optim.Adam([{"params": [w, centres, c, b0]}, {"params": [kinks], "lr": cfg.lr * KINK_PACE}],
                           lr=cfg.lr, fused=True)
    # the step size shrinks along a cosine to 1/20: big steps find the kinks, small ones settle them
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.steps, eta_min=cfg.lr / 20)
    rows, best = [], math.inf
    for step in range(cfg.steps + 1):
        mse = ((batch.forward(params, x) - y) ** 2).mean(1)  # (M,)
        if step % 10 == 0 or step == cfg.steps:
            best = min(best, mse[mine].min().item())
            rows.append({"step": step, "rel_mse": best / var})
        if step % 100 == 0:
            report(progress, step / cfg.steps, rows)
        if step == cfg.steps or diverged(mse[mine].min()).item():
            break
        opt.zero_grad()
        mse.sum().backward()  # models share nothing: each gets its own gradient
        opt.step()
        sched.step()
        with torch.no_grad():  # a kink past the data's edge bends nothing there (see _Batch.init): keep kinks inside
            kinks.clamp_(0.0, 1.0 - 1.0 / N_POINTS)
            centres.clamp_(0.0, 1.0 - 1.0 / N_POINTS)
    report(progress, 1.0, rows)
    final = torch.where(torch.isfinite(mse), mse, torch.full_like(mse, math.inf)).detach() / var  # (M,)
    return _result(cfg, batch, params, settings, final, rows)


def _result(cfg: FitConfig, batch: _Batch, params: list[torch.Tensor], settings: list[tuple[int, str]],
            final: torch.Tensor, rows: list[dict]) -> FitResult:
    """The frames of a finished run: the chosen model's best restart in full, every model's best final error."""
    x, y = target(cfg.target)  # (N,), (N,)
    R = cfg.restarts
    first = R * settings.index((cfg.units, cfg.act))
    i = first + int(final[first:first + R].argmin())  # the chosen model's best restart
    with torch.no_grad():
        units = batch.owner == i  # its units
        parts = batch.pieces(params, x)[units]  # (k, N)
        w, at, c = (p.detach()[units] for p in (params[0], torch.cat(params[1:3]), params[3]))
        b0 = params[4].detach()[i]
        b = -w * at  # the bias of the formula b_i + w_i * x
    best_of = final.view(len(settings), R).min(1).values  # (S,)
    sweep = pd.DataFrame({"act": [a for _, a in settings], "k": [k for k, _ in settings], "rel_mse": best_of.tolist()})
    sweep["shown"] = sweep.rel_mse.clip(lower=FLOOR)
    starts = pd.DataFrame({"act": [a for _, a in settings for _ in range(R)], "k": [k for k, _ in settings for _ in range(R)],
                           "start": list(range(1, R + 1)) * len(settings), "rel_mse": final.tolist()})
    pieces = pd.concat([pd.DataFrame({"unit": 0, "x": x.numpy(), "y": float(b0)})] +
                       [pd.DataFrame({"unit": u + 1, "x": x.numpy(), "y": parts[u].numpy()}) for u in range(cfg.units)],
                       ignore_index=True)
    table = pd.DataFrame({"unit": range(cfg.units + 1), "w": [math.nan] + w.tolist(),
                          "b": [float(b0)] + b.tolist(), "c": [math.nan] + c.tolist()})
    fit = pd.DataFrame({"x": x.numpy(), "y": (parts.sum(0) + b0).numpy()})
    return FitResult(data=pd.DataFrame({"x": x.numpy(), "y": y.numpy()}), fit=fit, pieces=pieces,
                     history=pd.DataFrame(rows), sweep=sweep, starts=starts, params=table, rel_mse=float(final[i]),
                     dead=dead_units(w, b, x) if cfg.act == "relu" else 0,
                     diverged=diverged(float(final[i]) * y.var(unbiased=False).item()))


def largest_rise(sweep: pd.DataFrame) -> tuple[float, str, int, int]:
    """The largest rise of the drawn error (`shown`) from one k of a run's sweep to the next, over both
    activations: (ratio after / before, activation, k before, k after); ratio <= 1: it never rises."""
    worst = (0.0, "", 0, 0)
    for a, f in sweep.groupby("act", sort=False):
        e = f.set_index("k").shown.sort_index()  # (K,)
        for k0, k1 in zip(e.index[:-1], e.index[1:]):
            worst = max(worst, (float(e[k1] / e[k0]), a, int(k0), int(k1)))
    return worst


def dead_units(w: torch.Tensor, b: torch.Tensor, x: torch.Tensor) -> int:
    """How many ReLU units ReLU(b_i + w_i * x), w and b (k,), are 0 at every point of x (N,): z <= 0 everywhere,
    so the unit's output and the gradient of all its parameters are 0 on this data."""
    z = w.unsqueeze(-1) * x + b.unsqueeze(-1)  # (k, N)
    return int((z <= 0).all(1).sum())


def parameter_count(units: int) -> int:
    """w_i, b_i and c_i for every unit, plus the constant b."""
    return 3 * units + 1
