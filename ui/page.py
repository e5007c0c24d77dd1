"""The frame around every page: the link's values, shared sidebar, header, sections, takeaway, no-traceback guard."""
from __future__ import annotations

import contextvars
import dataclasses
import io
import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import segno
import streamlit as st

from core.lab import seed_param
from core.points import Points
from ui import code, own_data, predict, sheet
from ui.charts import big as presenting  # presenter mode is on (sidebar toggle or ?present=1)
from ui.controls import (SCROLL_TO, Control, TabControl, own_url, path_notice, read_link, render_all, reset_page,
                         section_controls, share_url, show_notices, widget)
from ui.i18n import LANGS, catalogue, t
from ui.internals import forget_requested_path, leave_folder_mode, requested_path
from ui.lessons import Lesson


@dataclass(frozen=True)
class LangControl(Control):
    """The language: en or zh; a link may also say EN, zh-CN, zh_TW, en-US."""

    def parse(self, raw: str) -> Any:
        """The language a URL string names; ValueError for anything else."""
        m = re.fullmatch(r"(en|zh)([-_][a-z]{2,4})?", raw.strip().lower())
        if m is None:
            raise ValueError(raw)
        return m.group(1)


SEED = seed_param().metadata["param"]  # every config's seed field: the sidebar's bounds come from it
SHARED = [
    LangControl("lang", "choice", "en", options=LANGS, label="app.lang"),
    Control("present", "toggle", False, label="app.present"),
    Control("seed", "number", 0, lo=SEED.lo, hi=SEED.hi, step=SEED.step, label="app.seed"),
    Control(predict.KEY, "toggle", False, label="app.predict"),  # predict, then reveal (ui/predict.py)
]
_log = logging.getLogger("dl_live_lab")

# Widget labels and metric values wrap instead of ending in "…": a metric that reads "2.50…" for 2.5e7 says the wrong
# thing. Preset buttons in one row share one height however their labels wrap.
_BASE_CSS = """<style>
[data-testid="stMetricLabel"] p, [data-testid="stMetricLabel"] div, .stButton button p,
[data-testid="stMetricValue"] div, [data-testid="stMetricValue"] p,
[data-testid="stWidgetLabel"] .stMarkdownEllipsis, [data-testid="stWidgetLabel"] .stMarkdownEllipsis p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  overflow-wrap: anywhere; }
[data-testid="stHorizontalBlock"] [data-testid="stColumn"] .stButton,
[data-testid="stHorizontalBlock"] [data-testid="stColumn"] .stButton button { height: 100%; }
</style>"""
# Presenter mode (a 1280 x 720 projector): larger body text, a compact header (the intro folds away), metrics that
# fit their column, charts full width; the sidebar starts collapsed.
_PRESENTER_CSS = """<style>
.stMainBlockContainer [data-testid="stMarkdownContainer"] p,
.stMainBlockContainer [data-testid="stMarkdownContainer"] li { font-size: 1.3rem !important; }
.stMainBlockContainer [data-testid="stWidgetLabel"] p,
.stMainBlockContainer [data-testid="stCaptionContainer"] p { font-size: 1.1rem !important; }
.stMainBlockContainer [data-testid="stMetricValue"] p,
.stMainBlockContainer [data-testid="stMetricValue"] div { font-size: 2.1rem !important; line-height: 1.2; }
.stMainBlockContainer h1 { font-size: 2.1rem !important; padding: 0 !important; }
.stMainBlockContainer h2, .stMainBlockContainer h3 { font-size: 1.8rem !important; }
.stMainBlockContainer { max-width: 100% !important; padding-top: 3.75rem !important; }
.stMainBlockContainer .stButton button p { font-size: 1.05rem !important; }
.stMainBlockContainer [data-testid="stSliderThumbValue"] p,
.stMainBlockContainer [data-testid="stSliderTickBar"] p { font-size: 1.05rem !important; line-height: 1.2; }
.stMainBlockContainer [data-testid="stSlider"] > div { margin-top: 0.35rem; }
.stMainBlockContainer [data-testid="stTable"] td, .stMainBlockContainer [data-testid="stTable"] th {
  font-size: 1.2rem !important; }
</style>"""


# Bring an element into view, and keep it there while the page above it is still running or changing height (charts
# change height as Vega lays them out; on a busy server that takes longer): it lets go once the script has finished
# and the page's height has stayed put for ~1.2 s (or after 60 s); a wheel, touch, key or click ends it at once.
_SCROLL = """(() => { const el = document.getElementById("%s"), app = document.querySelector('[data-testid="stApp"]');
  let n = 0, calm = 0, last = -1, iv;
  const stop = () => clearInterval(iv), tick = () => {
    if (++n > 400 || !el.isConnected) return stop();
    el.scrollIntoView({block: "start"});
    const height = document.querySelector('[data-testid="stMain"]')?.scrollHeight ?? 0;
    const idle = !app || app.getAttribute("data-test-script-state") === "notRunning";
    calm = idle && height === last ? calm + 1 : 0; last = height;
    if (calm >= 8) stop(); };
  ["wheel", "touchstart", "keydown", "pointerdown"].forEach(e => window.addEventListener(e, stop, {once: true}));
  tick(); iv = setInterval(tick, 150); })();"""


def start() -> None:
    """Before anything is drawn: the language (from the link, else the browser), presenter mode, seed."""
    if "lang" not in st.session_state and "lang" not in st.query_params:
        st.session_state["lang"] = "zh" if (st.context.locale or "").lower().startswith("zh") else "en"
    own_url(SHARED + [sheet.CONTROL, sheet.WALK, sheet.CORE])
    if presenting():  # the projector needs the width; the sidebar is one click away
        st.set_page_config(initial_sidebar_state="collapsed")


def tab_control(lesson: Lesson) -> TabControl:
    """The open tab of a tabbed lesson, by label in this language; links may use ids or either language."""
    labels = tuple(t(f"{lesson.name}.tab.{s.name}") for s in lesson.sections)
    aliases = [(s.name, label) for s, label in zip(lesson.sections, labels)]
    aliases += [(catalogue(g)[f"{lesson.name}.tab.{s.name}"], label) for g in LANGS
                for s, label in zip(lesson.sections, labels)]
    return TabControl(lesson.tab_key, "choice", labels[0], options=labels, aliases=tuple(aliases))


def page_controls(lesson: Lesson | None) -> list[Control]:
    """Every control a page reads from the link: each section's, and the open tab."""
    if lesson is None:
        return []
    controls = [c for s in lesson.sections for c in section_controls(lesson.name, s)]
    return controls + ([tab_control(lesson)] if lesson.tab_key else [])


def link_configs(lesson: Lesson, query: dict[str, list[str]]) -> dict[str, Any]:
    """{section name: config} that a link opens (no state touched): what a link in a slide stands for."""
    controls = SHARED + page_controls(lesson)
    valid, _, _ = read_link(controls, query)
    values = {c.key: c.default for c in controls} | valid
    return {s.name: s.config_from(values, values["seed"]) for s in lesson.sections}


def own_path(url_paths: set[str]) -> None:
    """Before st.navigation: a path that names no page (/nope, an old bookmark) opens the home page with a notice
    in the page's language (not Streamlit's English "Page not found"); /home is the home page, silently."""
    asked = requested_path()
    if asked and asked not in url_paths:
        if asked != "home":
            path_notice(asked)
        forget_requested_path()


def own_page_url(lesson: Lesson | None) -> None:
    """Judge the link's values for this page before any widget exists; unknown keys get a notice, keys of controls
    the lesson has retired are dropped silently (an old link in a slide opens without a warning)."""
    controls = page_controls(lesson)
    for key in set(lesson.retired if lesson else ()) & set(st.query_params):
        del st.query_params[key]
    own_url(controls, known={c.key for c in SHARED + controls} | {sheet.KEY, sheet.WALK.key, sheet.CORE.key})


def sidebar() -> st.delta_generator.DeltaGenerator:
    """Language, presenter mode, seed and reset, on every page; returns the slot for the share link."""
    with st.sidebar:
        for c in SHARED:
            widget(c)
        st.button(t("app.reset"), on_click=reset_page, args=([SHARED[2]],), key="reset",
                  help=t("app.reset_help"), width="stretch")
        slot = st.container()
    st.html(_BASE_CSS)
    if presenting():
        st.html(_PRESENTER_CSS)
    return slot


@st.cache_data(max_entries=64, show_spinner=False)
def qr_png(link: str) -> bytes:
    """The link as a QR code (segno; error correction M, 2-module quiet zone), a PNG of 8 px per module."""
    out = io.BytesIO()
    segno.make(link, error="m", micro=False).save(out, kind="png", scale=8, border=2)
    return out.getvalue()


def share_box(slot: st.delta_generator.DeltaGenerator, url_path: str) -> None:
    """The link that reproduces this exact demo (copy button on the code block); in presenter mode also as a QR
    code, so the class opens exactly the projected demo from their phones."""
    link = share_url(url_path, SHARED)
    with slot:
        st.caption(t("app.share"))
        st.code(link, language=None, wrap_lines=True)
        if st.session_state.get(own_data.USED):
            st.warning(t("data.not_in_link"), icon="📄")
        if presenting():
            st.image(qr_png(link), caption=t("app.scan"), width="stretch")


def seed() -> int:
    """The sidebar's seed (already checked against its range)."""
    return int(st.session_state.get("seed", 0))


_ROUTED: contextvars.ContextVar[bool] = contextvars.ContextVar("routed", default=False)


def enter() -> None:
    """First call of every page: run inside the router, start this page's control list, show URL notices.

    A page that runs outside the router (a fresh server's first requests, in Streamlit's pages/-folder mode: with
    30 students arriving at once, every one of them that came before the first st.navigation call) reruns at once,
    and the rerun goes through the router: its sidebar, language and link values."""
    if leave_folder_mode() or not (_ROUTED.get() or st.session_state.get("_rerouted")):
        st.session_state["_rerouted"] = True  # once: `streamlit run pages/x.py` has no router to reach
        st.rerun()
    st.session_state["_rerouted"] = False
    code.begin_page()
    st.session_state["_page_controls"] = {}
    st.session_state[own_data.USED] = False
    st.session_state[predict.HIDING] = False
    show_notices()


def header(lesson: Lesson) -> None:
    """Enter the page; title, the chapter of the notes it comes from, the intro."""
    enter()
    if presenting():  # on the projector: title and folded intro (under the chapter) share a row, so a chart fits
        left, right = st.columns(2, vertical_alignment="center")
        left.title(t(f"{lesson.name}.title"))
        right.expander(f'{t(f"{lesson.name}.chapter")} · {t("common.about")}').markdown(t(f"{lesson.name}.intro"))
    else:
        st.title(t(f"{lesson.name}.title"))
        st.caption(t(f"{lesson.name}.chapter"))
        st.markdown(t(f"{lesson.name}.intro"))
    sheet.bar(lesson)


def section(lesson: Lesson, name: str, heading: bool = True, skip: tuple[str, ...] = (), intro: dict | None = None):
    """A lesson section: subheader, its explanation, controls on the left; returns (values, config, side, main).

    The section's budget fields go in a collapsed expander; `skip` names views the page draws itself; `intro`
    fills the explanation's placeholders (numbers that come from core's constants).
    """
    sec = lesson.section(name)
    if st.session_state.get(SCROLL_TO) == name:  # a preset about this section was just clicked: bring it into view
        del st.session_state[SCROLL_TO]
        anchor = f"section-{lesson.name}-{name}"  # our own ids, never text from a link
        n = st.session_state["_scrolls"] = st.session_state.get("_scrolls", 0) + 1  # new markup: the script runs again
        st.html(f'<div id="{anchor}" data-n="{n}" style="scroll-margin-top: 4.5rem"></div><script>{_SCROLL % anchor}'
                '</script>', unsafe_allow_javascript=True)
    key = f"{lesson.name}.{name}.intro"
    title, has_intro = t(f"{lesson.name}.{name}.title"), t(key) != key
    intro = t(key, **(intro or {}))
    if presenting() and has_intro and heading:  # on the projector the section title opens its explanation
        st.expander(f"**{title}**").markdown(intro)
    elif not presenting():
        if heading:
            st.subheader(title)
        if has_intro:
            st.markdown(intro)
    side, main = st.columns([1, 3], gap="large")
    if presenting() and has_intro and not heading:  # a tab names its section: the explanation folds above the controls
        side.expander(t("common.about_section")).markdown(intro)
    budget, skipped = {sec.key(n) for n in sec.budget}, {sec.key(n) for n in skip}
    controls = [c for c in section_controls(lesson.name, sec) if c.key not in skipped]
    with side:
        values = render_all([c for c in controls if c.key not in budget])
        if budget:
            values |= render_all([c for c in controls if c.key in budget], st.expander(t(f"{lesson.name}.budget")))
    cfg = sec.config_from(values, seed())
    code.begin(lesson, cfg, side)  # its 'Reproduce in Python' expander goes under these controls
    return values, cfg, side, main


def own_points(lesson: Lesson, name: str, side: Any) -> Points | None:
    """A section that declares own_data: the 'Your own data' expander under its controls; the visitor's valid
    points, or None (the built-in data)."""
    sec = lesson.section(name)
    if sec.own_data is None:
        return None
    unused = [t(c.label) for c in section_controls(lesson.name, sec) if c.key in {sec.key(n) for n in sec.own_data}]
    return own_data.points(lesson.name, side, ignored=tuple(unused))


def lead() -> tuple[Any, Any]:
    """Two slots in the current column, (numbers, figure): the verdict and metrics, and the section's main chart.

    On the projector the main chart comes first, so it is on the first screen, and the numbers follow right under
    it; on a laptop the numbers lead. Later charts go after both.
    """
    first, second = st.container(), st.container()
    return (second, first) if presenting() else (first, second)


def control(lesson: Lesson, section_name: str, name: str) -> Control:
    """One declared control of a section (e.g. a view the page draws itself)."""
    sec = lesson.section(section_name)
    return next(c for c in section_controls(lesson.name, sec) if c.key == sec.key(name))


def view(lesson: Lesson, section_name: str, name: str, where: Any, **narrow) -> Any:
    """A view the page draws itself (named in open_tab's skip), drawn in `where`; its value. `narrow` replaces
    fields of its declaration for this run (e.g. hi=cfg.runs: only the runs this config has)."""
    c = dataclasses.replace(control(lesson, section_name, name), **narrow)
    return render_all([c], where)[c.key]


def tabs(lesson: Lesson) -> dict[str, Any]:
    """Lazy tabs bound to the lesson's tab key; {section name: tab}. A preset may name a tab by its id."""
    c = tab_control(lesson)
    st.session_state["_page_controls"][c.key] = c
    held = st.session_state.get(c.key)
    if held is not None:
        try:
            st.session_state[c.key] = c.parse(str(held))  # an id or the other language's label: this one's
        except ValueError:
            st.session_state[c.key] = c.default
    elif c.key not in st.query_params:  # a link made before the page had tabs: open the tab its values are about
        moved = [k for s in lesson.sections for k, d in s.defaults().items() if st.session_state.get(k, d) != d]
        about = lesson.section_about(moved) or lesson.sections[0].name  # the last section moved off its defaults
        st.session_state[c.key] = c.options[[s.name for s in lesson.sections].index(about)]
    labels = list(c.options)
    return dict(zip([s.name for s in lesson.sections],
                    st.tabs(labels, key=c.key, bind="query-params", on_change="rerun")))


def open_tab(lesson: Lesson, run: Callable[[Any], Any], draws: dict[str, Callable[[Any, Any, Any], None]],
             skip: dict[str, tuple[str, ...]] | None = None, intro: dict[str, dict] | None = None) -> None:
    """A tabbed lesson's body: only the open tab draws its controls, runs (cached) and draws its result;
    a result that diverged gets the lesson's notice first; a section with its own takeaway ends with it.
    draws: {section name: draw(cfg, result, side) -> None or the numbers its takeaway quotes}."""
    for name, tab in tabs(lesson).items():
        if not tab.open:  # lazy: the other tabs compute nothing
            continue
        with tab:
            _, cfg, side, main = section(lesson, name, heading=False, skip=(skip or {}).get(name, ()),
                                         intro=(intro or {}).get(name))
            points = own_points(lesson, name, side)
            if points is None and predict.hidden(lesson, name, cfg, main):  # the class predicts first: nothing runs
                code.flush()
                continue
            with main:
                result = run(cfg, points)  # ui.live.cached_run: points None is the built-in data
                if points is None:
                    predict.answer(lesson, name, result)
                if getattr(result, "diverged", None) is True:  # a whole run diverged (a list names nets: the draw says)
                    st.error(t(f"{lesson.name}.diverged"), icon="💥")
                fmt = draws[name](cfg, result, side)
            code.flush()
            if f"{lesson.name}.{name}.takeaway" in catalogue("en"):
                takeaway(lesson, name, **(fmt or {}))


def takeaway(lesson: Lesson, section: str = "", **fmt) -> None:
    """The closing 'what to notice' box (the lesson's, or one tab's), naming the chapter; fmt fills in numbers
    measured on this page."""
    code.flush()
    if st.session_state.get(predict.HIDING) and not section:  # the lesson's box would tell the hidden answer
        return
    st.subheader(t("common.notice"))
    st.info(t(f"{lesson.name}.{section}.takeaway" if section else f"{lesson.name}.takeaway", **fmt), icon="💡")


def finish() -> None:
    """After the page: the last section's 'Reproduce in Python' expander."""
    code.flush()


@contextmanager
def guard() -> Iterator[None]:
    """The router runs the page inside: no traceback ever reaches the page (log it, say what happened in the
    user's language), and the page knows it runs inside the router (see enter)."""
    routed = _ROUTED.set(True)
    try:
        yield
    except Exception as exc:  # st.rerun/st.stop are BaseException and pass through
        _log.exception("page failed")
        st.error(t("common.error", kind=type(exc).__name__), icon="🚧")
    finally:
        _ROUTED.reset(routed)
