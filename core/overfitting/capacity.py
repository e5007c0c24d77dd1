"""Sections 1-3: the capacity sweep — training loss keeps falling with depth, validation loss turns up."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch

from core.lab import Progress, generator, param, report
from core.overfitting.data import N_GRID, LadderConfig, _data, own_data, true_curve
from core.points import Points
from core.overfitting.ladder import init_ladder, live, logged, predict, tidy, train_ladder


def n_params(depth: int, width: int) -> int:
    """Number of trainable numbers in the model with `depth` hidden layers."""
    return 2 if depth == 0 else 3 * width + (depth - 1) * (width + 1) * width + 1


@dataclass(frozen=True)
class SweepConfig(LadderConfig):
    """The capacity sweep: the shared budget plus weight decay and restarts."""
    weight_decay: float = param(0.0, options=(0.0, 1e-4, 1e-3, 0.01, 0.1), log=True)  # L2 on weights (0 = none)
    restarts: int = param(2, lo=1, hi=3, step=1)  # inits per capacity, lowest train loss kept: no unlucky init hides depth


@dataclass(frozen=True)
class SweepResult:
    """Curves, per-depth summary, fits and data of one sweep."""
    history: pd.DataFrame    # depth, epoch, split(train|val), loss
    models: pd.DataFrame     # depth, params, train_loss, val_loss, gap, best_epoch,
                             # best_val_loss, train_at_best, diverged
    fits: pd.DataFrame       # depth, x, y: each model's curve on a grid over [-1, 1]
    points: pd.DataFrame     # x, y, split(train|val): the data
    truth: pd.DataFrame      # x, y: the noiseless curve (no rows for your own data)
    best_depth: int          # capacity with the lowest final validation loss
    diverged: bool
    noise_floor: float = float("nan")  # noise**2, the loss no model can beat on new points (nan: your own data)


def _summary(epochs: list[int], tr: torch.Tensor, va: torch.Tensor, ok: torch.Tensor,
             width: int) -> pd.DataFrame:
    """Per depth from (L, C) curves: final losses, gap, early-stopping epoch (lowest val)."""
    rows = []
    for d in range(tr.shape[1]):
        n = int(ok[:, d].sum())           # logs before divergence (ok is monotone)
        if n == 0:
            continue
        i = int(va[:n, d].argmin())
        rows.append({"depth": d, "params": n_params(d, width), "train_loss": float(tr[n - 1, d]),
                     "val_loss": float(va[n - 1, d]), "gap": float(va[n - 1, d] - tr[n - 1, d]),
                     "best_epoch": epochs[i], "best_val_loss": float(va[i, d]),
                     "train_at_best": float(tr[i, d]), "diverged": n < len(epochs)})
    return pd.DataFrame(rows)


def run_sweep(cfg: SweepConfig = SweepConfig(), progress: Progress | None = None,
              points: Points | None = None) -> SweepResult:
    """Train the ladder on one data set: capacity curve, training curves and fits (sections 1-3). Given points
    (your own (xs, ys), core.points.parse_points) are the data set instead (data.own_data; n_train, noise unused,
    no true curve)."""
    g = generator(cfg.seed)
    x, y, xv, yv = _data(cfg, g) if points is None else own_data(points, g)
    N, M = len(x), len(xv)
    R, C = cfg.restarts, cfg.max_depth + 1
    lad = init_ladder(R, cfg.max_depth, cfg.width, torch.full((R,), cfg.width), g)
    report(progress, 0.0, [])
    keys = {"depth": list(range(C))}
    t = train_ladder(lad, x.expand(R, -1), y.expand(R, -1), torch.ones(R, N),
                     xv.expand(R, -1), yv.expand(R, -1), torch.ones(R, M), epochs=cfg.epochs,
                     lr=cfg.lr, wd=torch.full((R,), cfg.weight_decay),
                     log_every=max(1, cfg.epochs // 200), on_log=live(progress, cfg.epochs, keys))
    tr, va, ok = logged(t)                                          # (L, C, R)
    final = torch.where(ok[-1], tr[-1], torch.inf)                  # diverged runs never win
    pick = final.argmin(1)                                          # (C,) restart kept per depth
    tr, va, ok = (a[:, torch.arange(C), pick] for a in (tr, va, ok))  # (L, C)
    history = tidy(t.epochs, tr, va, ok, keys)
    models = _summary(t.epochs, tr, va, ok, cfg.width)
    grid = torch.linspace(-1, 1, N_GRID)
    yg = predict(lad, grid.expand(R, -1)).view(C, R, -1)            # (C, R, N_GRID)
    fits = pd.DataFrame([{"depth": d, "x": float(a), "y": float(b)}
                         for d in models.depth[~models.diverged] for a, b in zip(grid, yg[d, pick[d]])])
    seen = pd.DataFrame({"x": torch.cat([x, xv]).tolist(), "y": torch.cat([y, yv]).tolist(),
                         "split": ["train"] * N + ["val"] * M})  # the points trained and validated on
    fine = models[~models.diverged]
    best = int(fine.depth.iloc[int(fine.val_loss.to_numpy().argmin())]) if len(fine) else 0
    if progress is not None:
        progress(1.0, history)
    truth = pd.DataFrame({"x": grid.tolist(), "y": true_curve(grid).tolist()} if points is None else {"x": [], "y": []})
    return SweepResult(history, models, fits, seen, truth, best, bool(models.diverged.any()) or len(models) < C,
                       cfg.noise ** 2 if points is None else float("nan"))
