"""Pooling versus no pooling: two CNNs identical but for their pooling, trained side by side."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch

from core.lab import Progress, generator, param, report, seed_param, validate
from core.pooling.cnn import CNN, _twins, train_together
from core.pooling.data import class_names, make_task, pixel_frame

POOLS = ("max", "avg", "none")
TASKS = ("what", "where")
N_TEST = 500  # held-out images per task; enough that one image moves accuracy by 0.2 points


@dataclass(frozen=True)
class PoolingConfig:
    """Two CNNs that differ only in their pooling, trained side by side on one task."""

    task: str = param("what", options=TASKS)  # "what": which shape, anywhere; "where": a stone's square colour (Go)
    pool_a: str = param("max", options=POOLS)  # net A's 2x2 pooling after each conv: max / avg / none
    pool_b: str = param("none", options=POOLS)  # net B's pooling; the story compares a pooled A with an unpooled B
    n_conv: int = param(2, lo=1, hi=3, step=1)  # each pooling halves H and W, so 3 already gives 16 -> 2
    channels: int = param(8, lo=4, hi=16, step=2)  # filters per conv layer (pooling never changes this)
    kernel: int = param(3, options=(3, 5))  # wider kernels cost kernel^2 but see more context
    size: int = param(16, lo=12, hi=20, step=2)  # px, even so 2x2 windows tile the image
    n_train: int = param(800, lo=200, hi=1000, step=100)  # training images
    epochs: int = param(8, lo=1, hi=10, step=1)  # with every field at its maximum a run stays well under 20 s
    lr: float = param(3e-3, options=(1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.05), log=True)  # Adam step size
    seed: int = seed_param()

    def __post_init__(self):
        validate(self)
        if self.size % 2:
            raise ValueError(f"size must be even (12..20), got {self.size}")


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
