"""Saddles on a real network: many 1-H-1 tanh networks fitting sin(3x), pushed to near-critical points.

Train each network on the loss for a fixed number of steps (Adam; its loss is usually still falling then), then
minimise |g|^2 (the squared gradient norm) to land near a critical point, then take the *exact* Hessian of the loss there
(the Jacobian of the gradient, by autograd: every second derivative, not a Gauss-Newton approximation, which is positive
semi-definite by construction and could never show a saddle) and its eigenvalues. The minimum ratio is the
fraction of eigenvalues above EIG_TOL: 1 at a local minimum, below 1 wherever some direction curves down.
Every critical point is a zero of |g|^2, saddles as much as minima: phase 2 finds the critical points near the trained
networks, not the places where plain training would stop.

Every run trains in one batch: the parameters of run r are row r of one (R, P) tensor.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch
from torch.func import grad, jacrev, vmap

from core.lab import Progress, diverged, generator, param, report, seed_param, validate

N_POINTS = 64  # x on an even grid over [-1, 1]
EIG_TOL = 1e-6  # an eigenvalue above this counts as positive (curving up); |lambda| <= EIG_TOL is flat
NEGATIVE = -EIG_TOL  # below this: curving down


def n_params(hidden: int) -> int:
    """w1, b1, w2 per hidden unit, plus the output bias."""
    return 3 * hidden + 1


def _unpack(theta: torch.Tensor, hidden: int):
    """theta (..., P) -> w1, b1, w2 (..., H) and b2 (...)."""
    return theta[..., :hidden], theta[..., hidden:2 * hidden], theta[..., 2 * hidden:3 * hidden], theta[..., -1]


def losses(theta: torch.Tensor, x: torch.Tensor, y: torch.Tensor, hidden: int) -> torch.Tensor:
    """MSE of every network: theta (R, P), x, y (N,) -> (R,)."""
    w1, b1, w2, b2 = _unpack(theta, hidden)
    h = torch.tanh(x.view(1, -1, 1) * w1.unsqueeze(1) + b1.unsqueeze(1))  # (R, N, H)
    out = (h * w2.unsqueeze(1)).sum(-1) + b2.unsqueeze(1)  # (R, N)
    return ((out - y) ** 2).mean(1)


def data() -> tuple[torch.Tensor, torch.Tensor]:
    """The regression: y = sin(3x) on N_POINTS even points of [-1, 1], float64."""
    x = torch.linspace(-1, 1, N_POINTS, dtype=torch.float64)
    return x, torch.sin(3 * x)


def derivatives(theta: torch.Tensor, hidden: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every run's gradient (R, P) and exact Hessian (R, P, P) of its own loss, by autograd, batched with vmap."""
    x, y = data()
    one = lambda th: losses(th.unsqueeze(0), x, y, hidden)[0]  # noqa: E731  one network's loss, th (P,)
    # the Hessian as the Jacobian of the gradient, both reverse mode (torch.func.hessian's forward-over-reverse
    # compiles its forward-mode rules on first use: 0.3 s of a cold page)
    return vmap(grad(one))(theta), vmap(jacrev(grad(one)))(theta)


@dataclass(frozen=True)
class NetworkConfig:
    """How many networks, how wide, and the two training phases."""

    runs: int = param(40, lo=5, hi=100, step=5)  # networks, each from its own random start
    hidden: int = param(6, lo=2, hi=10, step=1)  # tanh units: P = 3H + 1 parameters (19 at H = 6)
    train_steps: int = param(1000, lo=200, hi=3000, step=100)  # phase 1: Adam on the loss (a fixed budget)
    critical_steps: int = param(1000, lo=200, hi=3000, step=100)  # phase 2: Adam on |g|^2
    seed: int = seed_param()

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class NetworkResult:
    """Each run's near-critical point: loss, |g|, eigenvalues, minimum ratio."""

    points: pd.DataFrame  # run (1..R), loss, grad_norm, ratio, negative (count), min_eig, max_eig
    spectrum: pd.DataFrame  # run, index (1..P), eigenvalue (ascending)
    history: pd.DataFrame  # phase (train / critical), step, value (median loss, then median |g|^2 over runs)
    diverged: bool  # some run blew up (its point is left out)


def summary(points: pd.DataFrame) -> dict[str, float]:
    """What the page says about the points: how many, how many minima (ratio 1), how many with negative eigenvalues,
    and the ranges of the negative count (among those), the most negative eigenvalue, |g| and the minimum ratio."""
    neg = points[points.negative > 0]
    return {"n": len(points), "minima": int((points.ratio == 1).sum()), "neg": len(neg),
            "lo": int(neg.negative.min()) if len(neg) else 0, "hi": int(points.negative.max()),
            "emin": float(neg.min_eig.min()) if len(neg) else 0.0, "emax": float(neg.min_eig.max()) if len(neg) else 0.0,
            "glo": float(points.grad_norm.min()), "ghi": float(points.grad_norm.max()),
            "rlo": float(points.ratio.min()), "rhi": float(points.ratio.max())}


def run_network(cfg: NetworkConfig = NetworkConfig(), progress: Progress | None = None) -> NetworkResult:
    """Phase 1: Adam on the loss. Phase 2: Adam on |g|^2. Then the exact Hessian of every run, batched."""
    g = generator(cfg.seed)
    x, y = data()
    H, R = cfg.hidden, cfg.runs
    theta = (0.5 * torch.randn(R, n_params(H), generator=g, dtype=torch.float64)).requires_grad_()  # (R, P)
    total, rows = cfg.train_steps + cfg.critical_steps, []
    for phase, steps, lr in (("train", cfg.train_steps, 1e-2), ("critical", cfg.critical_steps, 1e-3)):
        opt = torch.optim.Adam([theta], lr=lr)
        for step in range(steps):
            opt.zero_grad()
            loss = losses(theta, x, y, H)  # (R,)
            if phase == "train":
                objective = loss
            else:  # the runs are independent, so the gradient of the sum is each run's own gradient
                grad, = torch.autograd.grad(loss.sum(), theta, create_graph=True)  # (R, P)
                objective = (grad ** 2).sum(1)  # (R,) |g|^2, differentiable: its gradient needs the Hessian
            objective.sum().backward()
            opt.step()
            if step % 20 == 0:
                rows.append({"phase": phase, "step": step + (0 if phase == "train" else cfg.train_steps),
                             "value": objective.detach().median().item()})
            if step % 100 == 0:
                done = step + (0 if phase == "train" else cfg.train_steps)
                report(progress, done / total, rows)
    theta = theta.detach()
    final = losses(theta, x, y, H)  # (R,)
    grad, hess = derivatives(theta, H)  # (R, P), (R, P, P)
    ok = ~diverged(final) & torch.isfinite(hess).flatten(1).all(1)  # (R,)
    eig = torch.linalg.eigvalsh(torch.where(ok.view(-1, 1, 1), hess, torch.zeros_like(hess)))  # (R, P) ascending
    points = pd.DataFrame({"run": range(1, R + 1), "loss": final, "grad_norm": grad.norm(dim=1),
                           "ratio": (eig > EIG_TOL).double().mean(1), "negative": (eig < NEGATIVE).sum(1),
                           "min_eig": eig[:, 0], "max_eig": eig[:, -1]})[ok.numpy()]
    spectrum = pd.DataFrame({"run": torch.arange(1, R + 1).repeat_interleave(eig.shape[1]),
                             "index": torch.arange(1, eig.shape[1] + 1).repeat(R), "eigenvalue": eig.flatten()})
    spectrum = spectrum[spectrum.run.isin(points.run)]
    report(progress, 1.0, rows)
    return NetworkResult(points=points.reset_index(drop=True), spectrum=spectrum.reset_index(drop=True),
                         history=pd.DataFrame(rows), diverged=bool((~ok).any()))
