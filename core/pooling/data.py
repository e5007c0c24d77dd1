"""Images for the pooling lesson: shapes ("what"), Go-like stones ("where"), warps, tidy pixels."""
from __future__ import annotations

import math

import pandas as pd
import torch
import torch.nn.functional as F

SHAPES = ("square", "cross", "ring", "triangle")
# Outward edge normals of an upright triangle (apex up; image rows grow downwards).
_TRI_NORMALS = torch.tensor([[0.0, 1.0], [0.866, -0.5], [-0.866, -0.5]])  # (3, 2) as (x, y)


def _outlines(dx: torch.Tensor, dy: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    """Distance of every pixel to each shape's outline, stacked in SHAPES order.

    dx, dy: (N, S, S) offsets from the shape centre; r: (N, 1, 1) size. Returns (4, N, S, S).
    """
    square = ((dx.abs().maximum(dy.abs())) - 0.8 * r).abs()
    # the cross is two segments of half-length r: distance to the nearer one
    d_h = torch.sqrt(dy**2 + F.relu(dx.abs() - r) ** 2)
    d_v = torch.sqrt(dx**2 + F.relu(dy.abs() - r) ** 2)
    cross = d_h.minimum(d_v)
    ring = (torch.sqrt(dx**2 + dy**2) - 0.85 * r).abs()
    n = _TRI_NORMALS
    edge = torch.stack([n[k, 0] * dx + n[k, 1] * dy for k in range(3)])  # (3, N, S, S)
    triangle = (edge.amax(0) - 0.55 * r).abs()  # inradius 0.55 r ~ circumradius 1.1 r
    return torch.stack([square, cross, ring, triangle])


def make_shapes(n: int, size: int, g: torch.Generator, *, size_jitter: float = 0.2,
                pos_jitter: float = 1.0, noise: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Outline shapes ("what" task) at random places; returns images (N, 1, S, S) and labels (N,).

    size_jitter: relative spread of the shape size; pos_jitter: 1.0 = anywhere the shape fits,
    0.0 = always centred; noise: std of added Gaussian pixel noise.
    """
    r0 = 0.25 * size  # typical half-size in pixels
    r = r0 * (1 + size_jitter * (2 * torch.rand(n, generator=g) - 1))  # (N,)
    room = (size - 1) / 2 - r - 1.0  # how far the centre may move and still fit
    c = (size - 1) / 2 + pos_jitter * room[:, None] * (2 * torch.rand(n, 2, generator=g) - 1)  # (N, 2)
    y = torch.randint(len(SHAPES), (n,), generator=g)  # (N,)
    grid = torch.arange(size, dtype=torch.float32)
    dx = grid[None, None, :] - c[:, 0, None, None]  # (N, 1, S)
    dy = grid[None, :, None] - c[:, 1, None, None]  # (N, S, 1)
    dx, dy = torch.broadcast_tensors(dx, dy)  # (N, S, S)
    d = _outlines(dx, dy, r[:, None, None])  # (4, N, S, S)
    d = d.gather(0, y[None, :, None, None].expand(1, n, size, size))[0]  # (N, S, S)
    x = (1.0 - F.relu(d - 0.5)).clamp(min=0.0)  # a ~1 px stroke with a soft edge
    if noise > 0:
        x = x + noise * torch.randn(x.shape, generator=g)
    return x[:, None], y


def make_stones(n: int, size: int, g: torch.Generator, *, n_white: int = 3,
                noise: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Go-like boards ("where" task): one black stone (+1) among white ones (-1).

    The label is the colour of the black stone's square on a checkerboard, (row + col) mod 2:
    it depends on the exact position, and every 2x2 pooling window holds both colours.
    Returns images (N, 1, S, S) and labels (N,).
    """
    cells = torch.rand(n, size * size, generator=g).argsort(dim=1)[:, : 1 + n_white]  # (N, 1+W) distinct
    x = torch.zeros(n, size * size)
    x.scatter_(1, cells[:, 1:], -1.0)
    x.scatter_(1, cells[:, :1], 1.0)
    row, col = cells[:, 0] // size, cells[:, 0] % size
    y = (row + col) % 2  # (N,)
    x = x.view(n, 1, size, size)
    if noise > 0:
        x = x + noise * torch.randn(x.shape, generator=g)
    return x, y


def make_task(task: str, n: int, size: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (N, 1, S, S) and labels (N,) for the "what" or the "where" task."""
    if task == "what":
        return make_shapes(n, size, g, noise=0.15)
    return make_stones(n, size, g, noise=0.1)


def class_names(task: str) -> tuple[str, ...]:
    """Label names for a task, indexed by label."""
    return SHAPES if task == "what" else ("light square", "dark square")


def warp(x: torch.Tensor, angle_deg: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Rotate each image by angle_deg and zoom it by scale about the image centre.

    x: (N, C, S, S); angle_deg, scale: (N,). Uses affine_grid/grid_sample (bilinear, zero fill).
    """
    a = angle_deg * (math.pi / 180)
    cos, sin = torch.cos(a) / scale, torch.sin(a) / scale  # output pixel -> input: inverse zoom
    zero = torch.zeros_like(a)
    theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)  # (N, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def random_warp(x: torch.Tensor, g: torch.Generator, max_angle: float, min_scale: float,
                max_scale: float) -> torch.Tensor:
    """Data augmentation: a random rotation in ±max_angle and zoom in [min_scale, max_scale]."""
    n = x.shape[0]
    angle = max_angle * (2 * torch.rand(n, generator=g) - 1)
    log_s = math.log(min_scale) + (math.log(max_scale) - math.log(min_scale)) * torch.rand(n, generator=g)
    return warp(x, angle, torch.exp(log_s))


def eval_grid(max_angle: float, min_scale: float, max_scale: float, n: int) -> dict[str, list[float]]:
    """Test angles (deg) and zooms (geometric, 1.0 included) at which accuracy is measured."""
    angles = [round(a, 2) for a in torch.linspace(0, max_angle, n).tolist()]
    scales = torch.logspace(math.log10(min_scale), math.log10(max_scale), n).tolist()
    return {"rotation": angles, "scale": sorted(set([round(s, 3) for s in scales] + [1.0]))}


def warp_by(x: torch.Tensor, kind: str, value: float, sign: torch.Tensor) -> torch.Tensor:
    """x turned by ±value degrees (kind "rotation", sign (N,) of ±1) or zoomed by value ("scale")."""
    n = x.shape[0]
    if kind == "rotation":
        return warp(x, value * sign, torch.ones(n))
    return warp(x, torch.zeros(n), torch.full((n,), value))


def pixel_frame(img: torch.Tensor, **tags) -> pd.DataFrame:
    """One tidy row per pixel of img (H, W): the tags, row, col, value."""
    r, q = torch.meshgrid(torch.arange(img.shape[0]), torch.arange(img.shape[1]), indexing="ij")
    return pd.DataFrame(dict(**tags, row=r.flatten(), col=q.flatten(), value=img.flatten()))
