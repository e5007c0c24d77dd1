"""An image is numbers in channels; a classifier's output is compared with a one-hot label.

A small colour picture is drawn by code (sky, sun, grass), split into its R, G, B channels and flattened into the
vector a fully connected network would take. On the output side, a linear classifier's class scores go through
softmax and are compared with the one-hot label by cross-entropy (torch.nn.functional.cross_entropy).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch
import torch.nn.functional as F

from core.lab import Progress, generator, param, report, seed_param, validate

CHANNELS = ("R", "G", "B")


def _grid(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    t = torch.linspace(0, 1, size)
    return t.view(-1, 1).expand(size, size), t.view(1, -1).expand(size, size)  # (H, W) row and column in [0, 1]


def sun(size: int) -> torch.Tensor:
    """(H, W) bool: the picture's sun, a disc of radius 0.16 of the side."""
    row, col = _grid(size)
    return (row - 0.25) ** 2 + (col - 0.72) ** 2 < 0.16 ** 2


def picture(size: int) -> torch.Tensor:
    """A size x size colour picture in [0, 1]: (3, H, W). A blue sky getting lighter, a yellow sun, green grass."""
    row, col = _grid(size)
    img = torch.stack([0.35 + 0.4 * row, 0.55 + 0.35 * row, torch.ones(size, size)])  # sky
    img[:, sun(size)] = torch.tensor([1.0, 0.85, 0.1]).view(3, 1)
    grass = row > 0.7 + 0.08 * torch.sin(6 * col)
    img[:, grass] = torch.tensor([0.15, 0.6, 0.2]).view(3, 1)
    return img


def grey(img: torch.Tensor) -> torch.Tensor:
    """Luminance of a (3, H, W) picture: (H, W)."""
    return (torch.tensor([0.299, 0.587, 0.114]).view(3, 1, 1) * img).sum(0)


@dataclass(frozen=True)
class ChannelsConfig:
    """The picture's size, the number of classes, and which class is the true one."""

    size: int = param(16, lo=4, hi=32, step=1)  # pixels per side
    classes: int = param(5, lo=2, hi=10, step=1)
    label: int = param(2, lo=0, hi=9, step=1)  # the true class; one beyond the classes means the last class
    seed: int = seed_param()  # the classifier's random weights

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class ChannelsResult:
    """The picture, its channels, its flattened vector, and one classifier output against the one-hot label."""

    rgb: list  # (H, W, 3) nested lists in [0, 1], for an image element
    channels: pd.DataFrame  # channel (R/G/B), row, col, value
    length: int  # size * size * 3: the input vector's length
    flat: pd.DataFrame  # index, channel, value: the whole flattened vector (the R block, then G, then B)
    output: pd.DataFrame  # class, score, probability, one_hot
    cross_entropy: float  # -log p[label], by torch.nn.functional.cross_entropy
    label: int  # the true class used: cfg.label, or the last class if cfg.label >= classes


def run_channels(cfg: ChannelsConfig = ChannelsConfig(), progress: Progress | None = None) -> ChannelsResult:
    """Split the picture into channels, flatten it, and score it with a random linear classifier."""
    img = picture(cfg.size)  # (3, H, W)
    H = cfg.size
    r, c = torch.meshgrid(torch.arange(H), torch.arange(H), indexing="ij")
    channels = pd.concat([pd.DataFrame({"channel": name, "row": r.flatten(), "col": c.flatten(),
                                        "value": img[i].flatten()}) for i, name in enumerate(CHANNELS)],
                         ignore_index=True)
    x = img.flatten()  # (3 * H * W,): channel by channel, row by row
    flat = pd.DataFrame({"index": range(len(x)), "channel": [CHANNELS[i // (H * H)] for i in range(len(x))], "value": x})
    g = generator(cfg.seed)
    w = torch.randn(cfg.classes, len(x), generator=g) / len(x) ** 0.5  # (C, D): a linear classifier
    b = 0.1 * torch.randn(cfg.classes, generator=g)
    scores = w @ x + b  # (C,)
    label = min(cfg.label, cfg.classes - 1)
    target = torch.tensor([label])
    ce = F.cross_entropy(scores.unsqueeze(0), target).item()
    output = pd.DataFrame({"class": range(cfg.classes), "score": scores, "probability": scores.softmax(0),
                           "one_hot": F.one_hot(target, cfg.classes)[0].float()})
    report(progress, 1.0, [])
    return ChannelsResult(rgb=img.permute(1, 2, 0).tolist(), channels=channels, length=len(x), flat=flat,
                          output=output, cross_entropy=ce, label=label)
