"""Chapter 4, CNNs: pooling versus no pooling, and why CNNs need data augmentation.

Two CNNs identical but for their 2x2 pooling train side by side on a "what" task (which shape,
anywhere) and a Go-like "where" task (exact position): pooling cuts later layers' multiply-adds
4x and costs little on "what", but on "where" the pooled net stays near chance. Then a CNN
trained on upright shapes fails on rotated/zoomed ones until trained with augmentation.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

from core.lab import Progress, check_choice, check_int, check_range, generator, is_finite, report
from core.pooling_data import (SHAPES, class_names, eval_grid, make_shapes, make_task, pixel_frame,
                               random_warp, warp_by)

POOLS = ("max", "avg", "none")
TASKS = ("what", "where")
N_TEST = 500  # held-out images per task; enough that one image moves accuracy by 0.2 points
N_EVAL = 300  # training images scored after each epoch (a fixed subset keeps evaluation cheap)
BATCH = 32
HISTORY_COLS = ["model", "pool", "epoch", "split", "loss", "accuracy"]


def _max_pool(x: torch.Tensor) -> torch.Tensor:
    """2x2 max pooling (B, C, H, W) -> (B, C, H/2, W/2).

    Without autograd the max of four strided views gives the identical result several times
    faster than F.max_pool2d on CPU; training keeps F.max_pool2d for its lean backward.
    """
    if torch.is_grad_enabled():
        return F.max_pool2d(x, 2)
    x = x[..., : x.shape[-2] // 2 * 2, : x.shape[-1] // 2 * 2]  # an odd last row/col is dropped
    return torch.maximum(torch.maximum(x[..., ::2, ::2], x[..., 1::2, ::2]),
                         torch.maximum(x[..., ::2, 1::2], x[..., 1::2, 1::2]))


class CNN(nn.Module):
    """n_conv x [conv (stride 1, 'same' padding) -> ReLU -> optional 2x2 pool] -> flatten -> fc."""

    def __init__(self, n_conv: int, channels: int, kernel: int, pool: str, size: int,
                 n_classes: int, g_conv: torch.Generator, g_fc: torch.Generator):
        super().__init__()
        self.pool = pool
        c_in = [1] + [channels] * (n_conv - 1)
        self.convs = nn.ModuleList(nn.Conv2d(c, channels, kernel, padding=kernel // 2) for c in c_in)
        side = size // 2**n_conv if pool != "none" else size
        self.fc = nn.Linear(channels * side * side, n_classes)
        for conv in self.convs:  # the same g_conv state for both nets -> identical conv weights
            nn.init.kaiming_normal_(conv.weight, nonlinearity="relu", generator=g_conv)
            nn.init.zeros_(conv.bias)
        nn.init.normal_(self.fc.weight, std=1 / math.sqrt(self.fc.in_features), generator=g_fc)
        nn.init.zeros_(self.fc.bias)

    def trace(self, x: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
        """Every layer's output, named, from the input (B, 1, S, S) to the logits (B, K)."""
        out = [("input", x)]
        for i, conv in enumerate(self.convs, 1):
            x = F.relu(conv(x))  # (B, C, H, W)
            out.append((f"conv{i}", x))
            if self.pool != "none":
                x = _max_pool(x) if self.pool == "max" else F.avg_pool2d(x, 2)  # (B, C, H/2, W/2)
                out.append((f"pool{i}", x))
        x = x.flatten(1)  # (B, C*H*W)
        out.append(("flatten", x))
        out.append(("fc", self.fc(x)))  # (B, K)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B, K) for images (B, 1, S, S)."""
        return self.trace(x)[-1][1]


def _loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy; a module-level hook so tests can force a divergence."""
    return F.cross_entropy(logits, y)


@torch.no_grad()
def _score(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """(mean loss, accuracy in %) of net on (x, y)."""
    logits = net(x)
    return float(_loss(logits, y)), float((logits.argmax(1) == y).double().mean()) * 100


def _twins(g: torch.Generator, pools: dict[str, str], **arch) -> dict[str, CNN]:
    """One CNN per name with the given pooling, all starting from the same conv weights."""
    init_seed = int(torch.randint(2**31 - 1, (1,), generator=g))
    nets = {}
    for k, pool in pools.items():
        g_init = generator(init_seed)  # replayed per net: identical conv weights at the start
        nets[k] = CNN(pool=pool, g_conv=g_init, g_fc=g_init, **arch)
    return nets


def train_together(nets: dict[str, nn.Module], data: tuple[torch.Tensor, ...], epochs: int, lr: float,
                   g: torch.Generator, progress: Progress | None = None, span: float = 1.0,
                   augment: dict[str, Callable[[torch.Tensor], torch.Tensor]] | None = None,
                   ) -> tuple[pd.DataFrame, dict[str, float], set[str]]:
    """Minibatch Adam on all nets with the same batches; rows model, pool, epoch, split, loss, accuracy.

    data = (x_train, y_train, x_test, y_test); training reports progress from 0 up to span.
    augment maps a net name to a batch transform (data augmentation for that net only).
    Returns the history, each net's measured training seconds, and the names that diverged.
    """
    x_tr, y_tr, x_te, y_te = data
    seconds, diverged, rows = {k: 0.0 for k in nets}, set(), []

    def evaluate(epoch: int) -> None:
        for k, net in nets.items():
            if k in diverged:
                continue
            for split, (x, y) in (("train", (x_tr[:N_EVAL], y_tr[:N_EVAL])), ("test", (x_te, y_te))):
                loss, acc = _score(net, x, y)
                if not is_finite(loss):
                    diverged.add(k)
                    break
                rows.append(dict(model=k, pool=net.pool, epoch=epoch, split=split, loss=loss, accuracy=acc))

    evaluate(0)
    report(progress, 0.0, rows)
    opts = {k: torch.optim.Adam(net.parameters(), lr=lr) for k, net in nets.items()}
    for epoch in range(1, epochs + 1):
        perm = torch.randperm(len(y_tr), generator=g)
        for idx in perm.split(BATCH):
            xb, yb = x_tr[idx], y_tr[idx]  # (B, 1, S, S), (B,)
            for k, net in nets.items():
                if k in diverged:
                    continue
                t0 = time.perf_counter()
                xk = augment[k](xb) if augment and k in augment else xb
                loss = _loss(net(xk), yb)
                if not is_finite(loss):
                    diverged.add(k)
                    continue
                opts[k].zero_grad()
                loss.backward()
                opts[k].step()
                seconds[k] += time.perf_counter() - t0
        evaluate(epoch)
        report(progress, span * epoch / epochs, rows)
    return pd.DataFrame(rows, columns=HISTORY_COLS), seconds, diverged


# ---------------------------------------------------------------- pooling vs no pooling

@dataclass(frozen=True)
class PoolingConfig:
    """Two CNNs that differ only in their pooling, trained side by side on one task."""

    task: str = "what"  # "what": which shape, anywhere; "where": colour of a stone's square (Go-like)
    pool_a: str = "max"  # net A's 2x2 pooling after each conv: max / avg / none
    pool_b: str = "none"  # net B's pooling; the story compares a pooled A with an unpooled B
    n_conv: int = 2  # 1..3 conv layers; each pooling halves H and W, so 3 already gives 16 -> 2
    channels: int = 8  # 4..16 filters per conv layer (pooling never changes this)
    kernel: int = 3  # 3 or 5; wider kernels cost kernel^2 but see more context
    size: int = 16  # 12..20 px, even so 2x2 windows tile the image
    n_train: int = 800  # 200..1000 training images
    epochs: int = 8  # 1..10; with every field at its maximum a run stays well under 20 s
    lr: float = 3e-3  # 1e-4..0.05 Adam step size
    seed: int = 0  # 0..9999

    def __post_init__(self):
        check_choice("task", self.task, TASKS)
        check_choice("pool_a", self.pool_a, POOLS)
        check_choice("pool_b", self.pool_b, POOLS)
        check_int("n_conv", self.n_conv, 1, 3)
        check_int("channels", self.channels, 4, 16)
        check_choice("kernel", self.kernel, (3, 5))
        check_int("size", self.size, 12, 20)
        if self.size % 2:
            raise ValueError(f"size must be even (12..20), got {self.size}")
        check_int("n_train", self.n_train, 200, 1000)
        check_int("epochs", self.epochs, 1, 10)
        check_range("lr", self.lr, 1e-4, 0.05)
        check_int("seed", self.seed, 0, 9999)


@dataclass(frozen=True)
class PoolingResult:
    """Tidy frames for the curves, the cost table, the shape flow and the feature maps."""

    history: pd.DataFrame  # model, pool, epoch, split, loss, accuracy (%)
    costs: pd.DataFrame  # model, pool, params, macs, macs_late, activation_kb, train_s, diverged
    shapes: pd.DataFrame  # model, pool, step, layer, shape, values, macs
    maps: pd.DataFrame  # model, pool, stage, channel, row, col, value (one sample image)
    sample_label: str  # class name of the sample image shown in `maps`
    final: pd.DataFrame  # model, pool, split, loss, accuracy at the last epoch each net reached


def _layer_table(net: CNN, size: int) -> pd.DataFrame:
    """Shape flow and multiply-adds per image, one row per layer output."""
    convs = iter(net.convs)
    rows = []
    with torch.no_grad():
        for step, (name, h) in enumerate(net.trace(torch.zeros(1, 1, size, size))):
            macs = 0
            if name.startswith("conv"):
                w = next(convs).weight  # (C_out, C_in, k, k)
                macs = h[0].numel() * w[0].numel()  # every output value is one k*k*C_in dot product
            elif name == "fc":
                macs = net.fc.weight.numel()
            rows.append(dict(step=step, layer=name, shape="×".join(map(str, h.shape[1:])),
                             values=h[0].numel(), macs=macs))
    return pd.DataFrame(rows)


def _cost_row(k: str, net: CNN, layers: pd.DataFrame, seconds: float, diverged: bool) -> dict:
    """Parameters, multiply-adds per image (all, and in the layers after the first pooling point),
    activation memory per image (float32, flatten is a view), measured training seconds."""
    late = layers["layer"].str.fullmatch(r"conv[2-9]|fc")  # the same layers in both nets
    stored = layers["layer"] != "flatten"
    return dict(model=k, pool=net.pool, params=sum(p.numel() for p in net.parameters()),
                macs=int(layers["macs"].sum()), macs_late=int(layers.loc[late, "macs"].sum()),
                activation_kb=4 * int(layers.loc[stored, "values"].sum()) / 1024, train_s=seconds,
                diverged=diverged)


def _feature_maps(nets: dict[str, CNN], x: torch.Tensor, n_maps: int = 4) -> pd.DataFrame:
    """Tidy pixels of one image and of the first n_maps channels after conv1 and after pool1."""
    rows = []
    with torch.no_grad():
        for k, net in nets.items():
            for name, h in net.trace(x[None])[:3]:
                if name not in ("input", "conv1", "pool1"):
                    continue
                stage = name[:-1] if name != "input" else name
                rows += [pixel_frame(h[0, c], model=k, pool=net.pool, stage=stage, channel=c)
                         for c in range(min(n_maps, h.shape[1]))]
    return pd.concat(rows, ignore_index=True)


def run_pooling(cfg: PoolingConfig = PoolingConfig(), progress: Progress | None = None) -> PoolingResult:
    """Train net A (pool_a) and net B (pool_b) side by side; curves, costs, shape flow, feature maps."""
    g = generator(cfg.seed)
    x, y = make_task(cfg.task, cfg.n_train + N_TEST, cfg.size, g)  # (N, 1, S, S), (N,)
    data = (x[: cfg.n_train], y[: cfg.n_train], x[cfg.n_train:], y[cfg.n_train:])
    nets = _twins(g, {"A": cfg.pool_a, "B": cfg.pool_b}, n_conv=cfg.n_conv, channels=cfg.channels,
                  kernel=cfg.kernel, size=cfg.size, n_classes=len(class_names(cfg.task)))
    history, seconds, diverged = train_together(nets, data, cfg.epochs, cfg.lr, g, progress, span=0.95)
    shapes = pd.concat([_layer_table(net, cfg.size).assign(model=k, pool=net.pool)
                        for k, net in nets.items()], ignore_index=True)
    shapes = shapes[["model", "pool", "step", "layer", "shape", "values", "macs"]]
    costs = pd.DataFrame([_cost_row(k, net, shapes[shapes["model"] == k], seconds[k], k in diverged)
                          for k, net in nets.items()])
    last = history.groupby(["model", "split"])["epoch"].transform("max") == history["epoch"]
    result = PoolingResult(history=history, costs=costs, shapes=shapes, maps=_feature_maps(nets, data[2][0]),
                           sample_label=class_names(cfg.task)[int(data[3][0])],
                           final=history[last].drop(columns="epoch").reset_index(drop=True))
    report(progress, 1.0, history.to_dict("records"))
    return result


# ---------------------------------------------------------------- invariance and augmentation

INV_SIZE = 20  # px; room for a shape zoomed x1.5 and turned 45 degrees
N_GRID = 7  # test angles / scales per curve


@dataclass(frozen=True)
class InvarianceConfig:
    """Train on upright, fixed-size shapes; test rotated and zoomed; retrain with augmentation."""

    max_angle: float = 45.0  # 5..180 deg: test rotations 0..max_angle, augmentation draws in ±max_angle
    min_scale: float = 0.6  # 0.4..1.0 smallest test zoom (and augmentation's)
    max_scale: float = 1.5  # 1.0..2.0 largest test zoom (and augmentation's)
    channels: int = 8  # 4..16 filters in each of the two conv layers (max pooling after each)
    n_train: int = 800  # 200..1500 upright training shapes
    epochs: int = 8  # 1..12
    seed: int = 0  # 0..9999

    def __post_init__(self):
        check_range("max_angle", self.max_angle, 5.0, 180.0)
        check_range("min_scale", self.min_scale, 0.4, 1.0)
        check_range("max_scale", self.max_scale, 1.0, 2.0)
        check_int("channels", self.channels, 4, 16)
        check_int("n_train", self.n_train, 200, 1500)
        check_int("epochs", self.epochs, 1, 12)
        check_int("seed", self.seed, 0, 9999)


@dataclass(frozen=True)
class InvarianceResult:
    """Training curves of both nets, accuracy versus rotation/zoom, and sample warped images."""

    history: pd.DataFrame  # model (plain / augmented), pool, epoch, split, loss, accuracy (%);
    # "train" is scored on the unaugmented training images for both models
    curves: pd.DataFrame  # model, warp (rotation / scale), value (deg or zoom factor), accuracy (%)
    samples: pd.DataFrame  # warp, grid_value, row, col, value: one test shape per grid value
    diverged: tuple[str, ...]  # models whose loss became inf/NaN (their curves are left out)


def run_invariance(cfg: InvarianceConfig = InvarianceConfig(),
                   progress: Progress | None = None) -> InvarianceResult:
    """Accuracy versus test rotation and zoom, for a plain CNN and one trained with augmentation."""
    g = generator(cfg.seed)
    x, y = make_shapes(cfg.n_train + N_TEST, INV_SIZE, g, size_jitter=0.0, pos_jitter=0.25, noise=0.1)
    data = (x[: cfg.n_train], y[: cfg.n_train], x[cfg.n_train:], y[cfg.n_train:])
    nets = _twins(g, {"plain": "max", "augmented": "max"}, n_conv=2, channels=cfg.channels, kernel=3,
                  size=INV_SIZE, n_classes=len(SHAPES))
    g_aug = generator(int(torch.randint(2**31 - 1, (1,), generator=g)))  # own stream for the warps
    aug = {"augmented": lambda xb: random_warp(xb, g_aug, cfg.max_angle, cfg.min_scale, cfg.max_scale)}
    history, _, diverged = train_together(nets, data, cfg.epochs, 3e-3, g, progress, 0.9, aug)
    sign = torch.where(torch.rand(N_TEST, generator=g) < 0.5, -1.0, 1.0)  # (N,) turn left or right
    x_te, y_te = data[2], data[3]
    pick = int((y_te == 0).nonzero()[0]) if bool((y_te == 0).any()) else 0  # a square shows it best
    curves, samples = [], []
    for warp, values in eval_grid(cfg.max_angle, cfg.min_scale, cfg.max_scale, N_GRID).items():
        for v in values:
            xw = warp_by(x_te, warp, v, sign)  # (N, 1, S, S)
            for k, net in nets.items():
                if k not in diverged:
                    acc = _score(net, xw, y_te)[1]
                    curves.append(dict(model=k, warp=warp, value=v, accuracy=acc))
            samples.append(pixel_frame(xw[pick, 0], warp=warp, grid_value=v))
    report(progress, 1.0, history.to_dict("records"))
    curves = pd.DataFrame(curves, columns=["model", "warp", "value", "accuracy"])
    return InvarianceResult(history=history, curves=curves,
                            samples=pd.concat(samples, ignore_index=True), diverged=tuple(sorted(diverged)))
