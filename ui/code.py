"""Reproduce in Python: under each section's controls, the one core call behind its charts for the settings on
screen, and which field of the result each chart draws — for every lesson at once, from the lesson spec.

A page run records as it goes: `begin` (ui.page.section: a section's config and its side column), `ran`
(ui.live.cached_run: the result of a config), `drew` (ui.charts.show: a chart's title and frame); `flush`
writes the section's expander when the next section begins, at a takeaway, and when the page ends.
"""
from __future__ import annotations

import contextvars
import dataclasses
import importlib
from typing import Any

import pandas as pd
import streamlit as st

from ui.i18n import t

_OPEN: contextvars.ContextVar[dict | None] = contextvars.ContextVar("code_section", default=None)


def snippet(lesson: Any, cfg: Any, own_data: bool = False) -> str:
    """`from core.<lesson> import Config, run` and the call for cfg, every field spelled out (so the snippet
    means the same if a default changes later); own_data: the run took a visitor's points (read from a CSV)."""
    run = next(s.run for s in lesson.sections if type(cfg) is s.config)
    conf = type(cfg)
    package = importlib.import_module(f"core.{lesson.name}")
    where = package.__name__ if {run.__name__, conf.__name__} <= set(vars(package)) else run.__module__
    args = ", ".join(f"{f.name}={getattr(cfg, f.name)!r}" for f in dataclasses.fields(cfg))
    if own_data:
        return (f"from {where} import {conf.__name__}, {run.__name__}\nfrom core.points import parse_points\n\n"
                f"points = parse_points(open(\"my_points.csv\", \"rb\").read())  # {t('data.title')}\n"
                f"r = {run.__name__}({conf.__name__}({args}), points=points)\n")
    return f"from {where} import {conf.__name__}, {run.__name__}\n\nr = {run.__name__}({conf.__name__}({args}))\n"


def begin_page() -> None:
    """A page run starts: nothing is open."""
    _OPEN.set(None)


def begin(lesson: Any, cfg: Any, side: Any) -> None:
    """A section starts: its config and the column its expander goes in (the previous section is written)."""
    flush()
    _OPEN.set({"lesson": lesson, "cfg": cfg, "side": side, "result": None, "charts": []})


def ran(cfg: Any, result: Any, own_data: bool = False) -> None:
    """The open section's config ran (on a visitor's own points): keep the result, to name the fields its charts
    draw."""
    rec = _OPEN.get()
    if rec is not None and rec["cfg"] == cfg:
        rec["result"], rec["own_data"] = result, own_data


def drew(spec: dict, data: pd.DataFrame | None) -> None:
    """A chart was drawn in the open section from `data`."""
    rec = _OPEN.get()
    if rec is not None and data is not None:
        rec["charts"].append((_title(spec), data))


def _title(spec: dict) -> str:
    title = spec.get("title", "")
    text = title.get("text", "") if isinstance(title, dict) else title
    return " ".join(text) if isinstance(text, list) else str(text)


def fields_drawn(result: Any, charts: list[tuple[str, pd.DataFrame]]) -> list[tuple[str, str]]:
    """(where, chart title) for each chart drawn from a field of the result: `r.<field>` when the chart's frame
    is that field or some of its rows (same columns and index labels, labels maybe in the page's language; the
    title then says "some rows"); frames the page computed otherwise are left out. Each line runs as shown."""
    if result is None or not dataclasses.is_dataclass(result):
        return []
    fields = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
    frames = {k: v for k, v in fields.items() if isinstance(v, pd.DataFrame)}
    out = []
    for title, data in charts:
        same = [k for k, v in frames.items() if v is data]
        rows = [k for k, v in frames.items() if set(v.columns) == set(data.columns) and data.index.isin(v.index).all()]
        if same or len(rows) == 1:  # a frame two fields could have given is left out
            out.append((f"r.{same[0]}", title) if same else (f"r.{rows[0]}", f"{title} ({t('common.some_rows')})"))
    return out


def flush() -> None:
    """Write the open section's 'Reproduce in Python' expander, once."""
    rec = _OPEN.get()
    if rec is None:
        return
    _OPEN.set(None)
    code = snippet(rec["lesson"], rec["cfg"], rec.get("own_data", False))
    drawn = fields_drawn(rec["result"], rec["charts"])
    if drawn:
        width = max(len(f) for f, _ in drawn)
        code += "\n" + "".join(f"{f:{width}}  # {title}\n" for f, title in drawn)
    with rec["side"].expander(t("common.reproduce")):
        st.caption(t("common.reproduce_note"))
        st.code(code, language="python", wrap_lines=True)
