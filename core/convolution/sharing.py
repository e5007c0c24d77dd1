"""Parameter sharing and what it saves; receptive fields growing through layers; subsampling; AlphaGo's layers.

Parameter counts are sum(p.numel()) of real torch.nn modules, built on the "meta" device: shapes without memory,
so a 30-million-weight fully connected layer costs nothing to count.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

from core.convolution.image import grey, picture
from core.lab import Progress, generator, param, report, seed_param, validate

META = torch.device("meta")
DEPTHS = range(1, 6)  # stacked 3 x 3 layers for the receptive-field chart
GROWTH = ("stride 1", "stride 2", "pool 2")  # each 3 x 3 layer alone / with stride 2 / followed by 2 x 2 max pooling


def count(module: nn.Module) -> int:
    """Its parameters: sum of numel over module.parameters()."""
    return sum(p.numel() for p in module.parameters())


def alphago(filters: int = 192, layers: int = 13) -> pd.DataFrame:
    """AlphaGo's policy network (Silver et al. 2016): 19 x 19 x 48 input; a 5 x 5 convolution, then 3 x 3 ones,
    `filters` each, zero padding, stride 1, no pooling; a final 1 x 1 convolution to one score per point.
    Output shapes come from running a meta tensor through the real modules."""
    mods = [("conv 5×5", nn.Conv2d(48, filters, 5, padding=2, device=META))]
    mods += [(f"conv 3×3 ({i})", nn.Conv2d(filters, filters, 3, padding=1, device=META)) for i in range(2, layers)]
    mods += [("conv 1×1", nn.Conv2d(filters, 1, 1, bias=False, device=META))]
    x, rows = torch.empty(1, 48, 19, 19, device=META), []
    for name, m in mods:
        x = m(x)
        rows.append({"layer": name, "output": "×".join(map(str, (x.shape[2], x.shape[3], x.shape[1]))),
                     "parameters": count(m)})
    rows[-1]["layer"] += " + a bias per point"  # the paper's last layer: a separate bias for each of the 361 points
    rows[-1]["parameters"] += 19 * 19
    return pd.DataFrame(rows)


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


@dataclass(frozen=True)
class SharingConfig:
    """The sizes of one layer: input side and channels, filters and kernel, fully connected neurons."""

    n: int = param(100, lo=4, hi=256, step=1)  # input side (the notes: 100 x 100)
    cin: int = param(3, lo=1, hi=64, step=1)  # input channels (RGB: 3; AlphaGo: 48)
    filters: int = param(64, lo=1, hi=256, step=1)
    k: int = param(3, options=(1, 3, 5, 7))
    fc: int = param(1000, lo=1, hi=4096, step=1)  # neurons of the fully connected layer compared
    seed: int = seed_param()  # the shared filter of the two-neuron demo

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class SharingResult:
    """Counts from real modules, one filter on two patches, receptive-field growth, subsampling vs pooling."""

    counts: pd.DataFrame  # layer (fully connected / convolution), parameters, formula
    two: pd.DataFrame  # neuron (1 / 2), row, col, output: the same filter on two patches of the picture
    growth: pd.DataFrame  # kind, depth, measured, formula
    shrink: pd.DataFrame  # view (original / subsampled / pooled), row, col, value
    alphago: pd.DataFrame  # layer, output, parameters
    alphago_fc: int  # a fully connected layer from 19x19x48 to 19x19x192


def run_sharing(cfg: SharingConfig = SharingConfig(), progress: Progress | None = None) -> SharingResult:
    """Count, compare, measure."""
    fc = nn.Linear(cfg.n * cfg.n * cfg.cin, cfg.fc, device=META)
    conv = nn.Conv2d(cfg.cin, cfg.filters, cfg.k, device=META)
    counts = pd.DataFrame({"layer": ["fully connected", "convolution"], "parameters": [count(fc), count(conv)],
                           "formula": [f"{cfg.n}·{cfg.n}·{cfg.cin}·{cfg.fc} + {cfg.fc}",
                                       f"{cfg.k}·{cfg.k}·{cfg.cin}·{cfg.filters} + {cfg.filters}"]})
    img = grey(picture(16))  # (16, 16)
    w = torch.randn(3, 3, generator=generator(cfg.seed))  # one 3 x 3 filter, shared by both neurons
    two = pd.DataFrame([{"neuron": i + 1, "row": r, "col": c, "output": (w * img[r:r + 3, c:c + 3]).sum().item()}
                        for i, (r, c) in enumerate(((2, 3), (11, 8)))])  # a patch of sky and one on the grass
    growth = pd.DataFrame([{"kind": kind, "depth": d, "measured": receptive_field(d, kind),
                            "formula": receptive_formula(d, kind)} for kind in GROWTH for d in DEPTHS])
    big = picture(32)
    views = {"original": grey(big), "subsampled": grey(big)[::2, ::2], "pooled": F.max_pool2d(grey(big)[None], 2)[0]}
    shrink = pd.concat([pd.DataFrame({"view": name, "row": torch.arange(v.shape[0]).repeat_interleave(v.shape[1]),
                                      "col": torch.arange(v.shape[1]).repeat(v.shape[0]), "value": v.flatten()})
                        for name, v in views.items()], ignore_index=True)
    report(progress, 1.0, [])
    return SharingResult(counts=counts, two=two, growth=growth, shrink=shrink, alphago=alphago(),
                         alphago_fc=count(nn.Linear(19 * 19 * 48, 19 * 19 * 192, device=META)))
