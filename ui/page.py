"""The frame around every page: shared sidebar, header, takeaway, and the no-traceback guard."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from ui.controls import Control, adopt_url, render_all, reset_page, share_url, show_notices, widget
from ui.i18n import LANGS, t

SHARED = [
    Control("lang", "choice", "en", options=LANGS, label="app.lang"),
    Control("present", "toggle", False, label="app.present"),
    Control("seed", "number", 0, lo=0, hi=9999, step=1, label="app.seed"),
]
_log = logging.getLogger("dl_live_lab")

# Labels wrap instead of ending in "…": a metric that reads "Test accuracy, A…" says nothing.
_BASE_CSS = """<style>
[data-testid="stMetricLabel"] p, [data-testid="stMetricLabel"] div, .stButton button p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
</style>"""
_PRESENTER_CSS = """<style>
.stMainBlockContainer [data-testid="stMarkdownContainer"] p,
.stMainBlockContainer [data-testid="stMarkdownContainer"] li { font-size: 1.35rem !important; }
.stMainBlockContainer [data-testid="stWidgetLabel"] p,
.stMainBlockContainer [data-testid="stCaptionContainer"] p { font-size: 1.15rem !important; }
.stMainBlockContainer [data-testid="stMetricValue"] p,
.stMainBlockContainer [data-testid="stMetricValue"] div { font-size: 2.8rem !important; }
.stMainBlockContainer h1 { font-size: 3.2rem !important; }
.stMainBlockContainer h2, .stMainBlockContainer h3 { font-size: 2.2rem !important; }
.stMainBlockContainer { max-width: 100% !important; }
</style>"""


def start() -> None:
    """Before anything is drawn: language from the URL or the browser, shared URL values adopted."""
    if "lang" not in st.session_state:
        asked = st.query_params.get("lang", "").strip().lower()[:2]  # ?lang=zh-CN, EN, en-US count too
        if asked in LANGS:
            st.session_state["lang"] = asked
        elif "lang" not in st.query_params:
            st.session_state["lang"] = "zh" if (st.context.locale or "").lower().startswith("zh") else "en"
    adopt_url(SHARED)


def sidebar() -> st.delta_generator.DeltaGenerator:
    """Language, presenter mode, seed and reset, on every page; returns the slot for the share link."""
    with st.sidebar:
        for c in SHARED:
            widget(c)
        st.button(t("app.reset"), on_click=reset_page, args=([SHARED[2]],), key="reset",
                  help=t("app.reset_help"), width="stretch")
        slot = st.container()
    st.html(_BASE_CSS)
    if st.session_state.get("present"):
        st.html(_PRESENTER_CSS)
    return slot


def share_box(slot: st.delta_generator.DeltaGenerator, url_path: str) -> None:
    """The link that reproduces this exact demo (copy button on the code block)."""
    with slot:
        st.caption(t("app.share"))
        st.code(share_url(url_path, SHARED), language=None, wrap_lines=True)


def enter() -> None:
    """First call of every page: make sure the page runs inside the router.

    Trap (Streamlit 1.67, pinned): because a pages/ folder exists, Streamlit runs the first script
    of a fresh server process in its legacy folder mode, so a lesson link opened first would run the
    page *without* the router (no sidebar, no language). Leaving that mode (the class flag that
    st.navigation itself clears) and rerunning hands the request to st.navigation. Tests cover it:
    AppTest resets the flag on every run, and the browser test opens a lesson first.
    Then: forget the previous page's controls (reset/share act on this page only), show URL notices.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
    st.session_state["_page_controls"] = {}
    show_notices()


def header(lesson: str, controls: list[Control]) -> None:
    """Enter the page; title, the chapter of the notes it comes from, any URL notices, the intro."""
    enter()
    st.title(t(f"{lesson}.title"))
    st.caption(t(f"{lesson}.chapter"))
    adopt_url(controls)
    show_notices()
    st.markdown(t(f"{lesson}.intro"))


def section(lesson: str, name: str, controls: list[Control], more: bool = True):
    """A lesson section: subheader, short explanation, controls on the left; returns (values, side, main)."""
    st.subheader(t(f"{lesson}.{name}.title"))
    st.markdown(t(f"{lesson}.{name}.intro"))
    side, main = st.columns([1, 3], gap="large")
    with side:
        return render_all(controls, more=more), side, main


def takeaway(lesson: str, **fmt) -> None:
    """The closing 'what to notice' box, naming the chapter; fmt fills in numbers measured on this page."""
    st.subheader(t("common.notice"))
    st.info(t(f"{lesson}.takeaway", **fmt), icon="💡")


@contextmanager
def guard() -> Iterator[None]:
    """No traceback ever reaches the page: log it, say what happened in the user's language."""
    try:
        yield
    except Exception as exc:  # st.rerun/st.stop are BaseException and pass through
        _log.exception("page failed")
        st.error(t("common.error", kind=type(exc).__name__), icon="🚧")
