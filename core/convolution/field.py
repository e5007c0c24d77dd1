"""Slide a receptive field: input size n, kernel k, stride s, zero padding p.

Output neuron (i, j) looks at the k x k patch of the padded input starting at (i*s, j*s); its right-hand neighbour's
patch starts s columns later, so the two overlap by k - s columns when s < k. The output has
floor((n + 2p - k) / s) + 1 neurons per side, checked against the shape torch.nn.functional.conv2d returns.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch
import torch.nn.functional as F

from core.convolution.image import grey, picture
from core.lab import Progress, generator, param, report, seed_param, validate

IMAGE = 16  # the feature maps are computed on the lesson's picture at this size


def out_size(n: int, k: int, s: int, p: int) -> int:
    """Neurons per side of the output: floor((n + 2p - k) / s) + 1 (0 if the kernel does not fit)."""
    return max((n + 2 * p - k) // s + 1, 0)


def edge_filter(k: int) -> torch.Tensor:
    """A k x k vertical-edge detector: -1 on the left columns, +1 on the right ones (0 in the middle column)."""
    w = torch.zeros(k, k)
    w[:, : k // 2], w[:, (k + 1) // 2:] = -1.0, 1.0
    return w


@dataclass(frozen=True)
class FieldConfig:
    """The convolution's geometry, and which output neuron to highlight."""

    n: int = param(7, lo=3, hi=12, step=1)  # input side
    k: int = param(3, lo=2, hi=5, step=1)  # kernel side
    s: int = param(1, lo=1, hi=4, step=1)  # stride
    p: int = param(0, lo=0, hi=2, step=1)  # zero padding on each side
    neuron: int = param(0, lo=0, hi=224, step=1)  # output neuron, row by row (beyond the last: the last)
    seed: int = seed_param()  # the random filter

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class FieldResult:
    """The grids, the sizes by formula and by conv2d, and two feature maps on the picture."""

    out: int  # output side by the formula
    conv_out: int  # output side of the tensor F.conv2d returns (equal to out)
    neuron: int  # the highlighted output neuron (row by row), within range
    cells: pd.DataFrame  # row, col, kind (input / padding), field (mine / neighbour / both / none): padded input
    outputs: pd.DataFrame  # row, col, mine (bool): the output grid
    maps: pd.DataFrame  # filter (edge / random), row, col, value: feature maps of the picture
    overlap: int  # columns shared by neighbouring fields: max(k - s, 0); 0 when a row has one neuron
    left: bool  # the neighbour drawn is on the left (the chosen neuron is the last of its row)


def run_field(cfg: FieldConfig = FieldConfig(), progress: Progress | None = None) -> FieldResult:
    """Where each output neuron looks, and what two filters make of the picture with this geometry."""
    side = cfg.n + 2 * cfg.p
    out = out_size(cfg.n, cfg.k, cfg.s, cfg.p)
    fits = side >= cfg.k  # else conv2d refuses (the kernel is larger than the padded input): no output at all
    conv_out = F.conv2d(torch.zeros(1, 1, cfg.n, cfg.n), torch.zeros(1, 1, cfg.k, cfg.k), stride=cfg.s,
                        padding=cfg.p).shape[-1] if fits else 0
    neuron = min(cfg.neuron, out * out - 1) if fits else 0
    i, j = divmod(neuron, max(out, 1))

    def field(r: int, c: int) -> torch.Tensor:  # (side, side) bool: the patch of output neuron (r, c)
        m = torch.zeros(side, side, dtype=torch.bool)
        m[r * cfg.s: r * cfg.s + cfg.k, c * cfg.s: c * cfg.s + cfg.k] = True
        return m

    mine = field(i, j) if fits else torch.zeros(side, side, dtype=torch.bool)
    nj = j + 1 if j + 1 < out else j - 1  # the neighbour in its row: on the right, or on the left in the last column
    other = field(i, nj) if fits and 0 <= nj < out else torch.zeros_like(mine)
    rr, cc = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
    pad = (rr < cfg.p) | (rr >= cfg.p + cfg.n) | (cc < cfg.p) | (cc >= cfg.p + cfg.n)
    kind = torch.where(mine & other, 3, torch.where(mine, 1, torch.where(other, 2, 0)))
    cells = pd.DataFrame({"row": rr.flatten(), "col": cc.flatten(),
                          "kind": ["padding" if x else "input" for x in pad.flatten().tolist()],
                          "field": [("none", "mine", "neighbour", "both")[x] for x in kind.flatten().tolist()]})
    orr, occ = torch.meshgrid(torch.arange(out), torch.arange(out), indexing="ij")
    outputs = pd.DataFrame({"row": orr.flatten(), "col": occ.flatten(),
                            "mine": ((orr == i) & (occ == j)).flatten()})
    img = grey(picture(IMAGE)).view(1, 1, IMAGE, IMAGE)
    filters = torch.stack([edge_filter(cfg.k), torch.randn(cfg.k, cfg.k, generator=generator(cfg.seed))]).unsqueeze(1)
    fmap = F.conv2d(img, filters, stride=cfg.s, padding=cfg.p)[0]  # (2, O, O) on the picture
    mr, mc = torch.meshgrid(torch.arange(fmap.shape[1]), torch.arange(fmap.shape[2]), indexing="ij")
    maps = pd.concat([pd.DataFrame({"filter": name, "row": mr.flatten(), "col": mc.flatten(), "value": fmap[f].flatten()})
                      for f, name in enumerate(("edge", "random"))], ignore_index=True)
    report(progress, 1.0, [])
    return FieldResult(out=out, conv_out=conv_out, neuron=neuron, cells=cells, outputs=outputs, maps=maps,
                       overlap=max(cfg.k - cfg.s, 0) if out > 1 else 0, left=fits and out > 1 and j == out - 1)
