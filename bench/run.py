"""Benchmark: per lesson entry point, the default run cold and warm on one core, time to the first
live curve; then the server's memory after every page was visited in both languages.

    python bench/run.py            # everything (needs Chromium for the memory part)
    python bench/run.py --no-server

Timings are measured here, never asserted in tests (they are flaky on shared machines).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The issue targets (cold s on one core, warm s, first live curve s) per (lesson, section); None: no target set.
TARGETS = {
    ("gradient_descent", "run"): (0.5, 0.1, None), ("gradient_descent", "valleys"): (0.5, 0.1, None),
    ("activations", "piece"): (None, 0.1, None), ("activations", "fit"): (1.5, 0.1, 0.3),
    ("overfitting", "capacity"): (3.0, 0.15, 0.5), ("overfitting", "remedies"): (3.0, 0.15, 0.5),
    ("overfitting", "cv"): (3.0, 0.15, 0.5), ("overfitting", "reliability"): (3.0, 0.15, None),
    ("critical_points", "point"): (1.0, 0.1, None), ("critical_points", "escape"): (1.0, 0.1, None),
    ("critical_points", "network"): (5.0, 0.1, None),
    ("convolution", "channels"): (0.3, 0.1, None), ("convolution", "field"): (0.3, 0.1, None),
    ("convolution", "overlap"): (3.0, 0.1, None), ("convolution", "sharing"): (0.3, 0.1, None),
    ("convolution", "shrink"): (0.5, 0.1, None),
    ("pooling", "pool"): (3.0, 0.15, 0.5), ("pooling", "inv"): (5.0, 0.15, None), ("pooling", "stn"): (3.0, 0.15, 0.5),
    ("rnn_gradients", "flow"): (0.2, 0.15, None), ("rnn_gradients", "clip"): (None, 0.15, None),
    ("rnn_gradients", "adding"): (4.0, 0.15, 0.5), ("rnn_gradients", "echo"): (None, 0.15, None),
    ("rnn_gradients", "memory"): (1.0, 0.15, None),
}


def entries():
    """(lesson, section, "module:function", "module:ConfigClass", targets) for every section of every lesson spec."""
    from ui.lessons import LESSONS
    return [(x.name, s.name, f"{s.run.__module__}:{s.run.__name__}", f"{s.config.__module__}:{s.config.__name__}",
             TARGETS.get((x.name, s.name), (None, None, None))) for x in LESSONS for s in x.sections]


CHILD = r"""
import json, os, sys, time, importlib, warnings, logging
os.sched_setaffinity(0, {0})                       # one core, like a Community Cloud container
sys.path.insert(0, sys.argv[1])
logging.disable(logging.WARNING); warnings.simplefilter("ignore")
mod, fn = sys.argv[2].split(":"); cmod, ccls = sys.argv[3].split(":")
run, cfg = getattr(importlib.import_module(mod), fn), getattr(importlib.import_module(cmod), ccls)()
first = []
t0 = time.perf_counter()
def progress(frac, frame):
    if not first: first.append(time.perf_counter() - t0)
run(cfg, progress=progress)
cold = time.perf_counter() - t0
import streamlit as st
cached = st.cache_data(max_entries=8, show_spinner=False)(lambda c: run(c))
cached(cfg)
t1 = time.perf_counter(); cached(cfg); warm = time.perf_counter() - t1
print(json.dumps({"cold": cold, "warm": warm, "first": first[0] if first else None}))
"""


def time_entry(target: str, config: str) -> dict:
    """Run one entry point in a fresh one-core process; returns cold/warm/first-progress seconds."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), target, config], capture_output=True,
                         text=True, check=True, env={**os.environ, "STREAMLIT_GLOBAL_DEVELOPMENT_MODE": "false"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def fmt(value: float | None, target: float | None) -> str:
    """Seconds with a verdict against the issue's target ("ok" / "SLOW"), or a dash when not measured."""
    if value is None:
        return "     -    "
    mark = "" if target is None else (" ok" if value <= target else " SLOW")
    return f"{value:7.3f}s{mark}"


def bench_lessons(only: list[str]) -> None:
    print(f"{'lesson':18} {'section':30} {'cold (1 core)':>16} {'warm (cached)':>16} {'first curve':>14}")
    for lesson, section, target, config, (t_cold, t_warm, t_first) in entries():
        if only and lesson not in only:
            continue
        r = time_entry(target, config)
        print(f"{lesson:18} {section:30} {fmt(r['cold'], t_cold):>16} {fmt(r['warm'], t_warm):>16}"
              f" {fmt(r['first'], t_first):>14}")


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total = 0
    pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                                    text=True).stdout.split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def bench_server() -> None:
    """Visit every page in en and zh through a real browser, then read the server's RSS."""
    from tests.browser import ARGS, CHROMIUM, open_page, streamlit_server
    if CHROMIUM is None:
        print("server memory: skipped (no Chromium; apt-get install chromium)")
        return
    from playwright.sync_api import sync_playwright
    from ui.lessons import LESSONS
    pages = [""] + [x.name for x in LESSONS]
    pages += [f"{x.name}?{x.tab_key}={s.name}" for x in LESSONS if x.lazy for s in x.sections[1:]]
    with streamlit_server() as (url, proc), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page()
        start = rss_mb(proc.pid)
        for lang in ("en", "zh"):
            for path in pages:
                t0 = time.perf_counter()
                open_page(page, f"{url}/{path}{'&' if '?' in path else '?'}lang={lang}")
                print(f"  page /{path or 'home'} ({lang}) loaded and finished in {time.perf_counter() - t0:.2f}s")
        browser.close()
        time.sleep(2)
        idle = rss_mb(proc.pid)
        verdict = "ok" if idle <= 600 else "OVER 600 MB"
        print(f"server RSS: {start:.0f} MB at start, {idle:.0f} MB idle after every page in en+zh ({verdict})")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-server", action="store_true", help="skip the browser/memory part")
    ap.add_argument("--only", nargs="*", default=[], help="lessons to time (default: all)")
    args = ap.parse_args()
    bench_lessons(args.only)
    if not args.no_server:
        bench_server()
