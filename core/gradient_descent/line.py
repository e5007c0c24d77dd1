"""Chapter 1, the three steps of machine learning: model y = b + w*x, a loss, gradient descent.

The whole tab is plain autograd on two parameters, so every number on the page can be
checked by hand: the loss surface is the same loss evaluated on a (b, w) grid, and the
path is what `loss.backward()` and `p -= lr * p.grad` produce step by step. The exact
minimiser, the stability limit and the fastest rate are closed forms in plain Python floats
(math.fsum), so the same data gives the same bits on every call (LAPACK's lstsq did not).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import torch

from core.lab import Progress, diverged, generator, param, report, seed_param, validate
from core.points import Points

LOSSES = ("mse", "mae")
# The page offers learning rates on a 1-2-5 log ladder, from hopelessly slow to divergent.
LR_CHOICES = (1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 1.0, 2.0)
OUTLIER_X, OUTLIER_RISE = 1.9, 10.0  # the outlier: one reading at the right edge, 10 units above the trend
ESCAPE_STEPS = 2  # the surface grid always holds the path's first steps, so a diverging run is seen escaping
PAIRS_UP_TO = 201  # MAE's exact fit checks all point pairs up to the built-in data's most points (n 200 + outlier)


@dataclass(frozen=True)
class GDConfig:
    """Everything that determines one gradient-descent run, seed included."""

    loss: str = param("mse", options=LOSSES)  # mean squared error or mean absolute error
    lr: float = param(0.1, options=LR_CHOICES, log=True)  # MSE diverges above lr_limit (it depends on the seed's data)
    steps: int = param(200, lo=1, hi=1000, step=1)  # every step is one full-batch gradient step
    b0: float = param(-4.0, lo=-10.0, hi=10.0, step=0.5)  # starting bias
    w0: float = param(-3.0, lo=-10.0, hi=10.0, step=0.5)  # starting slope
    outlier: bool = param(False)  # add one far-off point to show MSE's sensitivity
    n: int = param(20, lo=5, hi=200, step=1)  # data points
    noise: float = param(0.3, lo=0.0, hi=3.0, step=0.1)  # std of the noise around the trend
    seed: int = seed_param()

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class GDResult:
    """Tidy frames for the three charts, plus the numbers the takeaway quotes."""

    data: pd.DataFrame  # x, y, outlier (bool)
    path: pd.DataFrame  # step, b, w, loss — one row per parameter state, step 0 = start
    surface: pd.DataFrame  # b, w, loss — the loss on a grid around the path
    diverged: bool  # the loss blew up (core.lab.diverged: the path stops there) or ended above its start
    blew_up: bool  # the run was stopped early because the loss exceeded BLOWUP
    best_b: float  # the exact minimiser (least squares for MSE, best line through two points for MAE)
    best_w: float
    best_loss: float
    clean_b: float  # the exact minimiser without the outlier: how far did one point pull the fit?
    clean_w: float
    lr_limit: float  # MSE only: gradient descent diverges for lr > 2 / largest Hessian eigenvalue
    lr_fastest: float  # MSE only: 2 / (largest + smallest eigenvalue), where the slowest direction shrinks fastest
    loss_kind: str  # the loss this run minimised (cfg.loss), to evaluate it off the path


def make_data(cfg: GDConfig, points: Points | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Noisy points around y = 1 + 2x on x in [0, 2]; optionally one outlier far above. Given points (your own
    (xs, ys), core.points.parse_points) are the data instead, as they are (n, noise, outlier unused)."""
    if points is not None:
        x, y = (torch.tensor(v, dtype=torch.float64) for v in points)  # (N,) each
        return x, y, torch.zeros(len(x), dtype=torch.bool)
    g = generator(cfg.seed)
    x = torch.rand(cfg.n, generator=g, dtype=torch.float64) * 2  # (N,)
    y = 1 + 2 * x + cfg.noise * torch.randn(cfg.n, generator=g, dtype=torch.float64)
    is_out = torch.zeros(cfg.n, dtype=torch.bool)
    if cfg.outlier:  # a single wild reading at the right edge, far above the trend
        x = torch.cat([x, torch.tensor([OUTLIER_X], dtype=torch.float64)])
        y = torch.cat([y, torch.tensor([1 + 2 * OUTLIER_X + OUTLIER_RISE], dtype=torch.float64)])
        is_out = torch.cat([is_out, torch.tensor([True])])
    return x, y, is_out


def loss_fn(kind: str, b: torch.Tensor, w: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Loss of y_hat = b + w*x; b and w may carry grid dims in front: b (...,1) x (N,) -> (...)."""
    e = b + w * x - y  # (..., N) residuals
    return (e**2).mean(-1) if kind == "mse" else e.abs().mean(-1)


def best_fit(kind: str, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """The exact minimiser: closed-form least squares for MSE; for MAE the best line through two data points."""
    if kind == "mse":
        return _least_squares(x.tolist(), y.tolist())
    # MAE: convex and piecewise linear, optimum passes through two data points; check all pairs.
    i, j = torch.triu_indices(len(x), len(x), 1)
    ok = (x[i] - x[j]).abs() > 1e-12
    if len(x) > PAIRS_UP_TO or not ok.any():  # many points (your own data), or every x the same
        return _mae_fit_by_pivot(x, y)
    w_c = (y[i] - y[j])[ok] / (x[i] - x[j])[ok]  # (P,)
    b_c = y[i][ok] - w_c * x[i][ok]
    losses = loss_fn("mae", b_c.unsqueeze(1), w_c.unsqueeze(1), x, y)  # (P,)
    k = int(losses.argmin())
    return float(b_c[k]), float(w_c[k])


def _least_squares(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """MSE's minimiser w = cov(x, y) / var(x), b = mean y - w mean x, in exactly rounded sums (math.fsum): no
    LAPACK call, so the same data gives the same bits every time. With every x the same, the minima form a line
    (b + w x = mean y); this takes its point nearest the origin, as a least-squares solver does."""
    n = len(xs)
    mx, my = math.fsum(xs) / n, math.fsum(ys) / n
    if max(xs) == min(xs):
        return my / (1 + mx * mx), my * mx / (1 + mx * mx)
    sxx = math.fsum((a - mx) ** 2 for a in xs)
    sxy = math.fsum((a - mx) * (c - my) for a, c in zip(xs, ys))
    w = sxy / sxx
    return my - w * mx, w


def _mae_fit_by_pivot(x: torch.Tensor, y: torch.Tensor, chunk: int = 128) -> tuple[float, float]:
    """best_fit for MAE on many points (your own data) in O(N^2 log N) time and O(chunk * N) memory.

    A line through point i has b = y_i - w x_i, so N * its loss is sum_j |x_j - x_i| * |s_ij - w| (s_ij: the slope
    from i to j) plus sum |y_j - y_i| over the points with x_j = x_i, which w does not change: the best w is a
    weighted median of the slopes. The best of these N lines is the optimum (an optimum passes through two data
    points; with every x the same, the slope is 0 and b a median of y)."""
    best = (math.inf, 0.0, 0.0)
    for lo in range(0, len(x), chunk):
        dx, dy = x[None, :] - x[lo:lo + chunk, None], y[None, :] - y[lo:lo + chunk, None]  # (C, N) each
        ok = dx.abs() > 1e-12
        slope = torch.where(ok, dy / torch.where(ok, dx, 1.0), 0.0)  # (C, N)
        slope, order = slope.sort(1)
        weight = dx.abs().where(ok, 0.0).gather(1, order).cumsum(1)  # (C, N) cumulative weights
        k = (weight >= weight[:, -1:] / 2).to(torch.int8).argmax(1)  # first index at half the weight: a median
        w_c = slope.gather(1, k[:, None])  # (C, 1)
        b_c = y[lo:lo + chunk, None] - w_c * x[lo:lo + chunk, None]  # (C, 1)
        losses = loss_fn("mae", b_c, w_c, x, y)  # (C,)
        i = int(losses.argmin())
        if float(losses[i]) < best[0]:
            best = (float(losses[i]), float(b_c[i, 0]), float(w_c[i, 0]))
    return best[1], best[2]


def descend(cfg: GDConfig, x: torch.Tensor, y: torch.Tensor, progress: Progress | None = None) -> tuple[list[dict], bool]:
    """Run plain gradient descent with autograd; return one row per step and whether it diverged."""
    b = torch.tensor(cfg.b0, dtype=torch.float64, requires_grad=True)
    w = torch.tensor(cfg.w0, dtype=torch.float64, requires_grad=True)
    rows: list[dict] = []
    every = max(1, cfg.steps // 10)
    for step in range(cfg.steps + 1):
        loss = loss_fn(cfg.loss, b, w, x, y)  # () scalar
        value = loss.item()
        if step and diverged(value):  # inf, NaN or beyond core.lab.BLOWUP: stop, the path ends here (the start
                                      # is always kept: own data far from it can start above BLOWUP)
            return rows, True
        rows.append({"step": step, "b": b.item(), "w": w.item(), "loss": value})
        if step == cfg.steps:
            break
        loss.backward()
        with torch.no_grad():
            b -= cfg.lr * b.grad
            w -= cfg.lr * w.grad
        b.grad, w.grad = None, None
        if step % every == 0:
            report(progress, step / cfg.steps, rows)
    return rows, False


def surface(cfg: GDConfig, x: torch.Tensor, y: torch.Tensor, path: pd.DataFrame, best: tuple[float, float], n: int = 61) -> pd.DataFrame:
    """Loss on an n x n (b, w) grid around the start, the optimum, the first steps and the path while it stays near.

    A diverging path runs off to huge b, w; the grid keeps to where its loss was at most 4x the starting loss
    and to its first ESCAPE_STEPS steps, so the bowl stays readable and the first jumps of the escape are
    on the chart; the page clips the rest at the grid's edge (`path_in_frame`).
    """
    near = path[(path.loss <= 4 * path.loss.iloc[0]) | (path.step <= ESCAPE_STEPS)]
    bs = [cfg.b0, best[0], *near.b]
    ws = [cfg.w0, best[1], *near.w]
    pad = lambda v: max(1.0, 0.03 * (max(v) - min(v)))  # noqa: E731 — a margin that grows with a wide frame
    b_grid = torch.linspace(min(bs) - pad(bs), max(bs) + pad(bs), n, dtype=torch.float64)  # (n,)
    w_grid = torch.linspace(min(ws) - pad(ws), max(ws) + pad(ws), n, dtype=torch.float64)  # (n,)
    B, W = torch.meshgrid(b_grid, w_grid, indexing="ij")  # (n, n) each
    L = torch.stack([loss_fn(cfg.loss, B[i].unsqueeze(-1), W[i].unsqueeze(-1), x, y) for i in range(n)])  # (n, n):
    # one grid row at a time, so 2,000 points of your own data need (n, N) temporaries, not (n, n, N) (~60 MB)
    return pd.DataFrame({"b": B.flatten().numpy(), "w": W.flatten().numpy(), "loss": L.flatten().numpy()})


def _hessian(x: torch.Tensor) -> tuple[float, float, float]:
    """MSE's constant Hessian 2/N * X^T X = [[p, q], [q, r]], in exactly rounded sums."""
    xs = x.tolist()
    return 2.0, 2 * math.fsum(xs) / len(xs), 2 * math.fsum(a * a for a in xs) / len(xs)


def lr_limit(x: torch.Tensor) -> float:
    """Largest stable learning rate for MSE: 2 / lambda_max of the Hessian (its 2 x 2 eigenvalue in closed form)."""
    p, q, r = _hessian(x)
    return 2 / ((p + r) / 2 + math.hypot((p - r) / 2, q))


def lr_fastest(x: torch.Tensor) -> float:
    """The learning rate at which MSE's error shrinks fastest near the optimum: 2 / (lambda_max + lambda_min), where
    the worst direction's factor |1 - lr * lambda| per step is smallest (just under lr_limit); the sum is the trace."""
    p, _, r = _hessian(x)
    return 2 / (p + r)


def run(cfg: GDConfig, progress: Progress | None = None, points: Points | None = None) -> GDResult:
    """Make the data (or take your own points), descend, and measure the surface around the path."""
    x, y, is_out = make_data(cfg, points)
    rows, blew_up = descend(cfg, x, y, progress)
    path = pd.DataFrame(rows, columns=["step", "b", "w", "loss"])
    best = best_fit(cfg.loss, x, y)
    b_star, w_star = torch.tensor(best, dtype=torch.float64)
    best_loss = float(loss_fn(cfg.loss, b_star, w_star, x, y))
    clean = best_fit(cfg.loss, x[~is_out], y[~is_out]) if is_out.any() else best
    report(progress, 1.0, rows)
    return GDResult(
        data=pd.DataFrame({"x": x.numpy(), "y": y.numpy(), "outlier": is_out.numpy()}),
        path=path,
        surface=surface(cfg, x, y, path, best),
        diverged=blew_up or path.loss.iloc[-1] > path.loss.iloc[0],
        blew_up=blew_up,
        best_b=best[0],
        best_w=best[1],
        best_loss=best_loss,
        clean_b=clean[0],
        clean_w=clean[1],
        lr_limit=lr_limit(x),
        lr_fastest=lr_fastest(x),
        loss_kind=cfg.loss,
    )


def converged(result: GDResult) -> bool:
    """The run ended within 1% of the lowest possible loss (for data exactly on a line, whose lowest loss is 0:
    within 1e-12 of it)."""
    return result.path.loss.iloc[-1] <= 1.01 * result.best_loss + 1e-12


def line_at(result: GDResult, step: int) -> pd.DataFrame:
    """The fitted line y = b + w*x at `step` as two end points (x, y, step) over the data's x range.

    Raises ValueError for a step the path does not have: a run that blew up ends before cfg.steps.
    """
    last = len(result.path) - 1
    if not 0 <= step <= last:
        ended = " (its loss blew up after that)" if result.blew_up else ""
        raise ValueError(f"step must be 0..{last}, the steps this run has{ended}, got {step}")
    row = result.path.iloc[step]
    xs = [float(result.data.x.min()), float(result.data.x.max())]
    return pd.DataFrame({"x": xs, "y": [row.b + row.w * v for v in xs], "step": step})


def steps_in_frame(result: GDResult) -> int:
    """The last step on the surface grid before the path leaves it for good (its last step if it ends on it)."""
    s, p = result.surface, result.path
    on = p.b.between(s.b.min(), s.b.max()) & p.w.between(s.w.min(), s.w.max())  # step 0 always is
    return int(on.to_numpy().nonzero()[0][-1])


def path_in_frame(result: GDResult, upto: int) -> pd.DataFrame:
    """The path up to step `upto` as the surface chart can draw it: the steps on the grid and, once the path
    has left it, the point where it crosses the grid's edge (a fractional step), so the escape runs off the edge."""
    k = steps_in_frame(result)
    inside = result.path[result.path.step <= min(upto, k)]
    if upto <= k:
        return inside
    a, z = result.path.iloc[k], result.path.iloc[k + 1]  # the jump that leaves the grid
    s = result.surface
    t = 1.0  # fraction of the jump still on the grid: the nearest edge it crosses
    for col in ("b", "w"):
        d = z[col] - a[col]
        edge = s[col].max() if d > 0 else s[col].min()
        if not s[col].min() <= z[col] <= s[col].max():
            t = min(t, (edge - a[col]) / d)
    b, w = a.b + t * (z.b - a.b), a.w + t * (z.w - a.w)
    x, y = (torch.tensor(result.data[c].to_numpy()) for c in ("x", "y"))
    loss = float(loss_fn(result.loss_kind, torch.tensor(b), torch.tensor(w), x, y))
    edge_row = pd.DataFrame({"step": [round(k + t, 2)], "b": [b], "w": [w], "loss": [loss]})
    return pd.concat([inside, edge_row], ignore_index=True)


def outlier_pull(result: GDResult, kind: str | None = None) -> tuple[float, float]:
    """How far the outlier moves the best line of a loss (this run's by default), at the outlier's x: (pull, gap).

    pull = best line with the outlier minus best line without it; gap = the outlier's height above the line
    without it (pull / gap is the share of the way the line moves towards it). Needs a run with the outlier.
    """
    if not result.data.outlier.any():
        raise ValueError("outlier_pull needs a run with outlier=True")
    x, y = (torch.tensor(result.data[c].to_numpy()) for c in ("x", "y"))  # (N,) each
    out = torch.tensor(result.data.outlier.to_numpy())
    kind = kind or result.loss_kind
    (b, w), (cb, cw) = best_fit(kind, x, y), best_fit(kind, x[~out], y[~out])
    x_o, y_o = float(x[out][0]), float(y[out][0])
    return (b + w * x_o) - (cb + cw * x_o), y_o - (cb + cw * x_o)
