"""Benchmark: a lecture hall on one server — what one more visitor costs the whole server, one link opened by
a crowd, a crowd of different seeds, a slider moved ten times in a second, and a soak of 200 configurations.

    python bench/crowd.py                    # every scenario (~10 min)
    python bench/crowd.py --only same seeds  # some: visitors, same, seeds, stale, soak

The server is a real `streamlit run`, started fresh (empty caches) and pinned to ONE core like a Community Cloud
container; its CPU time and memory are read from /proc. Visitors are light clients that speak Streamlit's own
websocket protocol (the messages a browser sends and receives, without a browser's CPU or its static files:
behind the nginx of deploy/ those are served by nginx); the stale-slider scenario drives Chromium. Measured here,
never asserted in tests (timings are flaky on shared machines); tests/test_line.py checks the line's behaviour.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WARM_BUDGET_S, RSS_BUDGET_MB = 0.15, 650

from bench.run import rss_mb  # noqa: E402  (the server's resident memory, as bench/run.py reads it)


LOG = Path("/tmp/dl_live_lab_bench_server.log")  # the server's log: one line per training (ui/live.py)


def trainings(kind: str) -> int:
    """How many trainings the server's log says 'finished' (or 'dropped') so far."""
    return sum(f"training {kind}" in line for line in LOG.read_text(errors="replace").splitlines())


@contextmanager
def server(cores: set[int] = frozenset({0})):
    """A fresh headless `streamlit run` (empty caches) pinned to `cores`, its output in LOG; yields (url, pid)."""
    from tests.browser import streamlit_server
    if os.environ.get("LAB_URL"):
        raise SystemExit("bench/crowd.py measures a server it starts itself (fresh caches, its /proc): unset LAB_URL")
    with streamlit_server(set(cores), LOG) as (url, proc):
        yield url, proc.pid


def cpu_s(pid: int) -> float:
    """User + system CPU seconds the process has used (every thread)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Visit:
    """What one visitor saw: seconds until the page settled, the queue notes shown, any error."""
    seconds: float = 0.0
    queued: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def visit(url: str, page: str, query: dict[str, str], timeout_s: float = 600) -> Visit:
    """Open url/page?query the way a browser's first message does, read until the script finished; keep the
    queue notes (⏳) and every exception or error box (the page guard's 🚧) it was sent."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.asyncio.client import connect
    out, t0 = Visit(), time.perf_counter()
    qs = urlencode(query)
    async with connect(url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                       max_size=None, open_timeout=60, ping_interval=None) as ws:
        back = BackMsg()
        back.rerun_script.query_string, back.rerun_script.page_name = qs, page
        back.rerun_script.context_info.url, back.rerun_script.context_info.locale = f"{url}/{page}?{qs}", "en-US"
        await ws.send(back.SerializeToString())
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await asyncio.wait_for(ws.recv(), timeout_s))
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                el = msg.delta.new_element
                if el.WhichOneof("type") == "exception":
                    out.errors.append(el.exception.message)
                elif el.WhichOneof("type") == "alert" and el.alert.icon in ("⏳", "🚧"):
                    (out.queued if el.alert.icon == "⏳" else out.errors).append(el.alert.body)
            elif kind == "script_finished" and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    out.errors.append("compile error")
                break
    out.seconds = time.perf_counter() - t0
    return out


async def crowd(url: str, page: str, queries: list[dict[str, str]]) -> list[Visit]:
    """Every query opened at the same moment, one visitor each."""
    return await asyncio.gather(*(visit(url, page, q) for q in queries))


def new_visitors() -> None:
    """Per page and tab on one fresh server: the first visit (cold: the page's runs train), then what one more
    visitor costs the whole server process (a new session, its websocket, the page served from the caches)."""
    from ui.lessons import LESSONS
    targets = [("", {})] + [(x.name, {x.tab_key: s.name} if x.lazy else {}) for x in LESSONS
                            for s in (x.sections if x.lazy else x.sections[:1])]
    print(f"{'page (one fresh server, one core)':44} {'first visit':>12} {'one more visitor':>17}")
    worst = 0.0
    with server() as (url, pid):
        asyncio.run(visit(url, "", {"lang": "en"}))  # the server's start: imports (no page's cost)
        for page, query in targets:
            costs = []
            for _ in range(4):
                c0 = cpu_s(pid)
                v = asyncio.run(visit(url, page, {**query, "lang": "en"}))
                costs.append(cpu_s(pid) - c0)
                assert not v.errors, v.errors
            warm = min(costs[1:])
            worst = max(worst, warm)
            name = (page or "home") + (f" [{next(iter(query.values()))}]" if query else "")
            print(f"{name:44} {costs[0]:11.2f}s {warm:16.2f}s {'ok' if warm <= WARM_BUDGET_S else 'OVER'}", flush=True)
    print(f"one more visitor, worst page: {worst:.2f}s of server CPU (budget {WARM_BUDGET_S} s; /proc ticks of 0.01 s)")


PAGE, N = "overfitting", 30  # the lecture's canonical demo (its capacity tab: a real training, ~1 s cold)
HEAVY = "pooling"  # two CNNs trained per seed (~2 s of CPU each): 30 seeds are a real queue on one core


def same_link() -> None:
    """30 visitors open the same cold link at once: one training, every visitor served from it."""
    with server() as (url, pid):
        c0 = cpu_s(pid)
        one = asyncio.run(crowd(url, PAGE, [{"lang": "en"}]))
        cold = cpu_s(pid) - c0
    with server() as (url, pid):
        c0 = cpu_s(pid)
        many = asyncio.run(crowd(url, PAGE, [{"lang": "en" if i % 2 else "zh"} for i in range(N)]))
        total = cpu_s(pid) - c0
    bad = sum(bool(v.errors) for v in many)
    limit = cold + N * WARM_BUDGET_S
    print(f"same link, {N} at once    : server CPU {total:.2f}s (one cold visit {cold:.2f}s; target <= {limit:.2f}s = "
          f"cold + {N} x {WARM_BUDGET_S}s) {'ok' if total <= limit else 'OVER'}; errors on {bad} pages; "
          f"slowest page settled after {max(v.seconds for v in many):.1f}s (alone: {one[0].seconds:.1f}s)")


def many_seeds() -> None:
    """30 visitors open 30 different seeds at once: the line lets one training per core run; the rest wait, told
    how many runs are ahead, and every page settles."""
    with server() as (url, pid):
        c0 = cpu_s(pid)
        first = asyncio.run(crowd(url, HEAVY, [{"lang": "en", "seed": "9999"}]))[0]  # the instructor, alone
        alone = cpu_s(pid) - c0
    with server() as (url, pid):
        c0 = cpu_s(pid)
        many = asyncio.run(crowd(url, HEAVY, [{"lang": "en" if i % 2 else "zh", "seed": str(i)} for i in range(N)]))
        total = cpu_s(pid) - c0
    told = [v for v in many if v.queued]
    most = max((int(re.search(r"\d+", note).group()) for v in told for note in v.queued), default=0)
    times = sorted(v.seconds for v in many)
    print(f"{N} seeds at once ({HEAVY})  : errors on {sum(bool(v.errors) for v in many)} pages; {len(told)} were told "
          f"'queued' (most runs ahead: {most}); settled after {times[0]:.1f}s (first) .. {times[N // 2]:.1f}s "
          f"(median) .. {times[-1]:.1f}s (last); server CPU {total:.1f}s = {total / N:.2f}s per visitor "
          f"(one alone: {alone:.2f}s CPU, {first.seconds:.1f}s)")
    print("   e.g. " + (told[-1].queued[0] if told else "(nobody waited)"))


def stale_slider() -> None:
    """One visitor changes the seed ten times in about a second: the stale trainings are dropped, the last runs."""
    from playwright.sync_api import sync_playwright

    from tests.browser import ARGS, CHROMIUM, open_page
    if CHROMIUM is None:
        print("stale slider: skipped (no Chromium; apt-get install chromium)")
        return
    with server() as (url, pid), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        open_page(page, f"{url}/{PAGE}?lang=en&seed=100")
        c0 = cpu_s(pid)
        open_page(page, f"{url}/{PAGE}?lang=en&seed=200")  # one more training, the same size: the unit
        one = cpu_s(pid) - c0
        box = page.locator('[data-testid="stSidebar"] input[type="number"]')
        c0, done, dropped = cpu_s(pid), trainings("finished"), trainings("dropped")
        for seed in range(301, 311):  # ten new seeds, one every ~0.1 s: every change asks for a new training
            box.fill(str(seed))
            box.press("Enter")
            time.sleep(0.1)
        page.wait_for_function("() => document.querySelector('[data-testid=stApp]')"
                               ".getAttribute('data-test-script-state') === 'notRunning'", timeout=120_000)
        time.sleep(1)
        ten = cpu_s(pid) - c0
        done, dropped = trainings("finished") - done, trainings("dropped") - dropped
        shown = page.locator('[data-testid="stSidebar"] input[type="number"]').input_value()
        browser.close()
    print(f"ten quick changes           : {done} training(s) finished, {dropped} dropped after starting; server CPU "
          f"{ten:.2f}s for the ten = {ten / one:.1f} trainings' worth (one training {one:.2f}s; ten would be "
          f"~{10 * one:.1f}s); the page shows seed {shown}")


def soak(n: int = 200) -> None:
    """200 distinct configurations across every page and tab (seeds 1000..), one visitor at a time; RSS as it
    grows, and after the visitors leave."""
    from ui.lessons import LESSONS
    targets = [(x.name, {x.tab_key: s.name} if x.lazy else {}) for x in LESSONS
               for s in (x.sections if x.lazy else x.sections[:1])]
    with server(cores={0, 1}) as (url, pid):  # two cores: the soak is about memory, and 200 cold runs take time
        start, seen, bad = rss_mb(pid), [], 0
        for i in range(n):
            page, query = targets[i % len(targets)]
            v = asyncio.run(visit(url, page, {**query, "lang": "en" if i % 2 else "zh", "seed": str(1000 + i)}))
            bad += bool(v.errors)
            if (i + 1) % 40 == 0:
                seen.append(rss_mb(pid))
                print(f"   after {i + 1:3} configurations: RSS {seen[-1]:.0f} MB", flush=True)
        time.sleep(5)
        idle = rss_mb(pid)
    peak = max(seen)
    print(f"soak, {n} configurations   : RSS {start:.0f} MB at start, peak {peak:.0f} MB (target <= {RSS_BUDGET_MB}) "
          f"{'ok' if peak <= RSS_BUDGET_MB else 'OVER'}, {idle:.0f} MB once the visitors left; errors on {bad} pages")


SCENARIOS = {"visitors": new_visitors, "same": same_link, "seeds": many_seeds, "stale": stale_slider, "soak": soak}

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", default=list(SCENARIOS), choices=list(SCENARIOS))
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    for name in args.only:
        SCENARIOS[name]()
