"""Live progress while a model trains: a progress bar and a chart redrawn every few steps.

Call `live_progress` *inside* the `st.cache_data` function that trains: the placeholders it makes
are then part of the cached call (placeholders made outside raise CacheReplayClosureError on a
cache hit), and they are emptied at the end, so a cache hit replays nothing but the result.
"""
from __future__ import annotations

import time
from typing import Callable

import pandas as pd
import streamlit as st

from core.lab import Progress
from ui import charts

REDRAW_EVERY_S = 0.25  # redraw at most 4x a second: the websocket, not torch, is the bottleneck


def live_progress(text: str, chart: Callable[[pd.DataFrame], charts.Spec] | None = None) -> Progress:
    """A progress(frac, frame) callback that moves a bar and redraws `chart(frame)` while training."""
    bar = st.progress(0.0, text=text)
    slot = st.empty()
    last = [0.0]

    def update(frac: float, frame: pd.DataFrame) -> None:
        now = time.perf_counter()
        if frac >= 1.0:
            bar.empty()
            slot.empty()
            return
        if now - last[0] < REDRAW_EVERY_S:
            return
        last[0] = now
        bar.progress(frac, text=f"{text} {frac:.0%}")
        if chart is not None and len(frame):
            with charts.live():
                charts.draw(chart(frame), slot)

    return update
