"""A spatial transformer layer (the notes, ch. 4) in front of the plain CNN: it learns to undo the warps it saw.

The localisation net reads the image and predicts a turn, a zoom and a shift; the image is resampled on that
affine grid (F.affine_grid + F.grid_sample) and the same CNN as the invariance tab's classifies the result.
Trained on warped copies it has something to undo; trained on upright shapes only it has nothing to learn.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

from core.lab import Progress, generator, param, report
from core.pooling.augmentation import INV_SIZE, InvarianceConfig, start, warped_test_sets
from core.pooling.cnn import CNN, _score, train_together
from core.pooling.data import SHAPES, pixel_frame, warp_by

TRAIN_ON = ("warped", "upright")
LOC_CHANNELS, LOC_HIDDEN = 8, 32  # the localisation net: small, it only has to find a pose


class STN(nn.Module):
    """Localisation net -> (turn, log zoom, shift x, shift y) -> affine grid -> resampled image -> the CNN."""

    def __init__(self, cnn: CNN, size: int, g: torch.Generator):
        super().__init__()
        self.cnn, self.pool = cnn, cnn.pool
        self.conv = nn.Conv2d(1, LOC_CHANNELS, 3, padding=1)
        self.fc1 = nn.Linear(LOC_CHANNELS * (size // 4) ** 2, LOC_HIDDEN)
        self.fc2 = nn.Linear(LOC_HIDDEN, 4)
        for layer in (self.conv, self.fc1):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu", generator=g)
            nn.init.zeros_(layer.bias)
        nn.init.zeros_(self.fc2.weight)  # it starts as the identity: no turn, zoom 1, no shift
        nn.init.zeros_(self.fc2.bias)

    def pose(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 4): the turn (radians), log zoom and shift (x, y) the transformer applies to each image (B, 1, S, S)."""
        h = F.avg_pool2d(x, 2)  # (B, 1, S/2, S/2): a pose needs no fine detail
        h = F.max_pool2d(F.relu(self.conv(h)), 2)  # (B, C, S/4, S/4)
        return self.fc2(F.relu(self.fc1(h.flatten(1))))  # (B, 4)

    def straighten(self, x: torch.Tensor) -> torch.Tensor:
        """The images (B, 1, S, S) as the transformer hands them to the CNN."""
        turn, log_zoom, tx, ty = self.pose(x).unbind(1)  # (B,) each
        cos, sin = torch.cos(turn) * torch.exp(-log_zoom), torch.sin(turn) * torch.exp(-log_zoom)
        # output pixel -> where to read the input (as data.warp): zooming in by m reads a region 1/m as wide
        theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)  # (B, 2, 3)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)  # (B, S, S, 2)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B, K) of the CNN on the straightened images."""
        return self.cnn(self.straighten(x))


@dataclass(frozen=True)
class TransformerConfig(InvarianceConfig):
    """The invariance tab's setting (same data, test warps and CNN) with a spatial transformer in front."""

    train_on: str = param("warped", options=TRAIN_ON)  # warped: the augmented net's copies; upright: the plain net's

    def invariance(self) -> InvarianceConfig:
        """The invariance tab's setting whose plain and augmented nets this transformer is compared with."""
        return InvarianceConfig(**{f.name: getattr(self, f.name) for f in dataclasses.fields(InvarianceConfig)})


@dataclass(frozen=True)
class TransformerResult:
    """The transformer's training curves, its accuracy against turn and zoom, what it undid, a few inputs."""

    history: pd.DataFrame  # model ("stn"), pool, epoch, split, loss, accuracy (%)
    curves: pd.DataFrame  # model, warp (rotation / scale), value, accuracy (%): run_invariance's test images
    undo: pd.DataFrame  # warp, value, back: the turn (deg, mean) or zoom (geometric mean) it takes back per test
    # value; taking back all of it: back = value (for a zoom, back = value means it zooms by 1 / value)
    undone: dict[str, float]  # warp -> the share of the test warp it takes back (slope of back against value,
    # of their logs for zoom): 1 = all of it, 0 = none
    samples: pd.DataFrame  # warp, grid_value, shape, stage (input / straightened), row, col, value
    diverged: tuple[str, ...]  # ("stn",) if its loss went inf/NaN or past BLOWUP (curves left out)


def _undone(undo: pd.DataFrame) -> dict[str, float]:
    """Least-squares slope of what it takes back against the test warp (of their logs for zoom)."""
    out = {}
    for warp, part in undo.groupby("warp", sort=False):
        x, y = part["value"], part["back"]
        if warp == "scale":
            x, y = x.map(math.log), y.map(math.log)
        dx = x - x.mean()
        out[warp] = float((dx * (y - y.mean())).sum() / (dx * dx).sum()) if float((dx * dx).sum()) > 0 else 0.0
    return out


def _samples(net: STN, cfg: TransformerConfig, x: torch.Tensor, y: torch.Tensor, diverged: bool) -> pd.DataFrame:
    """One test image of each shape at the largest turn, the smallest and the largest zoom: in and straightened
    (only in, if training diverged)."""
    first = [int((y == k).nonzero()[0]) for k in range(len(SHAPES)) if bool((y == k).any())]
    rows = []
    with torch.no_grad():
        for warp, v in (("rotation", cfg.max_angle), ("scale", cfg.min_scale), ("scale", cfg.max_scale)):
            x_in = warp_by(x[first], warp, v, torch.ones(len(first)))  # (K, 1, S, S)
            x_out = x_in if diverged else net.straighten(x_in)
            stages = ("input",) if diverged else ("input", "straightened")  # each shape's pair side by side
            rows += [pixel_frame(img[i, 0], warp=warp, grid_value=v, shape=SHAPES[int(y[k])], stage=stage)
                     for i, k in enumerate(first) for stage, img in zip(stages, (x_in, x_out))]
    return pd.concat(rows, ignore_index=True)


def run_transformer(cfg: TransformerConfig = TransformerConfig(),
                    progress: Progress | None = None) -> TransformerResult:
    """Train the transformer + CNN on the invariance tab's data; accuracy and what it undoes against turn and zoom."""
    g, data, nets, augment = start(cfg, ("stn",))  # the same draws as run_invariance: its images, batches, warps
    net = STN(nets["stn"], INV_SIZE, generator(cfg.seed + 10_000))  # a stream of its own for the new part
    history, _, diverged = train_together({"stn": net}, data, cfg.epochs, 3e-3, g, progress, 0.9,
                                          {"stn": augment} if cfg.train_on == "warped" else None)
    x_te, y_te = data[2], data[3]
    curves, undo = [], []
    for warp, v, sign, xw in warped_test_sets(cfg, g, x_te):
        if diverged:
            continue
        curves.append(dict(model="stn", warp=warp, value=v, accuracy=_score(net, xw, y_te)[1]))
        with torch.no_grad():
            turn, log_zoom = net.pose(xw)[:, :2].unbind(1)  # (N,) each
        # what it takes back: the turn against each image's own test turn (deg), the zoom as 1 / its zoom
        back = -(torch.rad2deg(turn) * sign).mean() if warp == "rotation" else (-log_zoom).mean().exp()
        undo.append(dict(warp=warp, value=v, back=float(back)))
    report(progress, 1.0, history.to_dict("records"))
    undo = pd.DataFrame(undo, columns=["warp", "value", "back"])
    return TransformerResult(history=history, curves=pd.DataFrame(curves, columns=["model", "warp", "value", "accuracy"]),
                             undo=undo, undone=_undone(undo) if len(undo) else {},
                             samples=_samples(net, cfg, x_te, y_te, bool(diverged)), diverged=tuple(sorted(diverged)))
