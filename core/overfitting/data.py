"""The data of the overfitting lesson (a noisy 1-D curve) and the config every section shares."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from core.lab import param, seed_param, validate
from core.points import Points

N_VAL = 300      # validation points: enough that the val curve's noise is small next to the U
N_TEST = 2000    # the "large fresh test set" that defines the truly best capacity
N_GRID = 161     # points where fitted curves are drawn


def true_curve(x: torch.Tensor) -> torch.Tensor:
    """The hidden function: wiggly enough that a line underfits, smooth enough for a small MLP."""
    return torch.sin(5 * x)


def jitter_grid(n: int, g: torch.Generator) -> torch.Tensor:
    """n training inputs: both ends of [-1, 1], then one uniform draw per equal cell in between,
    so new points never need extrapolation and the overfitting shows *between* the points."""
    inner = (torch.arange(n - 2) + torch.rand(n - 2, generator=g)) / (n - 2) * 2 - 1
    return torch.cat([torch.tensor([-1.0, 1.0]), inner])  # (n,)


def uniform_x(n: int, g: torch.Generator) -> torch.Tensor:
    """n fresh inputs uniform on [-1, 1] (validation and test points)."""
    return torch.rand(n, generator=g) * 2 - 1  # (n,)


def fold_masks(n: int, k: int, g: torch.Generator) -> torch.Tensor:
    """(k, n) 0/1 masks of the held-out points of each fold of a random k-fold split."""
    fold = torch.empty(n, dtype=torch.long)
    fold[torch.randperm(n, generator=g)] = torch.arange(n) % k
    return (fold[None, :] == torch.arange(k)[:, None]).float()


def noisy(x: torch.Tensor, noise: float, g: torch.Generator) -> torch.Tensor:
    """Targets y = f(x) + noise * N(0, 1)."""
    return true_curve(x) + noise * torch.randn(x.shape, generator=g)


@dataclass(frozen=True)
class LadderConfig:
    """Data and training budget shared by every section."""
    # bounds keep the largest setting within ~15 s on one core (measured <= ~9.5 s per section,
    # idle core); sections that train more ladders at once re-declare narrower bounds
    n_train: int = param(20, lo=8, hi=100, step=1)  # few points, so the deep models can memorise the noise
    noise: float = param(0.5, lo=0.0, hi=1.5, step=0.1)  # std of the label noise (irreducible loss = noise**2)
    max_depth: int = param(5, lo=2, hi=6, step=1)  # hidden layers; the ladder is 0 (a line) .. max_depth
    width: int = param(32, options=(4, 8, 16, 32, 48))  # units per hidden layer
    epochs: int = param(500, lo=50, hi=1000, step=50)  # the same for every model: deepest memorises n points, not 2n
    lr: float = param(0.01, options=(1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1), log=True)  # peak, cosine-decayed to 0
    seed: int = seed_param()

    def __post_init__(self) -> None:
        validate(self)


def _data(cfg: LadderConfig, g: torch.Generator, extra: int = 0):
    """One data set: n_train (+ extra) training points and N_VAL validation points.

    Returns x, y (n_train + extra,) and xv, yv (N_VAL,)."""
    x = torch.cat([jitter_grid(cfg.n_train, g), uniform_x(extra, g)])
    xv = uniform_x(N_VAL, g)
    return x, noisy(x, cfg.noise, g), xv, noisy(xv, cfg.noise, g)


OWN_TRAIN = 100  # your own data: at most this many points train (the built-in n_train's bound: the same cost) ...
OWN_VAL = N_VAL  # ... and at most this many others validate


def own_data(points: Points, g: torch.Generator):
    """Your own (xs, ys) for the ladder: x scaled to [-1, 1] and y to mean 0, std 1 (the range the ladder's init
    and learning rates are made for), shuffled by the seed, split into training and validation points
    (about 70 / 30, at least 2 validate; at most OWN_TRAIN and OWN_VAL points are used).

    Returns x, y (n_train,) and xv, yv (n_val,), like _data."""
    x, y = (torch.tensor(v, dtype=torch.float32) for v in points)   # (N,) each
    span = x.max() - x.min()
    x = (x - x.min()) / span * 2 - 1 if span > 0 else torch.zeros_like(x)
    sd = y.std()
    y = (y - y.mean()) / sd if sd > 0 else y - y.mean()
    order = torch.randperm(len(x), generator=g)
    n_val = max(2, len(x) * 3 // 10)
    tr, va = order[n_val:][:OWN_TRAIN], order[:n_val][:OWN_VAL]
    return x[tr], y[tr], x[va], y[va]
