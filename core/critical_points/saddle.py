"""The smallest network with a saddle: y_hat = w1 * w2 * x, one example (x = 1, y = 1), L = (1 - w1 * w2)^2.

point   the gradient and the Hessian at a chosen (w1, w2), both by autograd (torch.autograd.functional.hessian,
        never a hand formula), the Hessian's eigenvalues and eigenvectors, what kind of point it is, and the
        second-order Taylor approximation around it next to the true surface.
escape  gradient descent started a distance eps from the saddle at the origin, for a ladder of eps trained
        together: the plateau, the escape, and how the escape takes longer the closer the start; the same with
        momentum; and one step along the Hessian's negative-curvature eigenvector, out of the saddle itself.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import torch

from core.lab import Progress, diverged, generator, param, report, seed_param, validate

LIMIT = 2.0  # the surface is drawn over [-LIMIT, LIMIT]^2
GRID = 41  # points per axis of the surface
WINDOW = 0.6  # the Taylor comparison covers the point +- WINDOW
GRAD_TOL = 1e-6  # |g| at or below this: the gradient counts as zero (a critical point)
EIG_TOL = 1e-6  # |lambda| at or below this: a flat direction (zero curvature)
EPS_LADDER = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6)  # starting distances from the saddle, trained together
ESCAPED = 0.5  # "escaped": the loss fell below half the saddle's loss (L = 1 at the origin)


def loss(w: torch.Tensor) -> torch.Tensor:
    """L(w1, w2) = (y - w1 * w2 * x)^2 with x = 1, y = 1; w (..., 2) -> (...)."""
    return (1.0 - w[..., 0] * w[..., 1] * 1.0) ** 2


def kind(g: torch.Tensor, eig: torch.Tensor) -> str:
    """What the point is, from |g| and the Hessian's eigenvalues (tolerances GRAD_TOL, EIG_TOL): slope, minimum,
    maximum, saddle, flat_minimum, flat_maximum or flat."""
    if g.norm() > GRAD_TOL:
        return "slope"  # not a critical point: the gradient still points downhill
    pos, neg = bool((eig > EIG_TOL).any()), bool((eig < -EIG_TOL).any())
    flat = bool((eig.abs() <= EIG_TOL).any())
    if pos and neg:
        return "saddle"  # curves up one way, down another: a way out exists
    if pos:
        return "flat_minimum" if flat else "minimum"
    if neg:
        return "flat_maximum" if flat else "maximum"
    return "flat"


# --- section 1: one point -------------------------------------------------------------------
@dataclass(frozen=True)
class PointConfig:
    """The point theta' = (w1, w2) to examine."""

    w1: float = param(0.0, lo=-LIMIT, hi=LIMIT, step=0.05)
    w2: float = param(0.0, lo=-LIMIT, hi=LIMIT, step=0.05)
    seed: int = seed_param()  # nothing random here; every config carries the page's seed

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class PointResult:
    """The surface, and the first- and second-order picture at the point."""

    surface: pd.DataFrame  # w1, w2, loss on a GRID x GRID grid
    loss: float  # L(theta')
    grad: list[float]  # g = dL/dw at theta'
    hessian: list[list[float]]  # H (2 x 2), by autograd
    eigenvalues: list[float]  # ascending
    eigenvectors: list[list[float]]  # eigenvectors[i] belongs to eigenvalues[i] (unit length)
    kind: str  # what kind() says
    taylor: pd.DataFrame  # surface ("true" / "taylor"), w1, w2, loss around theta'
    directions: pd.DataFrame  # name (u1 / u2 / -g), eigenvalue, w1, w2 -> w1_end, w2_end: segments for the chart


def run_point(cfg: PointConfig = PointConfig(), progress: Progress | None = None) -> PointResult:
    """Gradient and Hessian at (w1, w2) by autograd; eigen-decomposition; the Taylor model around the point."""
    theta = torch.tensor([cfg.w1, cfg.w2], dtype=torch.float64)
    g = torch.autograd.functional.jacobian(loss, theta)  # (2,)
    H = torch.autograd.functional.hessian(loss, theta)  # (2, 2)
    eig, vec = torch.linalg.eigh(H)  # ascending; vec[:, i] is the i-th eigenvector
    vec = vec * torch.where(vec[0] < 0, -1.0, 1.0)  # a sign convention: the first component is >= 0
    axis = torch.linspace(-LIMIT, LIMIT, GRID, dtype=torch.float64)
    w = torch.stack(torch.meshgrid(axis, axis, indexing="ij"), -1)  # (G, G, 2)
    surface = pd.DataFrame({"w1": w[..., 0].flatten(), "w2": w[..., 1].flatten(), "loss": loss(w).flatten()})
    # second order: L(theta) ~ L(theta') + g.d + 1/2 d.H.d, d = theta - theta'
    local = torch.linspace(-WINDOW, WINDOW, 25, dtype=torch.float64)
    d = torch.stack(torch.meshgrid(local, local, indexing="ij"), -1).reshape(-1, 2)  # (P, 2)
    approx = loss(theta) + d @ g + 0.5 * ((d @ H) * d).sum(-1)  # (P,)
    at = theta + d
    taylor = pd.concat([pd.DataFrame({"surface": s, "w1": at[:, 0], "w2": at[:, 1], "loss": v})
                        for s, v in (("true", loss(at)), ("taylor", approx))], ignore_index=True)
    report(progress, 1.0, [])
    return PointResult(surface=surface, loss=loss(theta).item(), grad=g.tolist(), hessian=H.tolist(),
                       eigenvalues=eig.tolist(), eigenvectors=vec.T.tolist(), kind=kind(g, eig), taylor=taylor,
                       directions=_directions(theta, g, eig, vec))


def _directions(theta: torch.Tensor, g: torch.Tensor, eig: torch.Tensor, vec: torch.Tensor) -> pd.DataFrame:
    """A segment of length 1 through the point along each eigenvector (its end nearer the middle of the chart
    last, where its label goes) and, where g != 0, one of length 0.6 from the point downhill along -g/|g|."""
    rows = []
    for i in range(2):
        a, b = theta + 0.5 * vec[:, i], theta - 0.5 * vec[:, i]
        a, b = (a, b) if a.abs().max() > b.abs().max() else (b, a)
        rows.append((f"u{i + 1}", eig[i].item(), *a.tolist(), *b.tolist()))
    if g.norm() > GRAD_TOL:
        rows.append(("-g", math.nan, *theta.tolist(), *(theta - 0.6 * g / g.norm()).tolist()))
    return pd.DataFrame(rows, columns=["name", "eigenvalue", "w1", "w2", "w1_end", "w2_end"])


# --- section 2: stuck near the saddle, and the way out ---------------------------------------
@dataclass(frozen=True)
class EscapeConfig:
    """Gradient descent from eps away from the saddle (the seed picks the direction); momentum; one jump."""

    eps: float = param(1e-4, options=EPS_LADDER, log=True)  # the start highlighted (every eps is trained)
    lr: float = param(0.05, options=(0.01, 0.02, 0.05, 0.1), log=True)
    momentum: float = param(0.9, lo=0.0, hi=0.95, step=0.05)  # for the momentum runs (GD runs have none)
    steps: int = param(400, lo=50, hi=2000, step=50)
    jump: float = param(0.5, lo=0.05, hi=1.5, step=0.05)  # eta: one step of this length along u from the saddle
    seed: int = seed_param()

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class EscapeResult:
    """Curves of every start and method, the steps each took to escape, and the eigenvector jump."""

    history: pd.DataFrame  # method (gd / momentum), eps, step (every step to 100, then every 10th), loss, grad_norm
    escape: pd.DataFrame  # method, eps, steps (NaN: not escaped within the budget)
    direction: list[float]  # the unit direction of every start (theta_0 = eps * direction)
    along: pd.DataFrame  # t, curve (true / taylor), loss: L along the eigenvector u through the saddle
    saddle_loss: float  # L(0) = 1
    jump_loss: float  # L(eta * u) after one step along u
    u: list[float]  # the eigenvector of the negative eigenvalue at the saddle
    diverged: bool  # a run blew up (core.lab.diverged)


def run_escape(cfg: EscapeConfig = EscapeConfig(), progress: Progress | None = None) -> EscapeResult:
    """Every eps of the ladder, with plain GD and with momentum, in one batch of 2 x len(EPS_LADDER) runs."""
    angle = 2 * math.pi * torch.rand(1, generator=generator(cfg.seed), dtype=torch.float64)
    direction = torch.cat([angle.cos(), angle.sin()])  # (2,)
    eps = torch.tensor(EPS_LADDER, dtype=torch.float64).unsqueeze(1)  # (E, 1)
    plain, heavy = (eps * direction).requires_grad_(), (eps * direction).requires_grad_()  # (E, 2) each
    opt = torch.optim.SGD([{"params": [plain], "momentum": 0.0}, {"params": [heavy], "momentum": cfg.momentum}],
                          lr=cfg.lr)
    rows, broke = [], False
    first = torch.full((2, len(EPS_LADDER)), math.nan, dtype=torch.float64)  # (method, eps): first step below ESCAPED
    for step in range(1, cfg.steps + 1):
        opt.zero_grad()
        total = loss(plain).sum() + loss(heavy).sum()  # the runs share nothing: each gets its own gradient
        total.backward()
        opt.step()
        with torch.no_grad():
            now = torch.stack([loss(plain), loss(heavy)])  # (2, E)
            first = torch.where(first.isnan() & (now < ESCAPED), float(step), first)
            if step <= 100 or step % 10 == 0:  # a log-step chart needs every early step, fewer later
                for method, w, lv in (("gd", plain, now[0]), ("momentum", heavy, now[1])):
                    gn = torch.func.grad(lambda v: loss(v).sum())(w).norm(dim=1)  # (E,) |g| at the new point
                    rows += [{"method": method, "eps": e, "step": step, "loss": a, "grad_norm": b}
                             for e, a, b in zip(EPS_LADDER, lv.tolist(), gn.tolist())]
        if (step - 1) % 50 == 0:
            report(progress, (step - 1) / cfg.steps, rows)
        if diverged(total).item():
            broke = True
            break
    history = pd.DataFrame(rows)
    escape = pd.DataFrame([{"method": m, "eps": e, "steps": first[i, j].item()}
                           for i, m in enumerate(("gd", "momentum")) for j, e in enumerate(EPS_LADDER)])
    # the way out of the saddle itself (where g = 0 and GD cannot move): the eigenvector of the negative eigenvalue
    zero = torch.zeros(2, dtype=torch.float64)
    eig, vec = torch.linalg.eigh(torch.autograd.functional.hessian(loss, zero))
    u = vec[:, 0] * (1.0 if vec[0, 0] >= 0 else -1.0)  # eig[0] < 0; sign: first component >= 0
    t = torch.linspace(-1.5, 1.5, 61, dtype=torch.float64)
    true = loss(t.unsqueeze(1) * u)  # (61,)
    quad = loss(zero) + 0.5 * eig[0] * t ** 2  # g = 0 there: L ~ L(0) + 1/2 lambda t^2 along u
    along = pd.concat([pd.DataFrame({"t": t, "curve": c, "loss": v}) for c, v in (("true", true), ("taylor", quad))],
                      ignore_index=True)
    report(progress, 1.0, rows)
    return EscapeResult(history=history, escape=escape, direction=direction.tolist(), along=along,
                        saddle_loss=loss(zero).item(), jump_loss=loss(cfg.jump * u).item(), u=u.tolist(),
                        diverged=broke)
