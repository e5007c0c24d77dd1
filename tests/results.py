"""Core results in the tests: every DataFrame a result holds, and the check that two runs gave identical frames."""
from __future__ import annotations

import dataclasses

import pandas as pd


def frames(result) -> list[pd.DataFrame]:
    """The DataFrame fields of a core result (a dataclass), in field order."""
    return [v for v in dataclasses.asdict(result).values() if isinstance(v, pd.DataFrame)]


WALL_CLOCK = ["train_s"]  # columns that measure time on this machine (pooling's cost table), not the run


def assert_same_frames(a, b) -> None:
    """Two results hold identical frames (same seed, same config: determinism), wall-clock columns aside."""
    fa, fb = frames(a), frames(b)
    assert len(fa) == len(fb) > 0
    for x, y in zip(fa, fb):
        pd.testing.assert_frame_equal(x.drop(columns=WALL_CLOCK, errors="ignore"),
                                      y.drop(columns=WALL_CLOCK, errors="ignore"))
