"""What receptive fields and parameter sharing each save; AlphaGo's layers.

Three layers compute the same outputs (n x n positions x `filters` channels, zero padding k // 2 as AlphaGo uses):
fully connected (every neuron sees the whole input), local fields without sharing (every neuron sees only its
k x k x C_in field, with weights of its own: the notes' observation 1), and the convolution (all positions share
one filter per output channel: observation 2). Counts are sum(p.numel()) of the modules built on the "meta"
device: shapes without memory, so a layer of billions of weights costs nothing to count.
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
LAYERS = ("fully connected", "local fields", "convolution")


def count(module: nn.Module) -> int:
    """Its parameters: sum of numel over module.parameters()."""
    return sum(p.numel() for p in module.parameters())


class LocalFields(nn.Module):
    """Receptive fields without sharing (a "locally connected" layer): like nn.Conv2d with zero padding k // 2,
    but every output position has k x k x C_in weights and a bias of its own for each output channel. Tie all
    positions' weights together and it is the convolution (tests/test_convolution.py checks it)."""

    def __init__(self, cin: int, filters: int, k: int, side: int, device: torch.device | None = None):
        super().__init__()
        self.k, self.side = k, side
        self.weight = nn.Parameter(torch.empty(side * side, filters, cin * k * k, device=device))  # (P, F, C_in*k*k)
        self.bias = nn.Parameter(torch.empty(side * side, filters, device=device))  # (P, F)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C_in, n, n) -> (B, F, n, n), k odd
        """Each position's field times that position's own weights."""
        fields = F.unfold(x, self.k, padding=self.k // 2)  # (B, C_in*k*k, P): every position's field, flattened
        out = torch.einsum("bcp,pfc->bfp", fields, self.weight) + self.bias.T  # (B, F, P): each its own weights
        return out.view(x.shape[0], -1, self.side, self.side)


def three_layers(n: int, cin: int, filters: int, k: int, device: torch.device = META) -> dict[str, nn.Module]:
    """The three layers from an n x n x cin input to n x n x filters outputs: {LAYERS name: module}."""
    return {"fully connected": nn.Linear(n * n * cin, n * n * filters, device=device),
            "local fields": LocalFields(cin, filters, k, n, device=device),
            "convolution": nn.Conv2d(cin, filters, k, padding=k // 2, device=device)}


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


@dataclass(frozen=True)
class SharingConfig:
    """The sizes of one layer: input side and channels, filters and kernel."""

    n: int = param(100, lo=4, hi=256, step=1)  # input side (the notes: 100 x 100)
    cin: int = param(3, lo=1, hi=64, step=1)  # input channels (RGB: 3; AlphaGo: 48)
    filters: int = param(64, lo=1, hi=256, step=1)  # output channels
    k: int = param(3, options=(1, 3, 5, 7))  # odd: padding k // 2 keeps the output n x n
    seed: int = seed_param()  # the shared filter of the two-neuron demo

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class SharingResult:
    """Counts from the three layers, one filter on two patches, AlphaGo's layers."""

    counts: pd.DataFrame  # layer (LAYERS), neurons, per_neuron (weights + bias each neuron uses), parameters, formula
    two: pd.DataFrame  # neuron (1 / 2), row, col, output: the same filter on two patches of the picture
    alphago: pd.DataFrame  # layer, output, parameters
    alphago_fc: int  # a fully connected layer from 19x19x48 to 19x19x192


def run_sharing(cfg: SharingConfig = SharingConfig(), progress: Progress | None = None) -> SharingResult:
    """Count the three layers, apply one shared filter to two patches, list AlphaGo's layers."""
    n, cin, f, k = cfg.n, cfg.cin, cfg.filters, cfg.k
    neurons = n * n * f  # the same outputs for all three layers
    formula = {"fully connected": f"({n}·{n}·{f}) · ({n}·{n}·{cin} + 1)",
               "local fields": f"({n}·{n}·{f}) · ({k}·{k}·{cin} + 1)",
               "convolution": f"{f} · ({k}·{k}·{cin} + 1)"}
    per = {"fully connected": n * n * cin + 1, "local fields": k * k * cin + 1, "convolution": k * k * cin + 1}
    counts = pd.DataFrame([{"layer": name, "neurons": neurons, "per_neuron": per[name], "parameters": count(m),
                            "formula": formula[name]} for name, m in three_layers(n, cin, f, k).items()])
    img = grey(picture(16))  # (16, 16)
    w = torch.randn(3, 3, generator=generator(cfg.seed))  # one 3 x 3 filter, shared by both neurons
    two = pd.DataFrame([{"neuron": i + 1, "row": r, "col": c, "output": (w * img[r:r + 3, c:c + 3]).sum().item()}
                        for i, (r, c) in enumerate(((2, 3), (11, 8)))])  # a patch of sky and one on the grass
    report(progress, 1.0, [])
    return SharingResult(counts=counts, two=two, alphago=alphago(),
                         alphago_fc=count(nn.Linear(19 * 19 * 48, 19 * 19 * 192, device=META)))
