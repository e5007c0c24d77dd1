"""Subsampling and pooling (the notes' observation 3), and how fast receptive fields grow once maps shrink.

Subsampling keeps every f-th row and column; f x f pooling keeps the max (or the mean) of each f x f window. Both
work on each channel by itself, so the number of channels stays. A pattern much larger than f is still there
afterwards; a detail not much larger than f can fall between the kept rows and columns.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch
import torch.nn.functional as F

from core.convolution.image import CHANNELS, picture, sun
from core.lab import Progress, param, report, seed_param, validate

DEPTHS = range(1, 6)  # stacked 3 x 3 layers for the receptive-field chart
GROWTH = ("stride 1", "stride 2", "pool 2")  # each 3 x 3 layer alone / with stride 2 / followed by 2 x 2 pooling
VIEWS = ("original", "subsampled", "pooled")


def receptive_field(depth: int, kind: str) -> int:
    """The receptive field's side after `depth` 3 x 3 layers, measured: the input pixels whose gradient reaches
    the centre output neuron of a stack of all-ones convolutions (autograd, not a formula). Pooling is measured
    as average pooling: the same 2 x 2 windows, but every input of a window gets gradient (max pooling passes it
    to the largest one only, though any of them could have been the largest)."""
    side = 2 * receptive_formula(depth, kind) + 1
    x = torch.zeros(1, 1, side, side, requires_grad=True)
    h = x
    for _ in range(depth):
        h = F.conv2d(h, torch.ones(1, 1, 3, 3), stride=2 if kind == "stride 2" else 1)
        if kind == "pool 2":
            h = F.avg_pool2d(h, 2)
    h[0, 0, h.shape[2] // 2, h.shape[3] // 2].backward()
    touched = (x.grad[0, 0] != 0).any(0).nonzero()
    return int(touched.max() - touched.min() + 1)


def receptive_formula(depth: int, kind: str) -> int:
    """The same in closed form: each layer adds (k - 1) * jump; jump (the input pixels between neighbouring
    neurons) doubles with stride 2, and a 2 x 2 pool adds (2 - 1) * jump and doubles it."""
    size, jump = 1, 1
    for _ in range(depth):
        size += 2 * jump
        if kind == "stride 2":
            jump *= 2
        elif kind == "pool 2":
            size += jump
            jump *= 2
    return size


def windows(img: torch.Tensor, f: int) -> torch.Tensor:
    """(C, f * f, L): the pixels of each f x f window (the windows pooling reads), channel by channel."""
    return F.unfold(img[None], f, stride=f).view(img.shape[0], f * f, -1)


def new_colours(img: torch.Tensor, pooled: torch.Tensor, f: int) -> torch.Tensor:
    """(L,) bool: pooled pixels whose colour (all channels together) is the colour of no pixel of their window —
    each channel is pooled by itself, so the channels of one output pixel can come from different input pixels."""
    same = (windows(img, f) == pooled.flatten(1)[:, None, :]).all(0)  # (f * f, L): a window pixel of that colour
    return ~same.any(0)


@dataclass(frozen=True)
class ShrinkConfig:
    """The picture's side, the step of subsampling (and the pooling window), max or average pooling."""

    size: int = param(32, lo=8, hi=64, step=1, label="shrink_size")  # pixels per side
    factor: int = param(2, lo=2, hi=4, step=1)  # keep every factor-th row and column; factor x factor windows
    pool: str = param("max", options=("max", "average"))  # the notes name both
    seed: int = seed_param()  # nothing random here; every config carries the page's seed

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class ShrinkResult:
    """The three pictures, their shapes, the sun before and after subsampling, receptive-field growth."""

    views: pd.DataFrame  # view (VIEWS), channel (R/G/B), row, col, value
    shapes: pd.DataFrame  # view, height, width, channels, numbers: read off the tensors
    sun: pd.DataFrame  # view (original / subsampled), pixels, share: the sun's pixels and their share of the picture
    mixed: int  # pooled pixels with a colour no pixel of their window had (new_colours)
    growth: pd.DataFrame  # kind, depth, measured, formula


def run_shrink(cfg: ShrinkConfig = ShrinkConfig(), progress: Progress | None = None) -> ShrinkResult:
    """Subsample and pool the picture; count what is left; measure receptive fields through shrinking layers."""
    img, f = picture(cfg.size), cfg.factor  # (3, H, W)
    pooled = (F.max_pool2d if cfg.pool == "max" else F.avg_pool2d)(img, f)  # (3, H // f, W // f): channel by channel
    views = dict(zip(VIEWS, (img, img[:, ::f, ::f], pooled)))
    frames, shapes = [], []
    for name, v in views.items():
        c, h, w = v.shape
        r, q = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
        frames += [pd.DataFrame({"view": name, "channel": CHANNELS[i], "row": r.flatten(), "col": q.flatten(),
                                 "value": v[i].flatten()}) for i in range(c)]
        shapes.append({"view": name, "height": h, "width": w, "channels": c, "numbers": v.numel()})
    mask = sun(cfg.size)  # (H, W) bool
    spots = pd.DataFrame([{"view": name, "pixels": int(m.sum()), "share": m.float().mean().item()}
                          for name, m in (("original", mask), ("subsampled", mask[::f, ::f]))])
    growth = pd.DataFrame([{"kind": kind, "depth": d, "measured": receptive_field(d, kind),
                            "formula": receptive_formula(d, kind)} for kind in GROWTH for d in DEPTHS])
    report(progress, 1.0, [])
    return ShrinkResult(views=pd.concat(frames, ignore_index=True), shapes=pd.DataFrame(shapes), sun=spots,
                        mixed=int(new_colours(img, pooled, f).sum()), growth=growth)
