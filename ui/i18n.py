"""t(key): strings from locales/<lang>/*.json (the same keys in every language).

locales/<lang>/common.json holds the app-wide strings at the top level ("app.lang", "home.title");
every other file is one lesson's strings under its name ("pooling.title" from pooling.json).
"""
from __future__ import annotations

import functools
import json
import math
from pathlib import Path

import pandas as pd
import streamlit as st

LANGS = ("en", "zh")
_DIR = Path(__file__).resolve().parent.parent / "locales"


def flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    """{"gd": {"title": "..."}} -> {"gd.title": "..."}."""
    out: dict[str, str] = {}
    for k, v in tree.items():
        out.update(flatten(v, f"{prefix}{k}.") if isinstance(v, dict) else {prefix + k: v})
    return out


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """The flat string catalogue of one language (read once per process)."""
    out: dict[str, str] = {}
    for path in sorted((_DIR / lang).glob("*.json")):
        tree = json.loads(path.read_text(encoding="utf-8"))
        out.update(flatten(tree, "" if path.stem == "common" else f"{path.stem}."))
    return out


def lang() -> str:
    """The language of this session: the sidebar's choice, else English."""
    value = st.session_state.get("lang", "en")
    return value if value in LANGS else "en"


def t(key: str, /, **fmt) -> str:
    """The string for key in the session's language, formatted with fmt."""
    text = catalogue(lang()).get(key) or catalogue("en").get(key) or key
    return text.format(**fmt) if fmt else text


def names(ids: pd.Series, prefix: str, /, **fmt) -> pd.Series:
    """A column of ids ("train", "lstm", …) in the page's words: each id v becomes t(f"{prefix}.{v}", **fmt)."""
    return ids.map({v: t(f"{prefix}.{v}", **fmt) for v in ids.unique()})  # each distinct id looked up once


def sentences(*parts: str) -> str:
    """Sentences of one message, empty ones left out (Chinese runs them together without spaces)."""
    return ("" if lang() == "zh" else " ").join(p for p in parts if p)


def number(v: float) -> str:
    """A measured value in at most ~6 characters, so a metric is never cut off: 2.5e7, 174k, 2.19, 0.0513, 4.2e-4."""
    a = abs(v)
    if not math.isfinite(a):  # e.g. a ratio to an exact fit's loss of 0
        return "∞" if v > 0 else "−∞" if v < 0 else "NaN"
    if a and (a < 1e-3 or a >= 999.5e3):
        m, e = f"{v:.1e}".split("e")
        return f"{float(m):g}e{int(e)}"
    return f"{v / 1e3:.3g}k" if a >= 999.5 else f"{v:.3g}"
