"""Shared pieces of the lab pattern: parameters declared once, local RNGs, divergence, progress.

A config field is declared with `param(...)`: its default, range, slider step, options and label
key live in one place. `validate(cfg)` (called by every config's __post_init__) enforces them, and
the UI builds the field's widget, URL parsing, presets and share link from the same declaration.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Callable

import pandas as pd
import torch

# progress(fraction_done in [0, 1], partial tidy frame so far) — lets a page redraw live.
Progress = Callable[[float, pd.DataFrame], None]

BLOWUP = 1e8  # a loss above this (or inf/NaN) has diverged: every lesson stops or flags it there


@dataclass(frozen=True)
class Param:
    """How one config field may be set: a range (lo..hi, slider step) or a tuple of options.

    log: the options form a log ladder (learning rates, decays), shown as a select slider.
    label: the locale key under "<lesson>.ctl." naming the control (default: the field name);
    "<label>_help" is its tooltip, if the locale has one.
    """

    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    options: tuple = ()
    log: bool = False
    label: str | None = None


def param(default: Any, *, lo: float | None = None, hi: float | None = None, step: float | None = None,
          options: tuple = (), log: bool = False, label: str | None = None) -> Any:
    """A dataclass field whose bounds travel with it (read them back with `params(cls)`)."""
    spec = Param(lo, hi, step, tuple(options), log, label)
    return dataclasses.field(default=default, metadata={"param": spec})


def params(cls: type) -> dict[str, Param]:
    """{field name: Param} of a config class, in declaration order (fields declared with param())."""
    return {f.name: f.metadata["param"] for f in dataclasses.fields(cls) if "param" in f.metadata}


def defaults(cls: type) -> dict[str, Any]:
    """{field name: default value} of a config class."""
    return {f.name: f.default for f in dataclasses.fields(cls)}


def check(name: str, value: Any, p: Param, default: Any) -> None:
    """Raise ValueError naming the field unless value fits p and has the default's type."""
    if p.options:
        if isinstance(value, bool) != isinstance(default, bool) or value not in p.options:
            raise ValueError(f"{name} must be one of {p.options}, got {value!r}")
        return
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be True or False, got {value!r}")
        return
    kind = "an integer" if isinstance(default, int) else "a number"
    ok_type = isinstance(value, int) if isinstance(default, int) else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok_type:
        raise ValueError(f"{name} must be {kind} in {p.lo}..{p.hi}, got {value!r}")
    if not (math.isfinite(value) and p.lo <= value <= p.hi):
        raise ValueError(f"{name} must be {p.lo}..{p.hi}, got {value}")


def validate(cfg: Any) -> None:
    """Check every declared field of a config instance (ValueError naming the field and its range)."""
    default = defaults(type(cfg))
    for name, p in params(type(cfg)).items():
        check(name, getattr(cfg, name), p, default[name])


def seed_param() -> Any:
    """The seed field every config has: same seed, same data and initial weights."""
    return param(0, lo=0, hi=9999, step=1)


def generator(seed: int) -> torch.Generator:
    """A private RNG: never the process-global one, so concurrent sessions stay reproducible."""
    return torch.Generator().manual_seed(int(seed))


def diverged(loss: float | torch.Tensor) -> bool | torch.Tensor:
    """The one divergence rule of every lesson: the loss is inf/NaN or above BLOWUP.

    A float gives a bool; a tensor gives an elementwise bool tensor.
    """
    if isinstance(loss, torch.Tensor):
        return ~(loss.abs() <= BLOWUP)  # NaN compares False, so it counts as diverged
    return not abs(loss) <= BLOWUP


def report(progress: Progress | None, frac: float, rows: list[dict]) -> None:
    """Call progress(frac, frame-of-rows) if a progress callback was given."""
    if progress is not None:
        progress(min(max(frac, 0.0), 1.0), pd.DataFrame(rows))
