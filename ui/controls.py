"""URL-bound controls built from the config declarations: the URL *is* the demo (cf. playground's state.ts).

A `Control` is one widget; `section_controls` builds a section's controls from its config class
(core.lab.param holds the range, step, options and label of every field). `own_url` reads every
value of the link before any widget exists: a valid value is adopted, anything else falls back to
the default with a notice, and Streamlit's own URL binding only ever sees canonical text.
Presets, reset and the share link reuse the same controls.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import streamlit as st

from core.lab import Param
from ui.charts import big
from ui.i18n import t
from ui.internals import set_url_seed
from ui.lessons import Lesson

TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")  # plain ASCII decimals only (no 1_0, ٣, １２)
INTEGER = re.compile(r"[+-]?([0-9]{1,12})")  # an integer setting is written as one: no 1e3, no 2.0
LINK_KEYS = {"embed", "embed_options"}  # Streamlit's own link options: never ours to judge
SCROLL_TO = "_scroll_to"  # session key: the section a just-clicked preset is about (read by ui.page.section)
PREDICT = "predict"  # session/URL key of the sidebar's "predict first" toggle (ui/predict.py)


@dataclass(frozen=True)
class Control:
    """One URL-bound widget: its key is the query parameter and the session-state key."""

    key: str
    kind: str  # slider (int/float range) | select (ordered numeric options) | choice | toggle | number
    default: Any
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    options: tuple = ()
    label: str = ""  # i18n key; "<label>_help" is the tooltip if the locale has it

    @classmethod
    def declared(cls, key: str, default: Any, p: Param, label: str) -> Control:
        """The widget a core.lab.Param declaration stands for."""
        if p.options:
            numeric = all(isinstance(o, (int, float)) and not isinstance(o, bool) for o in p.options)
            return cls(key, "select" if numeric else "choice", default, options=p.options, label=label)
        if isinstance(default, bool):
            return cls(key, "toggle", default, label=label)
        return cls(key, "slider", default, lo=p.lo, hi=p.hi, step=p.step, label=label)

    def fmt(self, v: Any) -> str:
        """The language-neutral text of a value: shown on option widgets and written to the URL."""
        if self.kind == "toggle":
            return "true" if v else "false"
        if isinstance(v, float):
            return f"{v:g}" if self.kind == "select" else (str(int(v)) if v.is_integer() else repr(v))
        return str(v)

    def parse(self, raw: str) -> Any:
        """The value a URL string stands for; ValueError when it is not a valid setting."""
        raw = raw.strip()
        if self.kind == "toggle":
            if raw.lower() in TRUE + FALSE:
                return raw.lower() in TRUE
            raise ValueError(raw)
        if self.kind in ("select", "choice"):
            for o in self.options:
                if raw == self.fmt(o) or (self.kind == "select" and NUMBER.fullmatch(raw) and math.isclose(float(raw), o)):
                    return o
            raise ValueError(raw)
        m = (INTEGER if isinstance(self.default, int) else NUMBER).fullmatch(raw)  # slider / number
        if not m:
            raise ValueError(raw)
        v = float(raw)
        if v == 0 and re.search("[1-9]", m.group(1)):  # 1e-400 underflows to 0: not what the link meant
            raise ValueError(raw)
        if not (math.isfinite(v) and self.lo <= v <= self.hi):
            raise ValueError(raw)
        if self.step:  # what the widget can show: the nearest point of its grid
            v = float(self.lo + round((v - self.lo) / self.step) * self.step)
        if isinstance(self.default, int):
            if not v.is_integer():
                raise ValueError(raw)
            return int(v)
        return round(v, 10)

    def clamp(self, v: Any) -> Any:
        """v moved inside the control's current range/options (bounds can depend on other controls)."""
        if self.kind in ("slider", "number"):
            return type(self.default)(min(max(v, self.lo), self.hi))
        if self.kind in ("select", "choice") and v not in self.options:
            return self.default
        return v


@dataclass(frozen=True)
class TabControl(Control):
    """The open tab of a tabbed lesson: its options are the tab labels in the page's language; a link
    may name a tab by its id (?of_tab=cv) or by its label in either language."""

    aliases: tuple = ()  # (text, label in this language) pairs

    def parse(self, raw: str) -> Any:
        """The tab label a URL string names; ValueError for anything else."""
        found = dict(self.aliases).get(raw.strip())
        if found is None:
            raise ValueError(raw)
        return found


def section_controls(lesson: str, section: Any) -> list[Control]:
    """The controls of a lesson section (ui.lessons.Section), built from its config declarations."""
    return [Control.declared(section.key(name), default, p, f"{lesson}.ctl.{p.label or name}")
            for name, (default, p) in section.declared().items()]


def notice_text(key: str, raw: str, default: str | None) -> str:
    """Both languages' words for an ignored URL value; key and value sit in code spans, never as markup.

    default None: the page has no such setting at all.
    """
    key, shown = _code_span(key), _code_span(raw)
    if default is None:
        return t("url.unknown", key=key, value=shown)
    return t("url.bad_value", key=key, value=shown, default=default)


def _code_span(s: str) -> str:
    """A link's text made safe to show inside a code span: printable, no backticks, at most 40 characters."""
    return "".join(ch for ch in s if ch.isprintable()).replace("`", "'")[:40] or "''"


def _queue(msg: str) -> None:
    """Keep a notice until the page shows it (show_notices)."""
    st.session_state.setdefault("_url_notices", []).append(msg)


def notice(key: str, raw: str, default: str | None) -> None:
    """Say (once, on the page) that a URL value was ignored."""
    _queue(notice_text(key, raw, default))


def path_notice(path: str) -> None:
    """Say (once, on the home page) that the link named a page this app does not have."""
    _queue(t("url.unknown_page", path=_code_span(path)))


def read_link(controls: list[Control], query: dict[str, list[str]], known: set[str] | None = None):
    """Judge a link's values without touching any state: returns (valid, bad, unknown).

    valid {key: value} for the controls' keys whose (last) value parses; bad {key: raw} for the
    rest of their keys; unknown {key: raw}: keys outside the controls and `known` (None: not judged).
    """
    valid, bad, unknown = {}, {}, {}
    by_key = {c.key: c for c in controls}
    for key, raws in query.items():
        raw = raws[-1] if raws else ""  # a repeated key: the last one counts
        if key in by_key:
            try:
                valid[key] = by_key[key].parse(raw)
            except Exception:  # whatever a link holds, it falls back to the default
                bad[key] = raw
        elif known is not None and key not in known and key not in LINK_KEYS:
            unknown[key] = raw
    return valid, bad, unknown


def own_url(controls: list[Control], known: set[str] | None = None) -> None:
    """Before any widget exists: judge every value the link holds for these controls.

    A valid value is adopted (on the first run) and Streamlit's binding is handed its canonical text;
    an invalid one (or one Streamlit's own parser would choke on) falls back to the default with a
    notice. With `known` given, link keys outside it (and outside the controls) get a notice too.
    """
    query = {k: st.query_params.get_all(k) for k in st.query_params}
    valid, bad, unknown = read_link(controls, query, known)
    by_key = {c.key: c for c in controls}
    for key, value in valid.items():
        set_url_seed(key, by_key[key].fmt(value))
        st.session_state.setdefault(key, value)
    for key, raw in bad.items():
        set_url_seed(key, None)
        del st.query_params[key]
        if key not in st.session_state:
            st.session_state[key] = by_key[key].default
            notice(key, raw, by_key[key].fmt(by_key[key].default))
    for key, raw in unknown.items():
        del st.query_params[key]
        notice(key, raw, None)


def show_notices(where: Any = st) -> None:
    """Show (once) the URL values that were ignored."""
    for msg in st.session_state.pop("_url_notices", []):
        where.warning(msg, icon="⚠️")


def widget(c: Control, where: Any = st) -> Any:
    """Draw one control, bound to the URL; returns its value."""
    kw: dict[str, Any] = {"key": c.key, "bind": "query-params", "label": t(c.label)}
    help_text = t(c.label + "_help")
    if help_text != c.label + "_help":
        kw["help"] = help_text
    if c.key in st.session_state:
        st.session_state[c.key] = c.clamp(st.session_state[c.key])
    elif c.kind != "choice":
        kw["value"] = c.default
    if c.kind == "slider":
        return where.slider(min_value=c.lo, max_value=c.hi, step=c.step, **kw)
    if c.kind == "number":
        return where.number_input(min_value=c.lo, max_value=c.hi, step=c.step, **kw)
    if c.kind == "select":
        return where.select_slider(options=list(c.options), format_func=c.fmt, **kw)
    if c.kind == "toggle":
        return where.toggle(**kw)
    if c.key not in st.session_state:
        kw["index"] = c.options.index(c.default)
    return where.radio(options=list(c.options), format_func=c.fmt, horizontal=True, **kw)


def render_all(controls: list[Control], where: Any = st) -> dict[str, Any]:
    """Register the controls for reset/share and draw them; returns {key: value}."""
    st.session_state.setdefault("_page_controls", {}).update({c.key: c for c in controls})
    return {c.key: widget(c, where) for c in controls}


def _apply(values: dict[str, Any]) -> None:
    for k, v in values.items():
        st.session_state[k] = v


def preset_label(lesson: Lesson, name: str) -> str:
    """A preset's label; with predict-first on, a preset with a question shows its neutral label if it has one
    (the usual label often names the answer: "Too large: diverges")."""
    neutral = f"{lesson.name}.preset_ask.{name}"
    if st.session_state.get(PREDICT) and name in lesson.questions and t(neutral) != neutral:
        return t(neutral)
    return t(f"{lesson.name}.preset.{name}")


def presets(lesson: Lesson) -> None:
    """One button per preset of the lesson; a preset is only a set of URL-bound values (so it is also a link).

    A preset about a later section scrolls the page to it (SCROLL_TO, read by ui.page.section).
    """
    if not big():  # presenter mode: on the projector the buttons speak for themselves
        st.caption(t("common.presets"))
    cols = st.columns(len(lesson.presets))
    for col, (name, values) in zip(cols, lesson.presets.items()):
        col.button(preset_label(lesson, name), key=f"preset_{lesson.name}_{name}", on_click=_apply,
                   args=(values | {SCROLL_TO: lesson.preset_section(name)},), help=t("common.preset_help"),
                   width="stretch")


def restart_when_changed(key: str, depends_on: object, value: Any) -> None:
    """Set key to `value` when `depends_on` differs from the previous run's (call before its widget).

    E.g. a replay slider must jump to the new run's last step when the run changes, not stay at an
    old step; a value that came with the link (the first run) is kept.
    """
    seen = f"_{key}_depends_on"
    if seen in st.session_state and st.session_state[seen] != depends_on:
        st.session_state[key] = value
        set_url_seed(key, None)  # a widget re-created with a new range would otherwise re-read the link's old value
    st.session_state[seen] = depends_on


def reset_page(extra: list[Control]) -> None:
    """Put every control of the current page, and the given shared ones, back to its default."""
    page = st.session_state.get("_page_controls", {})
    _apply({c.key: c.default for c in [*page.values(), *extra]})
    st.session_state["_own_data_round"] = st.session_state.get("_own_data_round", 0) + 1  # ui.own_data: emptied


def app_url(url_path: str, query: dict[str, Any]) -> str:
    """An absolute link to a page of this app (the address the browser used) with these URL values."""
    base = urlsplit(st.context.url or "http://localhost:8501/")
    return f"{base.scheme}://{base.netloc}/{url_path}?{urlencode(query)}"


def share_url(url_path: str, shared: list[Control]) -> str:
    """A link that reopens exactly this demo: page, every control, the seed and the language."""
    controls = [*shared, *st.session_state.get("_page_controls", {}).values()]
    return app_url(url_path, {c.key: c.fmt(st.session_state.get(c.key, c.default)) for c in controls})
