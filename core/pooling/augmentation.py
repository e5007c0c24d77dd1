"""A CNN is not rotation/zoom invariant: train on upright shapes, test warped ones, retrain with augmentation."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import pandas as pd
import torch

from core.lab import Progress, generator, param, report, seed_param, validate
from core.pooling.cnn import CNN, _score, _twins, train_together
from core.pooling.compare import N_TEST
from core.pooling.data import SHAPES, eval_grid, make_shapes, pixel_frame, random_warp, warp_by

INV_SIZE = 20  # px; room for a shape zoomed x1.5 and turned 45 degrees
N_GRID = 7  # test angles / scales per curve


@dataclass(frozen=True)
class InvarianceConfig:
    """Train on upright, fixed-size shapes; test rotated and zoomed; retrain with augmentation."""

    max_angle: float = param(45.0, lo=5.0, hi=180.0, step=5.0)  # deg: test 0..max_angle, augment in ±max_angle
    min_scale: float = param(0.6, lo=0.4, hi=1.0, step=0.1)  # smallest test zoom (and augmentation's)
    max_scale: float = param(1.5, lo=1.0, hi=2.0, step=0.1)  # largest test zoom (and augmentation's)
    channels: int = param(8, lo=4, hi=16, step=2)  # filters in each of the two conv layers (max pooling after each)
    n_train: int = param(800, lo=200, hi=1500, step=100)  # upright training shapes
    epochs: int = param(8, lo=1, hi=12, step=1, label="inv_epochs")
    seed: int = seed_param()

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class InvarianceResult:
    """Training curves of both nets, accuracy versus rotation/zoom, and sample warped images."""

    history: pd.DataFrame  # model (plain / augmented), pool, epoch, split, loss, accuracy (%);
    # "train" is scored on the unaugmented training images for both models
    curves: pd.DataFrame  # model, warp (rotation / scale), value (deg or zoom factor), accuracy (%)
    samples: pd.DataFrame  # warp, grid_value, row, col, value: one test shape per grid value
    diverged: tuple[str, ...]  # models whose loss went inf/NaN or past BLOWUP (their curves are left out)


def start(cfg: InvarianceConfig, names: tuple[str, ...]
          ) -> tuple[torch.Generator, tuple[torch.Tensor, ...], dict[str, CNN], Callable[[torch.Tensor], torch.Tensor]]:
    """What every run of this lesson's invariance tabs starts from, drawn in one order from the seed: the seeded
    stream, the data (x_train, y_train, x_test, y_test), one CNN per name (all with the same initial weights) and
    the augmentation (a random turn and zoom per image, from its own stream). A run that draws the same way trains
    on the same images, batches and warped copies as run_invariance's nets."""
    g = generator(cfg.seed)
    x, y = make_shapes(cfg.n_train + N_TEST, INV_SIZE, g, size_jitter=0.0, pos_jitter=0.25, noise=0.1)
    data = (x[: cfg.n_train], y[: cfg.n_train], x[cfg.n_train:], y[cfg.n_train:])
    nets = _twins(g, {k: "max" for k in names}, n_conv=2, channels=cfg.channels, kernel=3,
                  size=INV_SIZE, n_classes=len(SHAPES))
    g_aug = generator(int(torch.randint(2**31 - 1, (1,), generator=g)))  # own stream for the warps
    return g, data, nets, lambda xb: random_warp(xb, g_aug, cfg.max_angle, cfg.min_scale, cfg.max_scale)


def warped_test_sets(cfg: InvarianceConfig, g: torch.Generator, x_test: torch.Tensor
               ) -> Iterator[tuple[str, float, torch.Tensor, torch.Tensor]]:
    """(warp, value, sign, the test images warped so) for every test angle and zoom; each image turns left or right
    (sign (N,) of ±1, drawn from g before the first one: every run drawing from g the same way tests the same images)."""
    sign = torch.where(torch.rand(len(x_test), generator=g) < 0.5, -1.0, 1.0)  # (N,) turn left or right
    for warp, values in eval_grid(cfg.max_angle, cfg.min_scale, cfg.max_scale, N_GRID).items():
        for v in values:
            yield warp, v, sign, warp_by(x_test, warp, v, sign)  # (N, 1, S, S)


def run_invariance(cfg: InvarianceConfig = InvarianceConfig(),
                   progress: Progress | None = None) -> InvarianceResult:
    """Accuracy versus test rotation and zoom, for a plain CNN and one trained with augmentation."""
    g, data, nets, augment = start(cfg, ("plain", "augmented"))
    history, _, diverged = train_together(nets, data, cfg.epochs, 3e-3, g, progress, 0.9, {"augmented": augment})
    x_te, y_te = data[2], data[3]
    pick = int((y_te == 0).nonzero()[0]) if bool((y_te == 0).any()) else 0  # a square shows it best
    curves, samples = [], []
    for warp, v, _, xw in warped_test_sets(cfg, g, x_te):
        for k, net in nets.items():
            if k not in diverged:
                curves.append(dict(model=k, warp=warp, value=v, accuracy=_score(net, xw, y_te)[1]))
        samples.append(pixel_frame(xw[pick, 0], warp=warp, grid_value=v))
    report(progress, 1.0, history.to_dict("records"))
    curves = pd.DataFrame(curves, columns=["model", "warp", "value", "accuracy"])
    return InvarianceResult(history=history, curves=curves,
                            samples=pd.concat(samples, ignore_index=True), diverged=tuple(sorted(diverged)))
