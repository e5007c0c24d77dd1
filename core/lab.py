"""Shared pieces of the lab pattern: range checks, local RNGs, divergence, progress."""
from __future__ import annotations

import math
from typing import Callable, Iterable

import pandas as pd
import torch

# progress(fraction_done in [0, 1], partial tidy frame so far) — lets a page redraw live.
Progress = Callable[[float, pd.DataFrame], None]


def check_range(name: str, value: float, lo: float, hi: float) -> None:
    """Raise ValueError naming the field unless lo <= value <= hi (and value is finite)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number in {lo}..{hi}, got {value!r}")
    if not (math.isfinite(value) and lo <= value <= hi):
        raise ValueError(f"{name} must be {lo}..{hi}, got {value}")


def check_int(name: str, value: int, lo: int, hi: int) -> None:
    """Raise ValueError naming the field unless value is an int in lo..hi."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer in {lo}..{hi}, got {value!r}")
    check_range(name, value, lo, hi)


def check_choice(name: str, value: object, choices: Iterable[object]) -> None:
    """Raise ValueError naming the field unless value is one of choices."""
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


def check_bool(name: str, value: bool) -> None:
    """Raise ValueError naming the field unless value is exactly True or False (not 1, not 0.0)."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")


def generator(seed: int) -> torch.Generator:
    """A private RNG: never the process-global one, so concurrent sessions stay reproducible."""
    return torch.Generator().manual_seed(int(seed))


def is_finite(x: float | torch.Tensor) -> bool:
    """True when x (a float or tensor) holds no inf/NaN — a diverged run fails this."""
    if isinstance(x, torch.Tensor):
        return bool(torch.isfinite(x).all())
    return math.isfinite(x)


def report(progress: Progress | None, frac: float, rows: list[dict]) -> None:
    """Call progress(frac, frame-of-rows) if a progress callback was given."""
    if progress is not None:
        progress(min(max(frac, 0.0), 1.0), pd.DataFrame(rows))
