"""Overfitting, its remedies, and cross-validation (notes, chapters 1-2), trained live.

A ladder of models, from a line (0 hidden layers) to deep ReLU MLPs, all fitted to the same
few noisy points of a 1-D curve under the same budget: training loss keeps falling with depth,
validation loss falls and then rises. All capacities (and all folds, seeds, remedies) train
together as one batched, full-batch Adam run — see core/overfitting_data.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd
import torch

from core.lab import Progress, check_int, check_range, generator, report
from core.overfitting_data import (N_GRID, N_VAL, all_ok, init_ladder, jitter_grid, live, logged,
                                   noisy, predict, tidy, train_folds, train_ladder, true_curve,
                                   uniform_x)


@dataclass(frozen=True)
class LadderConfig:
    """Data and training budget shared by every section."""
    n_train: int = 20          # 8..N_MAX: few points, so the deep models can memorise the noise
    noise: float = 0.5         # 0..1.5: std of the label noise (irreducible loss = noise**2)
    max_depth: int = 5         # 2..6 hidden layers; the ladder is 0 (a line) .. max_depth
    width: int = 32            # 4..WIDTH_MAX units per hidden layer
    epochs: int = 500          # 50..EPOCHS_MAX (reliability: 300) full-batch Adam steps, the same for every model;
                               # short enough that the deepest net memorises n points but not 2n
    lr: float = 0.01           # 1e-4..0.1 peak Adam learning rate, cosine-decayed to 0
    seed: int = 0              # 0..9999
    N_MAX: ClassVar[int] = 100       # bounds keep the largest setting within ~15 s on one core
    EPOCHS_MAX: ClassVar[int] = 1000  # (measured <= ~9.5 s per section, idle core); sections that
    WIDTH_MAX: ClassVar[int] = 48     # train more ladders at once lower them

    def __post_init__(self) -> None:
        check_int("n_train", self.n_train, 8, self.N_MAX)
        check_range("noise", self.noise, 0.0, 1.5)
        check_int("max_depth", self.max_depth, 2, 6)
        check_int("width", self.width, 4, self.WIDTH_MAX)
        check_int("epochs", self.epochs, 50, self.EPOCHS_MAX)
        check_range("lr", self.lr, 1e-4, 0.1)
        check_int("seed", self.seed, 0, 9999)


def n_params(depth: int, width: int) -> int:
    """Number of trainable numbers in the model with `depth` hidden layers."""
    return 2 if depth == 0 else 3 * width + (depth - 1) * (width + 1) * width + 1


def _data(cfg: LadderConfig, g: torch.Generator, extra: int = 0):
    """One data set: n_train (+ extra) training points and N_VAL validation points."""
    x = torch.cat([jitter_grid(cfg.n_train, g), uniform_x(extra, g)])
    xv = uniform_x(N_VAL, g)
    return x, noisy(x, cfg.noise, g), xv, noisy(xv, cfg.noise, g)


# ---------------------------------------------------------------- 1-3: capacity sweep
@dataclass(frozen=True)
class SweepConfig(LadderConfig):
    weight_decay: float = 0.0  # 0..0.1 L2 strength on the weights (0 = unconstrained)
    restarts: int = 2          # 1..3 inits per capacity; the one with the lowest training loss is
                               # kept, so an unlucky init does not hide that depth fits better

    def __post_init__(self) -> None:
        super().__post_init__()
        check_range("weight_decay", self.weight_decay, 0.0, 0.1)
        check_int("restarts", self.restarts, 1, 3)


@dataclass(frozen=True)
class SweepResult:
    history: pd.DataFrame    # depth, epoch, split(train|val), loss
    models: pd.DataFrame     # depth, params, train_loss, val_loss, gap, best_epoch,
                             # best_val_loss, train_at_best, diverged
    fits: pd.DataFrame       # depth, x, y: each model's curve on a grid over [-1, 1]
    points: pd.DataFrame     # x, y, split(train|val): the data
    truth: pd.DataFrame      # x, y: the noiseless curve
    best_depth: int          # capacity with the lowest final validation loss
    diverged: bool


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


def run_sweep(cfg: SweepConfig = SweepConfig(), progress: Progress | None = None) -> SweepResult:
    """Train the ladder on one data set: capacity curve, training curves and fits (sections 1-3)."""
    g = generator(cfg.seed)
    x, y, xv, yv = _data(cfg, g)
    R, C = cfg.restarts, cfg.max_depth + 1
    lad = init_ladder(R, cfg.max_depth, cfg.width, torch.full((R,), cfg.width), g)
    report(progress, 0.0, [])
    keys = {"depth": list(range(C))}
    t = train_ladder(lad, x.expand(R, -1), y.expand(R, -1), torch.ones(R, cfg.n_train),
                     xv.expand(R, -1), yv.expand(R, -1), torch.ones(R, N_VAL), epochs=cfg.epochs,
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
    points = pd.DataFrame({"x": torch.cat([x, xv]).tolist(), "y": torch.cat([y, yv]).tolist(),
                           "split": ["train"] * cfg.n_train + ["val"] * N_VAL})
    fine = models[~models.diverged]
    best = int(fine.depth.iloc[int(fine.val_loss.to_numpy().argmin())]) if len(fine) else 0
    if progress is not None:
        progress(1.0, history)
    return SweepResult(history, models, fits, points,
                       pd.DataFrame({"x": grid.tolist(), "y": true_curve(grid).tolist()}),
                       best, bool(models.diverged.any()) or len(models) < C)


# ---------------------------------------------------------------- 4: remedies (chapter 2)
REMEDIES = ("none", "more data", "weight decay", "simpler family", "early stopping")


@dataclass(frozen=True)
class RemedyConfig(LadderConfig):
    data_factor: int = 2         # 2..4: "more data" trains on data_factor * n_train points
    weight_decay: float = 0.01   # 1e-4..0.1 L2 strength of the "weight decay" remedy
    narrow_width: int = 8        # 2..width units per layer of the "simpler family"
    repeats: int = 3             # 1..3 fresh data sets + inits the gaps are averaged over, so a
                                 # remedy's effect is measured, not one lucky draw
    N_MAX: ClassVar[int] = 24    # 4 remedies x repeats ladders, up to 4x the points
    EPOCHS_MAX: ClassVar[int] = 500
    WIDTH_MAX: ClassVar[int] = 32

    def __post_init__(self) -> None:
        super().__post_init__()
        check_int("data_factor", self.data_factor, 2, 4)
        check_range("weight_decay", self.weight_decay, 1e-4, 0.1)
        check_int("narrow_width", self.narrow_width, 2, self.width)
        check_int("repeats", self.repeats, 1, 3)


@dataclass(frozen=True)
class RemedyResult:
    gaps: pd.DataFrame       # remedy, train_loss, val_loss, gap, gap_before, shrink (largest model)
    curves: pd.DataFrame     # remedy, depth, split, loss: final capacity curves per remedy
    history: pd.DataFrame    # remedy, epoch, split, loss: the largest model while training
    stop_epoch: int          # early stopping: epoch of the largest model's lowest val loss
    diverged: bool


def run_remedies(cfg: RemedyConfig = RemedyConfig(), progress: Progress | None = None) -> RemedyResult:
    """Train base, more data, weight decay and a narrower family side by side; measure each gap."""
    g = generator(cfg.seed)
    K, S, D, n = 4, cfg.repeats, cfg.max_depth, cfg.n_train   # groups ordered (repeat, remedy)
    data = [_data(cfg, g, extra=(cfg.data_factor - 1) * n) for _ in range(S)]
    x, y, xv, yv = (torch.stack([d[i] for d in data]).repeat_interleave(K, 0) for i in range(4))
    w = torch.zeros(S, K, x.shape[1])
    w[:, :, :n] = 1
    w[:, 1] = 1                                                     # "more data" sees all points
    wd = torch.tensor([0.0, 0.0, cfg.weight_decay, 0.0]).repeat(S)
    widths = torch.tensor([cfg.width] * 3 + [cfg.narrow_width]).repeat(S)
    lad = init_ladder(S * K, D, cfg.width, widths, g, share=K)     # paired: same init per repeat
    names = {"remedy": list(REMEDIES[:K])}

    def largest(tr, va, ok):                                        # (L, C, S*K) -> (L, K)
        return (a[:, D].reshape(-1, S, K).float().mean(1) for a in (tr, va, ok))

    report(progress, 0.0, [])
    t = train_ladder(lad, x, y, w.view(S * K, -1), xv, yv, torch.ones(S * K, N_VAL),
                     epochs=cfg.epochs, lr=cfg.lr, wd=wd, log_every=max(1, cfg.epochs // 200),
                     on_log=live(progress, cfg.epochs, names, lambda *a: all_ok(*largest(*a))))
    tr, va, ok = logged(t)
    htr, hva, hok = all_ok(*largest(tr, va, ok))
    history = tidy(t.epochs, htr, hva, hok, names)
    fin = [a[-1].view(-1, S, K).float().mean(1) for a in (tr, va)]   # (C, K)
    fin_ok = ok[-1].view(-1, S, K).all(1)                            # (C, K)
    curves = pd.DataFrame([{"remedy": REMEDIES[k], "depth": d, "split": sp, "loss": float(a[d, k])}
                           for k in range(K) for d in range(D + 1) if fin_ok[d, k]
                           for sp, a in zip(("train", "val"), fin)])
    n_ok = int(hok[:, 0].sum())
    i = int(hva[:n_ok, 0].argmin()) if n_ok else 0                  # early stopping on "none"
    rows = [(REMEDIES[k], float(fin[0][D, k]), float(fin[1][D, k])) for k in range(K) if fin_ok[D, k]]
    rows.append(("early stopping", float(htr[i, 0]), float(hva[i, 0])))
    gaps = pd.DataFrame(rows, columns=["remedy", "train_loss", "val_loss"])
    gaps["gap"] = gaps.val_loss - gaps.train_loss
    if not (fin_ok[D, 0] and n_ok):                                 # no baseline: nothing to compare
        gaps = gaps.iloc[:0]
    gaps["gap_before"] = gaps.gap.iloc[0] if len(gaps) else 0.0
    gaps["shrink"] = gaps.gap_before - gaps.gap
    if progress is not None:
        progress(1.0, history)
    return RemedyResult(gaps, curves, history, t.epochs[i], not bool(ok[-1].all()))


# ---------------------------------------------------------------- 5: cross-validation
@dataclass(frozen=True)
class CVConfig(LadderConfig):
    folds: int = 5                # 2..10 (k of k-fold)
    leave_one_out: bool = False   # True: k = n_train, each point held out once
    N_MAX: ClassVar[int] = 24     # leave-one-out trains n_train + 1 ladders at once (max ~4 s;
    EPOCHS_MAX: ClassVar[int] = 500   # 1000 epochs took ~9 s and teach nothing more about choosing)
    WIDTH_MAX: ClassVar[int] = 32

    def __post_init__(self) -> None:
        super().__post_init__()
        check_int("folds", self.folds, 2, 10)
        if not isinstance(self.leave_one_out, bool):
            raise ValueError(f"leave_one_out must be True or False, got {self.leave_one_out!r}")


@dataclass(frozen=True)
class CVResult:
    folds: pd.DataFrame      # depth, fold, val_loss: one point per fold
    summary: pd.DataFrame    # depth, cv_mean, cv_std, train_loss, test_loss
    history: pd.DataFrame    # depth, epoch, split, loss: fold-mean curves while training
    selected_depth: int      # argmin of the fold-mean validation loss
    single_split_depth: int  # what fold 0 alone (one train/validation split) would pick
    test_best_depth: int     # argmin of the test loss of models trained on all n_train points
    k: int
    diverged: bool


def run_cv(cfg: CVConfig = CVConfig(), progress: Progress | None = None) -> CVResult:
    """k-fold or leave-one-out on the training set vs the truly best capacity on fresh data."""
    g = generator(cfg.seed)
    k, C = (cfg.n_train if cfg.leave_one_out else cfg.folds), cfg.max_depth + 1
    report(progress, 0.0, [])
    mean = lambda tr, va, ok: (tr[..., :k].mean(-1), va[..., :k].mean(-1), ok[..., :k].all(-1))
    on_log = live(progress, cfg.epochs, {"depth": list(range(C))}, mean)
    val, test, train, t = train_folds(cfg, k, g, 1, on_log)      # (1, k, C), (1, C), (1, C)
    val, test, train = val[0], test[0], train[0]
    ok = torch.isfinite(val).all(0) & torch.isfinite(test)       # (C,)
    folds = pd.DataFrame([{"depth": d, "fold": f, "val_loss": float(val[f, d])}
                          for d in range(C) if ok[d] for f in range(k)])
    summary = pd.DataFrame({"depth": range(C), "cv_mean": val.mean(0).tolist(),
                            "cv_std": val.std(0).tolist() if k > 1 else 0.0,
                            "train_loss": train.tolist(), "test_loss": test.tolist()})[ok.numpy()]
    tr, va, okc = logged(t)
    history = tidy(t.epochs, tr[..., :k].mean(-1), va[..., :k].mean(-1), okc[..., :k].all(-1),
                    {"depth": list(range(C))})
    if progress is not None:
        progress(1.0, history)
    return CVResult(folds, summary.reset_index(drop=True), history, int(val.mean(0).argmin()),
                    int(val[0].argmin()), int(test.argmin()), k, not bool(ok.all()))


@dataclass(frozen=True)
class ReliabilityConfig(LadderConfig):
    n_seeds: int = 20       # 5..20 independent data sets
    folds: int = 5          # 2..10; the single split holds out one fold (1/k of the points)
    N_MAX: ClassVar[int] = 20     # n_seeds x (folds + 1) ladders train at once
    EPOCHS_MAX: ClassVar[int] = 300
    WIDTH_MAX: ClassVar[int] = 16
    epochs: int = 300             # reduced budget: 20 x 6 ladders train at once
    width: int = 16

    def __post_init__(self) -> None:
        super().__post_init__()
        check_int("n_seeds", self.n_seeds, 5, 20)
        check_int("folds", self.folds, 2, 10)


@dataclass(frozen=True)
class ReliabilityResult:
    picks: pd.DataFrame      # dataset, method(single split|k-fold), selected_depth, best_depth, hit
    summary: pd.DataFrame    # method, hits, n, rate: how often each lands within 1 of the best


def run_reliability(cfg: ReliabilityConfig = ReliabilityConfig(),
                    progress: Progress | None = None) -> ReliabilityResult:
    """Over n_seeds data sets: does a single split or k-fold pick (within one step) the best depth?"""
    g = generator(cfg.seed)
    report(progress, 0.0, [])
    val, test, _, _ = train_folds(cfg, cfg.folds, g, cfg.n_seeds)   # (S, k, C), (S, C)
    best = test.argmin(1)                                          # (S,)
    rows = [{"dataset": s, "method": m, "selected_depth": int(sel[s]), "best_depth": int(best[s]),
             "hit": bool(abs(int(sel[s]) - int(best[s])) <= 1)}
            for m, sel in (("single split", val[:, 0].argmin(1)), ("k-fold", val.mean(1).argmin(1)))
            for s in range(cfg.n_seeds)]
    picks = pd.DataFrame(rows)
    summary = picks.groupby("method", sort=False).hit.agg(hits="sum", n="count").reset_index()
    summary["rate"] = summary.hits / summary.n
    report(progress, 1.0, rows)
    return ReliabilityResult(picks, summary)
