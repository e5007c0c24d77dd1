"""URL-bound controls declared once per page: the URL *is* the demo (cf. playground's state.ts).

Each page lists its controls as `Control`s. `render_all` checks what the URL says before any
widget exists (garbage falls back to the default, with a notice), then draws every widget with
`key=` and `bind="query-params"`. Presets, reset and the share link reuse the same list.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import streamlit as st

from ui.i18n import t

KINDS = ("slider", "select", "choice", "toggle", "number")
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")  # plain ASCII decimals only (no 1_0, no ٣)


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
    label: str = ""  # i18n key; "ctl.<key>" when empty; "<label>_help" is the tooltip if present

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
        if not NUMBER.fullmatch(raw):  # slider / number
            raise ValueError(raw)
        v = float(raw)
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


def _notice(ctrl: Control, raw: str) -> None:
    """Say, in words and never as markup, that a URL value was ignored."""
    shown = "".join(ch for ch in raw if ch.isprintable()).replace("`", "'")[:40] or "''"  # inside a code span: no markup
    st.session_state.setdefault("_url_notices", []).append(
        t("url.bad_value", key=ctrl.key, value=shown, default=ctrl.fmt(ctrl.default))
    )


def adopt_url(controls: list[Control]) -> None:
    """Before widgets exist: take valid URL values, replace invalid ones by the default (with a notice)."""
    for c in controls:
        if c.key in st.session_state or c.key not in st.query_params:
            continue
        raw = st.query_params.get_all(c.key)[-1]
        try:
            st.session_state[c.key] = c.parse(raw)
        except Exception:  # whatever a link holds, it falls back to the default
            st.session_state[c.key] = c.default
            _notice(c, raw)


def show_notices(where: Any = st) -> None:
    """Show (once) the URL values that were ignored."""
    for msg in st.session_state.pop("_url_notices", []):
        where.warning(msg, icon="⚠️")


def widget(c: Control, where: Any = st) -> Any:
    """Draw one control, bound to the URL; returns its value."""
    label = c.label or f"ctl.{c.key}"
    kw: dict[str, Any] = {"key": c.key, "bind": "query-params", "label": t(label)}
    help_text = t(label + "_help")
    if help_text != label + "_help":
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


def render_all(controls: list[Control], where: Any = st, more: bool = False) -> dict[str, Any]:
    """Adopt the URL, register the page's controls (for reset/share), draw them; returns {key: value}.

    more=True adds to the controls already registered by this page run (e.g. a replay slider whose
    range depends on the result) instead of starting the page's list afresh.
    """
    adopt_url(controls)
    show_notices(where)
    known = st.session_state.get("_page_controls", {}) if more else {}
    st.session_state["_page_controls"] = {**known, **{c.key: c for c in controls}}
    return {c.key: widget(c, where) for c in controls}


def _apply(values: dict[str, Any]) -> None:
    for k, v in values.items():
        st.session_state[k] = v


def presets(named: dict[str, dict[str, Any]], prefix: str) -> None:
    """One button per named preset; a preset is only a set of URL-bound values (so it is also a link)."""
    st.caption(t("common.presets"))
    cols = st.columns(len(named))
    for col, (name, values) in zip(cols, named.items()):
        col.button(t(f"{prefix}.preset.{name}"), key=f"preset_{prefix}_{name}", on_click=_apply,
                   args=(values,), help=t("common.preset_help"), width="stretch")


def restart_when_changed(key: str, depends_on: object, value: Any) -> None:
    """Set key to `value` when `depends_on` differs from the previous run's (call before its widget).

    E.g. a replay slider must jump to the new run's last step when the run changes, not stay at an
    old step; a value that came with the link (the first run) is kept.
    """
    seen = f"_{key}_depends_on"
    if seen in st.session_state and st.session_state[seen] != depends_on:
        st.session_state[key] = value
    st.session_state[seen] = depends_on


def reset_page(extra: list[Control]) -> None:
    """Put every control of the current page, and the given shared ones, back to its default."""
    page = st.session_state.get("_page_controls", {})
    _apply({c.key: c.default for c in [*page.values(), *extra]})


def share_url(url_path: str, shared: list[Control]) -> str:
    """A link that reopens exactly this demo: page, every control, the seed and the language."""
    base = urlsplit(st.context.url or "http://localhost:8501/")
    controls = [*shared, *st.session_state.get("_page_controls", {}).values()]
    query = {c.key: c.fmt(st.session_state.get(c.key, c.default)) for c in controls}
    return f"{base.scheme}://{base.netloc}/{url_path}?{urlencode(query)}"
