"""Your own data on a lesson page: upload a CSV or paste points (core/points.py checks them). Never in the share
link: the sidebar says so while the page uses them (ui.page.share_box)."""
from __future__ import annotations

from typing import Any

import streamlit as st

from core.points import MAX_ROWS, MIN_POINTS, Points, PointsError, parse_points
from ui.controls import _code_span
from ui.i18n import LANGS, catalogue, lang, t

USED = "_own_data_used"  # session key: this run's page trains on a visitor's own points
ROUND = "_own_data_round"  # session key: Reset (ui.controls.reset_page) starts a new round: empty widgets


def _error(e: PointsError) -> str:
    """What was wrong and where, and that the page goes on with its data: the page's language first, then the
    other; the visitor's text quoted in a code span (never markup)."""
    details = {k: f"`{_code_span(v)}`" if isinstance(v, str) else f"{v:,}" for k, v in e.details.items()}
    say = lambda g: f'{catalogue(g)[f"data.error.{e.reason}"].format(line=e.line, **details)} {catalogue(g)["data.fallback"]}'  # noqa: E731
    return " / ".join(say(g) for g in sorted(LANGS, key=lambda g: g != lang()))


def points(lesson: str, where: Any, ignored: tuple[str, ...] = ()) -> Points | None:
    """A 'Your own data' expander in `where`: a file uploader and a paste box. Returns (xs, ys) of a valid upload
    (else of the pasted text), or None: the page uses its built-in data, after a bilingual error if the data was
    bad. `ignored`: the labels of the settings that only make the built-in data (said while own data is used)."""
    n = st.session_state.get(ROUND, 0)
    up_key, paste_key = (f"{lesson}_{w}" + (f"_{n}" if n else "") for w in ("upload", "paste"))
    given = st.session_state.get(up_key) is not None or bool(str(st.session_state.get(paste_key) or "").strip())
    box = where.expander(t("data.title"), expanded=given, icon=":material/upload_file:", key=f"{lesson}_own_data",
                         on_change="rerun")
    if not (box.open or given):  # closed and empty: no widgets to build (a visit costs nothing more)
        return None
    with box:
        st.caption(t("data.help", least=MIN_POINTS, rows=MAX_ROWS))
        up = st.file_uploader(t("data.upload"), type=["csv", "txt", "tsv"], key=up_key, max_upload_size=2)
        pasted = st.text_area(t("data.paste"), key=paste_key, height=110, max_chars=1_000_000,
                              placeholder="x, y\n0.1, 1.3\n0.4, 1.9\n…")
        raw, source = ((up.getvalue(), t("data.file", name=f"`{_code_span(up.name)}`")) if up is not None
                       else (pasted, t("data.pasted")) if pasted.strip() else (None, ""))
        if raw is None:
            return None
        try:
            xs, ys = parse_points(raw)
        except PointsError as e:
            st.error(_error(e), icon="📄")
            return None
        st.success(t("data.using", n=len(xs), source=source), icon="📄")
        if ignored:
            st.caption(t("data.ignored", names=", ".join(ignored)))
    st.session_state[USED] = True
    return xs, ys
