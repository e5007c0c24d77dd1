"""Section 4 (chapter 2): four remedies for overfitting, judged by the largest model's validation loss.

The gap (validation - training loss) alone would reward underfitting: a remedy that raises the training
loss more than the validation loss shrinks the gap while the model gets worse on new points."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch

from core.lab import Progress, generator, param, report
from core.overfitting.data import N_VAL, LadderConfig, _data
from core.overfitting.ladder import all_ok, init_ladder, live, logged, tidy, train_ladder

REMEDIES = ("none", "more data", "weight decay", "simpler family", "early stopping")


@dataclass(frozen=True)
class RemedyConfig(LadderConfig):
    """Remedies side by side: the shared budget, narrowed, plus each remedy's strength."""
    n_train: int = param(20, lo=8, hi=24, step=1)  # narrower: 4 remedies x repeats ladders, up to 4x the points
    width: int = param(32, options=(4, 8, 16, 32))  # narrower, for the same reason
    epochs: int = param(500, lo=50, hi=500, step=50)  # narrower, for the same reason
    data_factor: int = param(2, lo=2, hi=4, step=1)  # "more data" trains on data_factor * n_train points
    weight_decay: float = param(0.01, options=(1e-4, 1e-3, 0.01, 0.1), log=True)  # L2 strength of "weight decay"
    narrow_width: int = param(8, options=(2, 4, 8, 16, 32))  # units per layer of the "simpler family", capped at width
    repeats: int = param(3, lo=1, hi=3, step=1)  # fresh data sets + inits averaged: an effect, not one lucky draw


@dataclass(frozen=True)
class RemedyResult:
    """Each remedy's gap on the largest model, its capacity curves and training curves."""
    gaps: pd.DataFrame       # remedy, train_loss, val_loss, gap, gap_before, shrink, val_before, val_drop
                             # (largest model; *_before: no remedy; shrink, val_drop > 0: the remedy lowers it)
    curves: pd.DataFrame     # remedy, depth, split, loss: final capacity curves per remedy
    history: pd.DataFrame    # remedy, epoch, split, loss: the largest model while training
    stop_epoch: int          # early stopping: epoch of the largest model's lowest val loss
    diverged: bool


def _gaps(htr: torch.Tensor, hva: torch.Tensor, hok: torch.Tensor, fin: list[torch.Tensor],
          fin_ok: torch.Tensor) -> tuple[pd.DataFrame, int]:
    """Loss table of the largest model per remedy, and the early-stopping log index.

    htr, hva, hok: (L, K) largest-model curves; fin: final [train, val] (C, K); fin_ok: (C, K)."""
    K, D = fin_ok.shape[1], fin_ok.shape[0] - 1
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
    gaps["val_before"] = gaps.val_loss.iloc[0] if len(gaps) else 0.0
    gaps["val_drop"] = gaps.val_before - gaps.val_loss
    return gaps, i


def run_remedies(cfg: RemedyConfig = RemedyConfig(), progress: Progress | None = None) -> RemedyResult:
    """Train base, more data, weight decay and a narrower family side by side; measure each one's losses."""
    g = generator(cfg.seed)
    K, S, D, n = 4, cfg.repeats, cfg.max_depth, cfg.n_train   # groups ordered (repeat, remedy)
    data = [_data(cfg, g, extra=(cfg.data_factor - 1) * n) for _ in range(S)]
    x, y, xv, yv = (torch.stack([d[i] for d in data]).repeat_interleave(K, 0) for i in range(4))
    w = torch.zeros(S, K, x.shape[1])
    w[:, :, :n] = 1
    w[:, 1] = 1                                                     # "more data" sees all points
    wd = torch.tensor([0.0, 0.0, cfg.weight_decay, 0.0]).repeat(S)
    widths = torch.tensor([cfg.width] * 3 + [min(cfg.narrow_width, cfg.width)]).repeat(S)
    lad = init_ladder(S * K, D, cfg.width, widths, g, share=K)     # paired: same init per repeat
    names = {"remedy": list(REMEDIES[:K])}

    def largest(tr, va, ok):                                        # (L, C, S*K) -> (L, K)
        return (a[:, D].reshape(-1, S, K).float().mean(1) for a in (tr, va, ok))

    report(progress, 0.0, [])
    t = train_ladder(lad, x, y, w.view(S * K, -1), xv, yv, torch.ones(S * K, N_VAL),
                     epochs=cfg.epochs, lr=cfg.lr, wd=wd, log_every=max(1, cfg.epochs // 100),
                     on_log=live(progress, cfg.epochs, names, lambda *a: all_ok(*largest(*a))))
    tr, va, ok = logged(t)
    htr, hva, hok = all_ok(*largest(tr, va, ok))
    history = tidy(t.epochs, htr, hva, hok, names)
    fin = [a[-1].view(-1, S, K).float().mean(1) for a in (tr, va)]   # (C, K)
    fin_ok = ok[-1].view(-1, S, K).all(1)                            # (C, K)
    curves = pd.DataFrame([{"remedy": REMEDIES[k], "depth": d, "split": sp, "loss": float(a[d, k])}
                           for k in range(K) for d in range(D + 1) if fin_ok[d, k]
                           for sp, a in zip(("train", "val"), fin)])
    gaps, i = _gaps(htr, hva, hok, fin, fin_ok)
    if progress is not None:
        progress(1.0, history)
    return RemedyResult(gaps, curves, history, t.epochs[i], not bool(ok[-1].all()))
