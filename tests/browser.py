"""Shared browser helpers: start `streamlit run` on a free localhost port, drive Debian's Chromium."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "", shutil.which("chromium-browser") or "") if p and Path(p).exists()), None)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def free_port() -> int:
    """A TCP port on localhost that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(cores: set[int] | None = None, log: Path | None = None):
    """A headless `streamlit run streamlit_app.py` on localhost; yields (base URL, process). `cores` pins every
    thread of the server to those CPUs (bench: a one-core container); `log` receives its output.

    With LAB_URL set (e.g. deploy/replicas.sh's nginx), yields that running app instead, and proc None."""
    if os.environ.get("LAB_URL"):
        yield os.environ["LAB_URL"].rstrip("/"), None
        return
    port = free_port()
    out = log.open("w") if log else subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless=true",
                             f"--server.port={port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false"],
                            cwd=ROOT, stdout=out,
                            stderr=subprocess.STDOUT if log else subprocess.DEVNULL, env={**os.environ},
                            preexec_fn=(lambda: os.sched_setaffinity(0, cores)) if cores else None)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.25)
        yield url, proc
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        if log:
            out.close()


def settled(pw_page) -> bool:
    """The script is not running and no element is still a loading skeleton."""
    return (pw_page.locator(IDLE).count() == 1
            and pw_page.locator('[data-testid="stSkeleton"], [data-testid="stElementSkeleton"]').count() == 0)


def open_page(pw_page, url: str, timeout_s: float = 120) -> None:
    """Go to url and wait until the page has settled twice in a row, 0.5 s apart (a first visit may rerun)."""
    pw_page.goto(url)
    pw_page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_s * 1000)
    deadline, calm = time.monotonic() + timeout_s, 0
    while calm < 2:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not settle in {timeout_s}s")
        pw_page.wait_for_timeout(500)
        calm = calm + 1 if settled(pw_page) else 0
