"""Section 5: k-fold and leave-one-out cross-validation against the truly best capacity, and how
often a single split or k-fold picks it over many data sets."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch

from core.lab import Progress, diverged, generator, param, report
from core.overfitting.data import N_TEST, LadderConfig, fold_masks, jitter_grid, noisy, uniform_x
from core.overfitting.ladder import init_ladder, live, logged, masked_mse, predict, tidy, train_ladder


def train_folds(cfg: LadderConfig, k: int, g: torch.Generator, datasets: int = 1, on_log=None,
                logs: int = 100):
    """Per data set: k fold ladders + one on all points, trained together, logged `logs` times.

    Returns fold val (S, k, C), test loss (S, C) and train loss (S, C) of the all-points ladder
    (inf where a model diverged), and the Trained state."""
    S, n, C, G = datasets, cfg.n_train, cfg.max_depth + 1, k + 1
    xs, ys, held = [], [], []
    for _ in range(S):
        xs.append(jitter_grid(n, g))
        ys.append(noisy(xs[-1], cfg.noise, g))
        held.append(torch.cat([fold_masks(n, k, g), torch.zeros(1, n)]))  # last: trains on all
    x, y = (torch.stack(a).repeat_interleave(G, 0) for a in (xs, ys))    # (S*G, n)
    held = torch.cat(held)                                               # (S*G, n)
    lad = init_ladder(S * G, cfg.max_depth, cfg.width, torch.full((S * G,), cfg.width), g)
    t = train_ladder(lad, x, y, 1 - held, x, y, held, epochs=cfg.epochs, lr=cfg.lr,
                     wd=torch.zeros(S * G), log_every=max(1, cfg.epochs // logs),
                     on_log=on_log)
    xt = torch.stack([uniform_x(N_TEST, g) for _ in range(S)]).repeat_interleave(G, 0)
    test = masked_mse(predict(lad, xt), noisy(xt, cfg.noise, g), torch.ones_like(xt))
    fin = lambda v: torch.where(t.alive, v, torch.inf).view(C, S, G)     # (C, S, G)
    val, test, train = fin(t.val[-1]), fin(test), fin(t.train[-1])
    return val[..., :k].permute(1, 2, 0), test[..., k].T, train[..., k].T, t


@dataclass(frozen=True)
class CVConfig(LadderConfig):
    """Cross-validation: the shared budget, narrowed, plus k."""
    # 22 points in 8 folds: on seed 0 k-fold picks the truly best depth while its first fold alone does not, and
    # over seeds 0-19 k-fold lands within one step 17 times, one split 11 (20 points in 5 folds: 14 and 13)
    n_train: int = param(22, lo=8, hi=24, step=1)  # narrower: leave-one-out trains n_train + 1 ladders (max ~4 s)
    width: int = param(32, options=(4, 8, 16, 32))  # narrower, for the same reason
    epochs: int = param(500, lo=50, hi=500, step=50)  # 1000 took ~9 s and teach nothing more about choosing
    folds: int = param(8, lo=2, hi=10, step=1)  # k of k-fold
    leave_one_out: bool = param(False)  # True: k = n_train, each point held out once


@dataclass(frozen=True)
class CVResult:
    """Per-fold validation losses, their mean and spread per depth, and the depths each method picks."""
    folds: pd.DataFrame      # depth, fold, val_loss: one point per fold
    summary: pd.DataFrame    # depth, cv_mean, cv_std, train_loss, test_loss
    history: pd.DataFrame    # depth, epoch, split, loss: fold-mean curves while training
    selected_depth: int      # argmin of the fold-mean validation loss
    single_split_depths: tuple[int, ...]  # what each fold alone (one train/validation split) would pick
    test_best_depth: int     # argmin of the test loss of models trained on all n_train points
    k: int
    diverged: bool

    @property
    def outcome(self) -> str:
        """k-fold's pick: 'hit' (the truly best depth), 'near' (one step off) or 'miss'."""
        return self.judge(self.selected_depth)

    @property
    def single_outcome(self) -> str:
        """outcome() of one single split: the first fold held out, the others trained on."""
        return self.judge(self.single_split_depths[0])

    def judge(self, depth: int) -> str:
        """A pick against the truly best depth: 'hit', 'near' (one step off) or 'miss'."""
        off = abs(depth - self.test_best_depth)
        return "hit" if off == 0 else "near" if off == 1 else "miss"

    def excess(self, depth: int) -> float:
        """How much higher the test loss of the model of this depth is than the truly best one's."""
        test = self.summary.set_index("depth").test_loss
        return float(test[depth] - test[self.test_best_depth])

    def single_split_excess(self) -> float:
        """excess() of a single split's pick, averaged over which fold it holds out."""
        return sum(map(self.excess, self.single_split_depths)) / len(self.single_split_depths)


def run_cv(cfg: CVConfig = CVConfig(), progress: Progress | None = None) -> CVResult:
    """k-fold or leave-one-out on the training set vs the truly best capacity on fresh data."""
    g = generator(cfg.seed)
    k, C = (cfg.n_train if cfg.leave_one_out else cfg.folds), cfg.max_depth + 1
    report(progress, 0.0, [])
    mean = lambda tr, va, ok: (tr[..., :k].mean(-1), va[..., :k].mean(-1), ok[..., :k].all(-1))
    on_log = live(progress, cfg.epochs, {"depth": list(range(C))}, mean)
    val, test, train, t = train_folds(cfg, k, g, 1, on_log)      # (1, k, C), (1, C), (1, C)
    val, test, train = val[0], test[0], train[0]
    ok = ~diverged(val).any(0) & ~diverged(test)                 # (C,)
    pickable, test_ok = val.where(ok, torch.inf), test.where(ok, torch.inf)  # no method may pick a diverged depth
    folds = pd.DataFrame([{"depth": d, "fold": f, "val_loss": float(val[f, d])}
                          for d in range(C) if ok[d] for f in range(k)])
    summary = pd.DataFrame({"depth": range(C), "cv_mean": val.mean(0).tolist(),
                            "cv_std": val.std(0).tolist() if k > 1 else 0.0,
                            "train_loss": train.tolist(), "test_loss": test.tolist()})[ok.numpy()]
    tr, va, okc = logged(t)
    history = tidy(t.epochs, *mean(tr, va, okc), {"depth": list(range(C))})
    if progress is not None:
        progress(1.0, history)
    return CVResult(folds, summary.reset_index(drop=True), history, int(pickable.mean(0).argmin()),
                    tuple(pickable.argmin(1).tolist()), int(test_ok.argmin()), k, not bool(ok.all()))


@dataclass(frozen=True)
class ReliabilityConfig(LadderConfig):
    """Single split vs k-fold over many data sets: n_seeds x (folds + 1) ladders train at once."""
    n_train: int = param(20, lo=8, hi=20, step=1)  # narrower: n_seeds x (folds + 1) ladders train at once
    width: int = param(16, options=(4, 8, 16))  # reduced budget, for the same reason
    epochs: int = param(300, lo=50, hi=300, step=50)  # reduced budget: 20 x 6 ladders train at once
    n_seeds: int = param(20, lo=5, hi=20, step=1)  # independent data sets
    folds: int = param(5, lo=2, hi=10, step=1)  # the single split holds out one fold (1/k of the points)


@dataclass(frozen=True)
class ReliabilityResult:
    """Each data set's pick by each method, and each method's hit rate and mean excess test loss."""
    picks: pd.DataFrame      # dataset, method(single split|k-fold), selected_depth, best_depth, hit, excess
    summary: pd.DataFrame    # method, hits, n, rate: how often each lands within 1 of the best;
                             # excess: mean test loss of the pick above the best's (a miss by one step can be cheap)


def run_reliability(cfg: ReliabilityConfig = ReliabilityConfig(),
                    progress: Progress | None = None) -> ReliabilityResult:
    """Over n_seeds data sets: does a single split or k-fold pick (within one step) the best depth?"""
    g = generator(cfg.seed)
    report(progress, 0.0, [])
    tick = lambda t, e: report(progress, e / cfg.epochs, [])  # noqa: E731  (a bar, and a visitor who left stops it)
    val, test, _, _ = train_folds(cfg, cfg.folds, g, cfg.n_seeds, tick, logs=10)  # (S, k, C), (S, C): the end counts
    best = test.argmin(1)                                          # (S,)
    rows = [{"dataset": s, "method": m, "selected_depth": int(sel[s]), "best_depth": int(best[s]),
             "hit": bool(abs(int(sel[s]) - int(best[s])) <= 1), "excess": float(test[s, sel[s]] - test[s, best[s]])}
            for m, sel in (("single split", val[:, 0].argmin(1)), ("k-fold", val.mean(1).argmin(1)))
            for s in range(cfg.n_seeds)]
    picks = pd.DataFrame(rows)
    summary = picks.groupby("method", sort=False).agg(hits=("hit", "sum"), n=("hit", "count"),
                                                      excess=("excess", "mean")).reset_index()
    summary["rate"] = summary.hits / summary.n
    report(progress, 1.0, rows)
    return ReliabilityResult(picks, summary)
