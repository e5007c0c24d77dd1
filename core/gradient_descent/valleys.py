"""Chapter 1: gradient descent "may only find a local minimum; adjusting the learning rate may help, but even then
not necessarily the global minimum" — on the smallest network whose loss surface has two valleys.

The network is one bump made of two sigmoid units (the next lesson builds curves from such pieces):

    f(x) = h * (sigmoid(STEEP * (x - a) + STEEP * HALF) - sigmoid(STEEP * (x - a) - STEEP * HALF))

Its two parameters are the bump's position a (both units' bias moves with it) and its height h (the output weight;
negative: a dip). The points have a hill and a shallower dip, and one bump can cover only one of them: the hill is
the global minimum, the dip a local one. Every run starts all of RATES from the same (a0, h0), batched: the loss of
the batch is the sum of independent losses, so autograd gives each run its own gradient and each path is plain
gradient descent. The points are fixed (no randomness): every seed shows the same surface.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import pandas as pd
import torch

from core.lab import Progress, diverged, param, report, seed_param, validate

RATES = (0.5, 1.0, 2.0, 4.0)  # one path per rate; all below 2 / the largest curvature at either minimum (~6.3)
STEEP, HALF = 3.0, 1.0  # the sigmoids' slope and the bump's half-width: a smooth bump about 2 wide
HILL, DIP = (-2.0, 1.0), (2.0, -0.6)  # (position, height) of the points' hill and dip
N_POINTS, SPAN = 17, 4.0  # points evenly spread on [-SPAN, SPAN]
SETTLED = 0.01  # a run within this distance of a minimum (in the (a, h) plane) has ended in it
FLAT = 1e-6  # elsewhere, a gradient norm below this: stopped where the loss is flat (e.g. the bump slid off the points)
ENDS = ("global", "local", "moving", "flat", "diverged")  # every way a run can end, in the order the page lists them
A_BOX, H_BOX = (-4.5, 4.5), (-3.25, 3.25)  # the surface chart's window: every start the sliders offer, with a margin


@dataclass(frozen=True)
class ValleyConfig:
    """One start, all of RATES from it."""

    a0: float = param(1.0, lo=-4.0, hi=4.0, step=0.25)  # starting position of the bump
    h0: float = param(2.5, lo=-3.0, hi=3.0, step=0.25)  # starting height (negative: a dip)
    steps: int = param(300, lo=1, hi=1000, step=1)  # full-batch gradient steps per rate (300: every preset settles)
    seed: int = seed_param()  # nothing random here: the points are fixed; every config carries the page's seed

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class ValleyResult:
    """Tidy frames for the charts: the points, each rate's path, the surface, how each run ended, the minima."""

    data: pd.DataFrame  # x, y: the fixed points
    paths: pd.DataFrame  # lr, step, a, h, loss — one row per rate and step (a run that blew up stops there)
    surface: pd.DataFrame  # a, h, loss on a grid over A_BOX x H_BOX
    ends: pd.DataFrame  # lr, a, h, loss, grad_norm, end (global | local | flat | moving | diverged)
    minima: pd.DataFrame  # kind (global, local), a, h, loss
    fits: pd.DataFrame  # kind (global, local), x, y: the bump at each minimum


def bump(a: torch.Tensor, h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The network's output: a (..., 1), h (..., 1) and x (N,) -> (..., N)."""
    z = STEEP * (x - a)
    return h * (torch.sigmoid(z + STEEP * HALF) - torch.sigmoid(z - STEEP * HALF))


def points() -> tuple[torch.Tensor, torch.Tensor]:
    """The fixed points: x evenly spread, y = a hill plus a shallower dip (each the bump's own shape)."""
    x = torch.linspace(-SPAN, SPAN, N_POINTS, dtype=torch.float64)  # (N,)
    (ha, hh), (da, dh) = (torch.tensor(p, dtype=torch.float64) for p in (HILL, DIP))
    return x, bump(ha, hh, x) + bump(da, dh, x)


def loss_fn(a: torch.Tensor, h: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared error of the bump at (a, h); a and h may carry batch dims in front: (...) -> (...)."""
    return ((bump(a.unsqueeze(-1), h.unsqueeze(-1), x) - y) ** 2).mean(-1)


@functools.lru_cache(maxsize=1)
def minima() -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """(a, h, loss) of the global and the local minimum: Newton's method from the hill's and the dip's own
    parameters, with autograd's gradient and Hessian (the 2 x 2 solve written out: no LAPACK call)."""
    x, y = points()
    found = []
    for a, h in (HILL, DIP):
        p = torch.tensor([a, h], dtype=torch.float64)
        for _ in range(30):  # quadratic convergence: a handful of steps reach machine precision
            f = lambda q: loss_fn(q[0], q[1], x, y)  # noqa: E731
            g = torch.autograd.functional.jacobian(f, p)  # (2,)
            (haa, hah), (_, hhh) = torch.autograd.functional.hessian(f, p).tolist()
            det = haa * hhh - hah * hah
            p = p - torch.tensor([hhh * g[0] - hah * g[1], haa * g[1] - hah * g[0]], dtype=torch.float64) / det
        found.append((float(p[0]), float(p[1]), float(loss_fn(p[0], p[1], x, y))))
    return tuple(sorted(found, key=lambda m: m[2]))  # lowest loss first: the global minimum


def descend(cfg: ValleyConfig, x: torch.Tensor, y: torch.Tensor, progress: Progress | None = None) -> list[dict]:
    """Every rate from (a0, h0) at once; returns one row per rate and step. A run whose loss blows up stops."""
    lr = torch.tensor(RATES, dtype=torch.float64)  # (R,)
    a = torch.full((len(RATES),), cfg.a0, dtype=torch.float64, requires_grad=True)  # (R,)
    h = torch.full((len(RATES),), cfg.h0, dtype=torch.float64, requires_grad=True)  # (R,)
    alive = torch.ones(len(RATES), dtype=torch.bool)
    rows: list[dict] = []
    every = max(1, cfg.steps // 10)
    for step in range(cfg.steps + 1):
        loss = loss_fn(a, h, x, y)  # (R,): each run's own loss
        if step:  # the start is always kept; a run that blows up later ends before that step
            alive &= ~diverged(loss.detach())
        rows += [{"lr": r, "step": step, "a": av, "h": hv, "loss": lv} for r, av, hv, lv, ok in
                 zip(RATES, a.tolist(), h.tolist(), loss.tolist(), alive.tolist()) if ok]
        if step == cfg.steps or not alive.any():
            break
        ga, gh = torch.autograd.grad(loss.sum(), (a, h))  # the runs are independent: d(sum)/d(a_i) = dL_i/d(a_i)
        with torch.no_grad():
            a -= torch.where(alive, lr * ga, 0.0)
            h -= torch.where(alive, lr * gh, 0.0)
        if step % every == 0:
            report(progress, step / cfg.steps, rows)
    return rows


def surface(x: torch.Tensor, y: torch.Tensor, n: int = 41) -> pd.DataFrame:
    """The loss on an n x n (a, h) grid over the chart's window (the same for every start)."""
    a = torch.linspace(*A_BOX, n, dtype=torch.float64)  # (n,)
    h = torch.linspace(*H_BOX, n, dtype=torch.float64)  # (n,)
    A, H = torch.meshgrid(a, h, indexing="ij")  # (n, n) each
    L = loss_fn(A, H, x, y)  # (n, n)
    return pd.DataFrame({"a": A.flatten().numpy(), "h": H.flatten().numpy(), "loss": L.flatten().numpy()})


def ending(a: float, h: float, grad_norm: float, blew_up: bool) -> str:
    """Where a run ended: in the global or the local minimum, stopped on a flat stretch, still moving, diverged."""
    if blew_up:
        return "diverged"
    for kind, (ma, mh, _) in zip(("global", "local"), minima()):
        if math.hypot(a - ma, h - mh) < SETTLED:
            return kind
    return "flat" if grad_norm < FLAT else "moving"


def ends(paths: pd.DataFrame, x: torch.Tensor, y: torch.Tensor, steps: int) -> pd.DataFrame:
    """One row per rate: its last point, loss, gradient norm there (autograd) and where it ended."""
    last = paths.groupby("lr", sort=False).tail(1).reset_index(drop=True)
    a = torch.tensor(last.a.to_numpy(), requires_grad=True)  # (R,)
    h = torch.tensor(last.h.to_numpy(), requires_grad=True)  # (R,)
    ga, gh = torch.autograd.grad(loss_fn(a, h, x, y).sum(), (a, h))
    norm = (ga**2 + gh**2).sqrt().tolist()
    end = [ending(r.a, r.h, g, r.step < steps) for r, g in zip(last.itertuples(), norm)]
    return last.drop(columns="step").assign(grad_norm=norm, end=end)


def fits() -> pd.DataFrame:
    """The bump at each minimum on a fine x grid (for the fit chart): the hill's fit and the dip's."""
    xs = torch.linspace(-SPAN, SPAN, 161, dtype=torch.float64)  # (161,)
    return pd.concat([pd.DataFrame({"kind": kind, "x": xs.numpy(), "y": bump(
        torch.tensor(a, dtype=torch.float64), torch.tensor(h, dtype=torch.float64), xs).numpy()})
        for kind, (a, h, _) in zip(("global", "local"), minima())], ignore_index=True)


def run_valleys(cfg: ValleyConfig, progress: Progress | None = None) -> ValleyResult:
    """Gradient descent at every rate of RATES from one start on the two-valley surface."""
    x, y = points()
    paths = pd.DataFrame(descend(cfg, x, y, progress), columns=["lr", "step", "a", "h", "loss"])
    report(progress, 1.0, paths.to_dict("records"))
    (ga, gh, gl), (la, lh, ll) = minima()
    return ValleyResult(
        data=pd.DataFrame({"x": x.numpy(), "y": y.numpy()}),
        paths=paths,
        surface=surface(x, y),
        ends=ends(paths, x, y, cfg.steps),
        minima=pd.DataFrame({"kind": ["global", "local"], "a": [ga, la], "h": [gh, lh], "loss": [gl, ll]}),
        fits=fits(),
    )
