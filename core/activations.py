"""Chapter 1, activation functions: a curve built from pieces, y = b + sum_i c_i * act(b_i + w_i * x).

One piece: c * sigmoid(b + w*x) is a smooth step (b shifts it, w steepens it, c scales it); c * ReLU(b + w*x) is
a kink; the hard sigmoid is exactly two ReLUs, c * (ReLU(b + w*x) - ReLU(b + w*x - 1)). Many pieces: the sum of
k such units plus a constant, trained by gradient descent (Adam). Every model of a run (the chosen one and a
ladder of k for both activations, each from several random starts) trains in one batch: all their units in one
flat list, each unit adding into the output of the model it belongs to.
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
# the piecewise-linear target, like the notes' red curve: flat, then three kinks (a constant + 3 ReLU pieces)
KNOTS = ((0.0, 0.3), (0.2, 0.3), (0.45, 0.9), (0.7, 0.25), (1.0, 0.65))
N_KINKS = len(KNOTS) - 2  # the interior knots
N_POINTS = 64  # x on an even grid over [0, 1]
PIECE_X = (-4.0, 4.0)  # the one-piece charts' x range


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
    sweep: pd.DataFrame  # act, k, rel_mse: best of the restarts, after the last step
    params: pd.DataFrame  # unit, w, b, c of the chosen model's best restart (unit 0: the constant, in b)
    rel_mse: float  # the chosen model's final MSE / variance of the target
    dead: int  # ReLU units that are off (z <= 0) at every x: their gradient is 0, they never move
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
        """w, p (kink / centre), c per unit and the constant b per model, kinks spread over [0, 1].

        A unit's kink sits at x = p = -b/w. Drawn at random without care, most kinks fall outside the data: a
        ReLU that is off at every x gets no gradient and never moves (a dead unit), and fits stall far above the
        target. So a model's k kinks start spread over the data's range, one at a random spot in each k-th of it.
        """
        U, relu = len(self.owner), torch.arange(len(self.owner)) < self.n_relu
        at = (self.slot[:, 0] + torch.rand(U, generator=g)) / self.slot[:, 1]  # (U,)
        # every piece starts rising to the right (w > 0); its height c, of either sign, sets which way the curve
        # bends there. A ReLU that opens to the left would add a slope across the whole range others must cancel.
        w = torch.where(relu, 1 + 2 * torch.rand(U, generator=g), 5 + 10 * torch.rand(U, generator=g))
        c = 0.1 * torch.randn(U, generator=g)
        b0 = y.mean().expand(self.models).clone()  # (M,)
        return [p.requires_grad_() for p in (w, at, c, b0)]

    def pieces(self, params, x: torch.Tensor) -> torch.Tensor:
        """Each unit's contribution c_i * act(b_i + w_i * x) = c_i * act(w_i * (x - p_i)): (U, N).

        Training moves the kink p_i = -b_i / w_i itself (b_i = -w_i * p_i): the same model, but a kink then
        moves at the same pace however steep its unit is.
        """
        w, at, c, _ = params
        z = w.unsqueeze(-1) * (x - at.unsqueeze(-1))  # (U, N)
        a = torch.cat([torch.relu(z[:self.n_relu]), torch.sigmoid(z[self.n_relu:])])
        return c.unsqueeze(-1) * a

    def forward(self, params, x: torch.Tensor) -> torch.Tensor:
        """Every model's output b + sum of its units: (M, N)."""
        out = torch.zeros(self.models, len(x)).index_add(0, self.owner, self.pieces(params, x))
        return out + params[3].unsqueeze(-1)


def run_fit(cfg: FitConfig = FitConfig(), progress: Progress | None = None) -> FitResult:
    """Train the chosen model and the k ladder of both activations together, from `restarts` starts each."""
    g = generator(cfg.seed)
    x, y = target(cfg.target)  # (N,), (N,)
    var = y.var(unbiased=False).item()
    settings = [(cfg.units, cfg.act)] + [(k, a) for a in ACTS for k in K_LADDER]  # model 0..R-1: the chosen one
    R = cfg.restarts
    batch = _Batch([k for k, _ in settings for _ in range(R)], [a for _, a in settings for _ in range(R)])
    params = batch.init(y, g)
    opt = torch.optim.Adam(params, lr=cfg.lr, fused=True)
    # the step size shrinks along a cosine to 1/20: big steps find the kinks, small ones settle them exactly
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.steps, eta_min=cfg.lr / 20)
    rows, best = [], math.inf
    for step in range(cfg.steps + 1):
        mse = ((batch.forward(params, x) - y) ** 2).mean(1)  # (M,)
        if step % 10 == 0 or step == cfg.steps:
            best = min(best, mse[:R].min().item())
            rows.append({"step": step, "rel_mse": best / var})
        if step % 100 == 0:
            report(progress, step / cfg.steps, rows)
        if step == cfg.steps or diverged(mse[:R].min()).item():
            break
        opt.zero_grad()
        mse.sum().backward()  # models share nothing: each gets its own gradient
        opt.step()
        sched.step()
        with torch.no_grad():  # a kink that leaves the data would die (off everywhere): keep every kink inside
            params[1].clamp_(0.0, 1.0 - 1.0 / N_POINTS)
    report(progress, 1.0, rows)
    with torch.no_grad():
        final = torch.where(torch.isfinite(mse), mse, torch.full_like(mse, math.inf)) / var  # (M,)
        i = int(final[:R].argmin())  # the chosen model's best restart
        mine = batch.owner == i  # its units
        parts = batch.pieces(params, x)[mine]  # (k, N)
        w, at, c = (p.detach()[mine] for p in params[:3])
        b0 = params[3].detach()[i]
        b = -w * at  # the bias of the formula b_i + w_i * x
        z = w.unsqueeze(-1) * x + b.unsqueeze(-1)  # (k, N)
    best_of = final.view(len(settings), R).min(1).values  # (S,)
    sweep = pd.DataFrame({"act": [a for _, a in settings[1:]], "k": [k for k, _ in settings[1:]],
                          "rel_mse": best_of[1:].tolist()})
    pieces = pd.concat([pd.DataFrame({"unit": 0, "x": x.numpy(), "y": float(b0)})] +
                       [pd.DataFrame({"unit": u + 1, "x": x.numpy(), "y": parts[u].numpy()}) for u in range(cfg.units)],
                       ignore_index=True)
    table = pd.DataFrame({"unit": range(cfg.units + 1), "w": [math.nan] + w.tolist(),
                          "b": [float(b0)] + b.tolist(), "c": [math.nan] + c.tolist()})
    fit = pd.DataFrame({"x": x.numpy(), "y": (parts.sum(0) + b0).numpy()})
    return FitResult(data=pd.DataFrame({"x": x.numpy(), "y": y.numpy()}), fit=fit, pieces=pieces,
                     history=pd.DataFrame(rows), sweep=sweep, params=table, rel_mse=float(best_of[0]),
                     dead=int((z <= 0).all(1).sum()) if cfg.act == "relu" else 0,
                     diverged=diverged(float(best_of[0]) * var))


def parameter_count(units: int) -> int:
    """w_i, b_i and c_i for every unit, plus the constant b."""
    return 3 * units + 1
