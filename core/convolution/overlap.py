"""Why receptive fields should overlap: a small pattern at every position, and the fields that see it whole.

The pattern is a 2 x 2 diagonal (its mirror image, the anti-diagonal, is the other class). Fields of size k start
every s pixels on an image the fields tile exactly (side n = s * (F - 1) + k). Along one axis a field sees the
pattern whole at k - m + 1 positions (m = 2); with s <= k - m + 1 the fields' windows touch and every position is
seen, else F * (k - m + 1) of the n - m + 1 positions are. Both axes: the fraction is the square.

Then two tiny CNNs, identical but for the stride (the chosen s, and s = 1), learn to tell the diagonal from the
anti-diagonal with ONE filter — one detector neuron type: conv (k x k, stride s) -> ReLU -> max over positions
-> threshold. Where the pattern straddles a field border, every neuron sees only part of it. (With many filters a
network can still combine parts seen by different neurons, since fields sit at fixed places: the notes' argument
is about one neuron detecting a pattern, and so is this measurement.)
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

from core.lab import Progress, generator, param, report, seed_param, validate

M = 2  # the pattern's side
PATTERNS = torch.tensor([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])  # diagonal (class 0), anti-diagonal
TARGET_SIDE = 12  # the image side is the largest tiled side <= this (at least k + s)
NOISE = 0.05
RESTARTS = 8  # one-filter detectors per network, trained together from different starts


def image_side(k: int, s: int) -> int:
    """The side n = s * (F - 1) + k with the most fields F (at least 2) such that n <= TARGET_SIDE (or F = 2)."""
    fields = max((TARGET_SIDE - k) // s + 1, 2)
    return s * (fields - 1) + k


def covered_axis(n: int, k: int, s: int) -> torch.Tensor:
    """(n - M + 1,) bool: positions q (the pattern's first pixel) at which some field [i*s, i*s + k) holds
    the whole pattern [q, q + M), counted one by one."""
    q = torch.arange(n - M + 1).view(-1, 1)
    start = torch.arange(0, n - k + 1, s).view(1, -1)  # (1, F): every field's first pixel
    return ((start <= q) & (q + M <= start + k)).any(1)


def coverage_formula(n: int, k: int, s: int) -> float:
    """The same fraction in closed form: per axis 1 if s <= k - M + 1, else F * (k - M + 1) / (n - M + 1);
    squared for two axes. (On a large image it tends to min(1, (k - M + 1) / s) squared.)"""
    fields = (n - k) // s + 1
    axis = 1.0 if s <= k - M + 1 else fields * (k - M + 1) / (n - M + 1)
    return axis ** 2


@dataclass(frozen=True)
class OverlapConfig:
    """Kernel and stride of the fields (the second network has stride 1), and the training budget."""

    k: int = param(3, lo=2, hi=5, step=1)
    s: int = param(3, lo=1, hi=5, step=1)
    steps: int = param(300, lo=50, hi=1000, step=50)  # Adam steps, full batch
    seed: int = seed_param()

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class OverlapResult:
    """Coverage (counted and by formula), the map of missed positions, and the two networks' accuracies."""

    n: int  # image side
    coverage: float  # share of pattern positions some field sees whole (counted)
    formula: float  # the same by the closed form
    positions: pd.DataFrame  # row, col, seen (bool): the pattern's first pixel
    accuracy: pd.DataFrame  # stride, place (inside / border), accuracy, n: test images of both classes
    history: pd.DataFrame  # stride, step, loss (the lowest of the detectors' losses at that step)


class Detectors(nn.Module):
    """RESTARTS one-filter detectors side by side: conv (k x k, stride s) -> ReLU -> max over positions -> its own
    linear scale and bias for the two class scores. Each filter is one detector neuron type, trained from its own
    random start; the page shows the one with the lowest training loss."""

    def __init__(self, k: int, s: int, g: torch.Generator):
        super().__init__()
        self.conv = nn.utils.skip_init(nn.Conv2d, 1, RESTARTS, k, stride=s)  # no default init: no global RNG
        self.scale, self.bias = nn.Parameter(torch.empty(RESTARTS, 2)), nn.Parameter(torch.empty(RESTARTS, 2))
        with torch.no_grad():  # every start from the private RNG
            for p in self.parameters():
                p.copy_(0.5 * torch.randn(p.shape, generator=g))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 1, n, n) -> (B, R, 2)
        peak = F.relu(self.conv(x)).amax((2, 3))  # (B, R): each detector's strongest response
        return peak.unsqueeze(-1) * self.scale + self.bias


def images(n: int, rows: torch.Tensor, cols: torch.Tensor, labels: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """(B, 1, n, n): the pattern of each label at (row, col), plus a little noise."""
    x = NOISE * torch.randn(len(labels), 1, n, n, generator=g)
    for b, (r, c, y) in enumerate(zip(rows.tolist(), cols.tolist(), labels.tolist())):
        x[b, 0, r:r + M, c:c + M] += PATTERNS[y]
    return x


def run_overlap(cfg: OverlapConfig = OverlapConfig(), progress: Progress | None = None) -> OverlapResult:
    """Count the coverage; train the chosen stride and stride 1 on the same images; test at every position."""
    n = image_side(cfg.k, cfg.s)
    axis = covered_axis(n, cfg.k, cfg.s)  # (n - M + 1,)
    seen = axis.view(-1, 1) & axis.view(1, -1)  # (P, P)
    r, c = torch.meshgrid(torch.arange(n - M + 1), torch.arange(n - M + 1), indexing="ij")
    positions = pd.DataFrame({"row": r.flatten(), "col": c.flatten(), "seen": seen.flatten()})
    g = generator(cfg.seed)
    rows, cols = r.flatten().repeat(2), c.flatten().repeat(2)  # every position, both classes
    y = torch.arange(2).repeat_interleave(len(positions))
    x = images(n, rows, cols, y, g)  # the training images; the test images differ only in their noise
    strides = [cfg.s] + ([1] if cfg.s != 1 else [])
    nets = {s: Detectors(cfg.k, s, generator(cfg.seed + 1)) for s in strides}  # the same starts for both
    opt = torch.optim.Adam([p for net in nets.values() for p in net.parameters()], lr=0.05)
    rows_out = []
    ce = lambda net, x, y: F.cross_entropy(net(x).transpose(1, 2), y.unsqueeze(1).expand(-1, RESTARTS),  # noqa: E731
                                           reduction="none").mean(0)  # (R,): each detector's loss
    for step in range(cfg.steps):
        opt.zero_grad()
        losses = {s: ce(net, x, y) for s, net in nets.items()}
        sum(v.sum() for v in losses.values()).backward()
        opt.step()
        if step % 10 == 0 or step == cfg.steps - 1:
            rows_out += [{"stride": s, "step": step, "loss": v.min().item()} for s, v in losses.items()]
        if step % 25 == 0:
            report(progress, step / cfg.steps, rows_out)
    tx = images(n, rows, cols, y, g)  # test: fresh noise
    inside = seen.flatten().repeat(2)
    acc = []
    with torch.no_grad():
        for s, net in nets.items():
            best = int(ce(net, x, y).argmin())  # the detector that learnt best, judged on the training images
            right = net(tx)[:, best].argmax(1) == y
            for place, mask in (("inside", inside), ("border", ~inside)):
                if mask.any():
                    acc.append({"stride": s, "place": place, "accuracy": right[mask].float().mean().item(),
                                "n": int(mask.sum())})
    report(progress, 1.0, rows_out)
    return OverlapResult(n=n, coverage=int(seen.sum()) / seen.numel(), formula=coverage_formula(n, cfg.k, cfg.s),
                         positions=positions, accuracy=pd.DataFrame(acc), history=pd.DataFrame(rows_out))
