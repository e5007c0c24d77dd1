"""Shared test set-up: the repo root on sys.path, the claim seeds and margins report, a cache-clearing fixture."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.claims import MARGINS, seeds_line  # noqa: E402  (after the path is set)


def pytest_report_header(config):
    return seeds_line()


def pytest_terminal_summary(terminalreporter):
    terminalreporter.section("claims: smallest margin per claim (relative to its limit; absolute where it is 0)")
    terminalreporter.write_line(seeds_line())
    for claim, rows in sorted(MARGINS.items()):
        _, seed, shown, text = min(rows)
        where = "all seeds" if seed < 0 else f"seed {seed:>4}"  # a claim about the seeds together ("usually")
        terminalreporter.write_line(f"{shown}  {where:>9}  {text:>22}  {claim}  ({len(rows)} runs)")


@pytest.fixture
def fresh_cache():
    """Clear st.cache_data before the test, so a page test computes its own run instead of dodging the cache by
    seed, and after it, so what it computed (e.g. under a monkeypatched loss) never reaches a later test."""
    import streamlit as st
    st.cache_data.clear()
    yield
    st.cache_data.clear()
