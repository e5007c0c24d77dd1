"""Live progress while a model trains: a progress bar and a chart redrawn every few steps; and one bounded line
of training runs for the whole server (`turn`), so 30 visitors with 30 seeds never run 30 trainings at once.

Call `live_progress` *inside* the `st.cache_data` function that trains: the placeholders it makes
are then part of the cached call (placeholders made outside raise CacheReplayClosureError on a
cache hit), and they are emptied at the end. A cache hit replays what the call drew (its frames, a queue note,
then the emptied placeholders) and returns the result: few, small messages, which is why frames are rationed.
"""
from __future__ import annotations

import collections
import functools
import math
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd
import streamlit as st
from streamlit.logger import get_logger

from core.lab import Progress
from ui import charts, code
from ui.i18n import t
from ui.internals import stop_if_asked

BAR_EVERY_S = 0.5  # the bar moves at most twice a second (a tiny message)
CHART_EVERY_S = 1.0  # the live curve redraws once a second: each frame is a fresh Altair chart (~40-100 ms of
                     # CPU) and is replayed to every later visitor of the cached run
RUN_CACHE_MB = 16  # each page's cache of finished runs, pickled; a run is 0.03-0.3 MB (bench/crowd.py soak)


def cached_run(run: Callable) -> Callable:
    """A page's cached run(cfg[, points]): computed once per distinct config (and own data) for every visitor,
    kept while the page's cache is under RUN_CACHE_MB (least recently used runs leave first) and at most 64 runs."""
    cached = st.cache_data(max_entries=64, max_size=f"{RUN_CACHE_MB}MB", show_spinner=False)(run)

    @functools.wraps(run)
    def run_and_note(cfg, points=None):  # points: a visitor's own data (ui.own_data), part of the cache key
        result = cached(cfg) if points is None else cached(cfg, points)
        code.ran(cfg, result, own_data=points is not None)  # 'Reproduce in Python': the call and the fields drawn
        return result
    return run_and_note


def live_progress(text: str, chart: Callable[[pd.DataFrame], charts.Spec] | None = None) -> Progress:
    """A progress(frac, frame) callback that moves a bar and redraws `chart(frame)` while training."""
    bar = st.progress(0.0, text=text)
    slot = st.empty()
    last = {"bar": 0.0, "chart": 0.0}

    def update(frac: float, frame: pd.DataFrame) -> None:
        stop_if_asked()  # a visitor who moved on stops the training here, even between redraws
        now = time.perf_counter()
        if frac >= 1.0:
            bar.empty()
            slot.empty()
            return
        if now - last["bar"] >= BAR_EVERY_S:
            last["bar"] = now
            bar.progress(frac, text=f"{text} {frac:.0%}")
        if chart is not None and len(frame) and now - last["chart"] >= CHART_EVERY_S:  # the first frame at once
            last["chart"] = now
            with charts.live():
                charts.draw(chart(frame), slot)

    return update


class Line:
    """At most `slots` runs at a time; the others wait in arrival order (first come, first served: a run waits for
    at most the runs that arrived before it, so nobody — the instructor included — is starved)."""

    def __init__(self, slots: int) -> None:
        self.slots, self.running = slots, 0
        self._waiting: collections.deque[object] = collections.deque()
        self._cv = threading.Condition()

    @contextmanager
    def turn(self, waiting: Callable[[int], None] = lambda ahead: None, poll_s: float = 0.2) -> Iterator[None]:
        """Hold one slot for the block; while none is free, call waiting(runs ahead) whenever that number changes
        (waiting, or Streamlit's stop check polled every poll_s, may raise to give up: the run leaves the line)."""
        me, told = object(), None
        with self._cv:
            self._waiting.append(me)
        try:
            while True:
                with self._cv:
                    if self.running < self.slots and self._waiting[0] is me:
                        self._waiting.popleft()
                        self.running += 1
                        self._cv.notify_all()  # another slot may be free for the next in line
                        break
                    ahead = self.running + self._waiting.index(me)  # running ones + those before me in line
                    self._cv.wait(poll_s)
                if ahead != told:
                    waiting(ahead)
                    told = ahead
                stop_if_asked()
        except BaseException:
            with self._cv:
                self._waiting.remove(me)
                self._cv.notify_all()
            raise
        try:
            yield
        finally:
            with self._cv:
                self.running -= 1
                self._cv.notify_all()


def cores() -> int:
    """CPUs this process may use: its affinity, capped by a container's CPU quota (cgroup v2 cpu.max, which
    `docker run --cpus` and Kubernetes limits set and affinity does not show); DL_LAB_SLOTS overrides."""
    if os.environ.get("DL_LAB_SLOTS", "").isdigit():
        return max(1, int(os.environ["DL_LAB_SLOTS"]))
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            n = min(n, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError):
        pass
    return max(1, n)


# One slot per usable core (torch runs one thread per run: core/__init__.py).
LINE = Line(cores())
SETTLE_S = 0.2  # a new training waits this long for a newer value first: a dragged slider trains once, at the end
_log = get_logger("dl_live_lab.runs")  # one line per training in the server log: finished, or dropped


@contextmanager
def turn() -> Iterator[None]:
    """Wait for a training slot, saying how many runs are ahead (in the page's language), then train.

    Call it inside the `st.cache_data` function that trains (like live_progress): a cache hit never waits. A run
    whose visitor has moved on (a newer slider value, a closed tab) ends at its next progress update, waiting
    or training, and frees its place: Streamlit stops the script there."""
    for _ in range(round(SETTLE_S / 0.05)):
        stop_if_asked()
        time.sleep(0.05)
    note, t0 = st.empty(), time.perf_counter()
    try:
        with LINE.turn(lambda ahead: note.info(t("common.queued", k=ahead, n=LINE.slots), icon="⏳")):
            note.empty()
            yield
    except Exception:  # a real error (the page guard reports it)
        _log.info("training failed after %.1f s", time.perf_counter() - t0)
        raise
    except BaseException:  # Streamlit's stop or rerun: the visitor moved on
        _log.info("training dropped after %.1f s (%d waiting)", time.perf_counter() - t0, len(LINE._waiting))
        raise
    _log.info("training finished in %.1f s (%d waiting)", time.perf_counter() - t0, len(LINE._waiting))
