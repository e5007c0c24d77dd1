"""Claim seeds and margins: a page offers seeds 0..9999, so a sentence it states must hold on every one.

Each claim test runs on FIXED seeds plus a few drawn at random per run (listed at the end of the run and in
the test ids; rerun them with CLAIM_SEEDS=1234,5678), and records its margin with `margin(...)`; the end of
the run lists the smallest margin of every claim (tests/conftest.py prints it): relative to the limit, or
absolute where the limit is 0.
"""
from __future__ import annotations

import os
import random
from collections import defaultdict

FIXED = (0, 1, 2, 3, 4)
_env = os.environ.get("CLAIM_SEEDS", "").strip()
RANDOM = tuple(int(s) for s in _env.split(",")) if _env else tuple(random.sample(range(5, 10_000), 2))
MARGINS: dict[str, list[tuple[float, int, str, str]]] = defaultdict(list)


def claim_seeds(n_fixed: int = len(FIXED)) -> list[int]:
    """The seeds a claim is checked on: the first n_fixed fixed seeds, then this run's random ones."""
    return [*FIXED[:n_fixed], *RANDOM]


def margin(claim: str, seed: int, value: float, limit: float, above: bool = True) -> None:
    """Record how far `value` is from `limit` (the claim holds when value > limit, or < with above=False)
    and assert it. The margin is relative to the limit when the limit is not 0 (seed -1: over all seeds)."""
    gap = value - limit if above else limit - value
    rel = gap / abs(limit) if limit else gap
    shown = f"{rel:+9.1%}" if limit else f"{gap:+9.3g}"  # against a limit of 0 the margin is absolute
    MARGINS[claim].append((rel, seed, shown, f"{value:.4g} {'>' if above else '<'} {limit:.4g}"))
    assert gap > 0, f"{claim} fails on seed {seed}: {value:.4g} vs limit {limit:.4g}"


def seeds_line() -> str:
    """One line naming this run's claim seeds and how to rerun them."""
    return f"claim seeds: fixed {list(FIXED)} + random {list(RANDOM)} (rerun: CLAIM_SEEDS={','.join(map(str, RANDOM))})"
