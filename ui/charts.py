"""Altair chart builders over tidy frames, sized for a laptop or (presenter mode) a projector."""
from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import re
from typing import Any, Callable, Iterator

import altair as alt
import pandas as pd
import streamlit as st

from ui import code
from ui.i18n import t
from ui.internals import altair_spec


_FIELD = {"x": alt.X, "y": alt.Y, "x2": alt.X2, "y2": alt.Y2, "color": alt.Color, "tooltip": alt.Tooltip,
          "text": alt.Text, "detail": alt.Detail, "order": alt.Order, "strokeDash": alt.StrokeDash,
          "shape": alt.Shape, "opacity": alt.Opacity, "size": alt.Size}
_VALUE = {"x": alt.XValue, "y": alt.YValue, "color": alt.ColorValue, "opacity": alt.OpacityValue,
          "size": alt.SizeValue, "strokeDash": alt.StrokeDashValue, "text": alt.TextValue}


def _typed(channel: str, value: Any) -> Any:
    """A shorthand ("depth:Q", a list of tooltip fields, alt.value(12)) as its channel's own class."""
    if isinstance(value, str) and channel in _FIELD:
        return _FIELD[channel](value)
    if isinstance(value, list):
        return [_typed(channel, v) for v in value]
    if isinstance(value, dict) and set(value) == {"value"} and channel in _VALUE:
        return _VALUE[channel](value["value"])
    return value


class Chart(alt.Chart):
    """alt.Chart whose encode() turns shorthands into channel objects first: the same spec, ~100x faster to build.

    Altair 6.3 wraps each string or value shorthand by rebuilding a hash table of all its schema classes (~5 ms per
    channel; vega/altair#3547), which was most of a cold chart's build (the pooling feature maps: 65 tooltips)."""

    def encode(self, *args, **channels):
        return super().encode(*args, **{k: _typed(k, v) for k, v in channels.items()})


def big() -> bool:
    """Presenter mode: larger fonts and taller charts for the back row."""
    return bool(st.session_state.get("present", False))


def text_size(base: float) -> float:
    """A chart's text size, grown for the back row in presenter mode."""
    return base * (1.5 if big() else 1.0)


_CJK = "\u2e80-\u9fff\uff00-\uffef\u3000-\u303f"  # CJK characters and punctuation: two width units each
_WIDE = re.compile(f"[{_CJK}]")
_TOKENS = re.compile(rf"\s+|[{_CJK}]|[^\s{_CJK}]+")  # a title's tokens: spaces, one CJK character, a Latin word
_NO_LINE_START = set("、，。：；！？）》」』】,.:;!?)")  # punctuation that must not start a line (kinsoku)


def _size(text: str) -> int:
    """Width of a text in units: a CJK character counts 2."""
    return len(text) + len(_WIDE.findall(text))


_BUDGET: contextvars.ContextVar[int | None] = contextvars.ContextVar("title_budget", default=None)


@contextlib.contextmanager
def narrow(budget: int = 18) -> Iterator[None]:
    """Charts built inside are in a narrow column (e.g. three side by side): titles wrap at `budget` width units,
    legends with long labels take one column."""
    token = _BUDGET.set(budget)
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _wrap(title: str, budget: int | None = None) -> list[str]:
    """A long title as lines of at most `budget` width units (a CJK character counts 2; default 26, 30 on the
    projector: what a chart in half of the main column holds at 1280 px in the title's font; `narrow()` less).

    Vega cuts one long line off with "…" in a narrow column. Lines break at spaces or after CJK punctuation
    where possible (never in the middle of a Latin word, never before a closing mark like "、" or "）").
    """
    budget = budget or _BUDGET.get() or (30 if big() else 26)
    lines, line = [], ""
    for tok in _TOKENS.findall(title):
        if line and _size(line + tok) > budget and not tok.isspace() and tok[0] not in _NO_LINE_START:
            cut = max(line.rfind(" "), max((line.rfind(p) for p in "、，。：；）"), default=-1))
            if cut >= len(line) * 0.6:  # a natural break not far back: move the tail to the next line
                line, tail = line[:cut + 1], line[cut + 1:]
            else:
                tail = ""
            lines.append(line.strip())
            line = tail.lstrip()
        line += tok
    return [x for x in [*lines, line.strip()] if x] or [title]


def _style(chart: alt.Chart, height: int) -> alt.Chart:
    """Common size and fonts (long titles wrapped); presenter mode scales both."""
    k = text_size(1.0)
    if isinstance(chart.title, str) and chart.title:
        chart = chart.properties(title=alt.Title(_wrap(chart.title)))
    # fit-x: the chart fills its column's width and `height` is the plot's own height; Streamlit's default ("fit"
    # both ways) squeezes title, legend and axes into `height` too, and pushes a long title off the top
    return (
        chart.properties(height=int(height * (0.6 if big() else 0.75)),  # plot only: title, legend, axes come on top
                         autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
        .configure_axis(labelFontSize=12 * k, titleFontSize=13 * k)
        .configure_legend(labelFontSize=12 * k, titleFontSize=13 * k, orient="bottom", columns=2, labelLimit=0)
        .configure_title(fontSize=15 * k, anchor="start")
        .configure_range(category={"scheme": "tableau10"})  # distinct hues: dark vs light blue fails on a projector
    )


Spec = dict  # a chart as its finished Vega-Lite spec (what every builder below returns)
CHART_CACHE_MB = 48  # the memo of finished specs, pickled, shared by every builder (same function: one cache)


def _cached(builder: Callable[..., alt.Chart]) -> Callable[..., Spec]:
    """Memoise a builder: its Vega-Lite spec is built (and validated by Altair) once per distinct data, arguments,
    presenter mode and title budget, then shared by every visitor. Building and validating Altair charts, not
    our numbers, is what a visit to a cached page costs the server; a memo hit costs the hash of the arguments."""

    @st.cache_data(max_entries=256, max_size=f"{CHART_CACHE_MB}MB", show_spinner=False)  # one cache for all builders
    def spec(name: str, present: bool, budget: int | None, args: tuple, kwargs: dict) -> Spec:
        return altair_spec(builder(*args, **kwargs))

    @functools.wraps(builder)
    def build(*args, **kwargs) -> Spec:
        if _LIVE.get():  # a frame of a live training curve: drawn once, never again
            return altair_spec(builder(*args, **kwargs))
        return spec(builder.__name__, big(), _BUDGET.get(), args, kwargs)

    return build


_LIVE: contextvars.ContextVar[bool] = contextvars.ContextVar("live_chart", default=False)


@contextlib.contextmanager
def live() -> Iterator[None]:
    """Charts built inside are frames of a live curve: not memoised (each is drawn once)."""
    token = _LIVE.set(True)
    try:
        yield
    finally:
        _LIVE.reset(token)


def series_order(col: pd.Series) -> list:
    """Legend and colour order of a series column: its category order if categorical, else the order of first
    appearance. Core frames list series in id order, so colours follow the series id and never the translated
    label (sorting labels alphabetically would swap colours between languages)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        present = set(col)
        return [c for c in col.cat.categories if c in present]
    return list(dict.fromkeys(col))


@_cached
def lines(df: pd.DataFrame, x: str, y: str, color: str | None = None, *, title: str = "",
          x_title: str = "", y_title: str = "", log_y: bool = False, stop_x: float | None = None,
          stop_label: str = "", marker_x: float | list[float] | None = None, dash: str | None = None,
          height: int = 300, rule_y: float | None = None, rule_label: str = "", flag: str | None = None,
          flag_label: str = "", y_domain: tuple[float, float] | None = None,
          points: bool | None = None, integer_x: bool = False, log_x: bool = False) -> alt.Chart:
    """Curves y(x), one per color value; optional log y (and log x), a red rule where a run stopped (diverged), step markers.

    rule_y draws a labelled horizontal reference (a baseline, a threshold); flag names a boolean column
    whose True rows are marked with red crosses, labelled flag_label in the legend (e.g. "exploded");
    y_domain fixes the y range (curves leaving it are cut off, e.g. a run that blew up); points draws
    a dot on every value (default: only for short frames); integer_x puts ticks on whole numbers only
    (e.g. a count of layers). Colours and dashes follow `series_order` (the first series is drawn solid).
    """
    dom = {"domain": list(y_domain)} if y_domain else {}
    axis = {"axis": alt.Axis(tickMinStep=1, format="d")} if integer_x else {}
    enc = {"x": alt.X(x, title=x_title or x, **axis, **({"scale": alt.Scale(type="log")} if log_x else {})), "y": alt.Y(y, title=y_title or y,
           scale=alt.Scale(type="log", **dom) if log_y else alt.Scale(zero=False, **dom))}
    if color:  # in a narrow chart (built inside `narrow()`), long labels get one legend column, not two side by side
        one = _BUDGET.get() is not None and max((_size(str(v)) for v in df[color].unique()), default=0) > 12
        enc["color"] = alt.Color(color, title=None, sort=series_order(df[color]),
                                 **({"legend": alt.Legend(columns=1)} if one else {}))
    if dash:
        # its own legend above the plot: side by side with the colour legend below, the last entries were cut off
        enc["strokeDash"] = alt.StrokeDash(dash, title=None, sort=series_order(df[dash]),
                                           legend=alt.Legend(orient="top", columns=4))
    dots = len(df) < 40 if points is None else points  # dots off: a dash legend then shows dashes
    layers = [Chart(df).mark_line(point=dots, clip=bool(y_domain))
              .encode(**enc, tooltip=list(df.columns))]
    if stop_x is not None:
        rule = pd.DataFrame({x: [stop_x], "label": [stop_label]})
        base = Chart(rule).encode(x=x)
        layers += [base.mark_rule(color="#d62728", strokeWidth=3, strokeDash=[6, 3]),
                   base.mark_text(color="#d62728", align="left", dx=4, dy=-8, fontWeight="bold",
                                  fontSize=text_size(14)).encode(text="label", y=alt.value(12))]
    if marker_x is not None:
        marks = list(marker_x) if isinstance(marker_x, (list, tuple)) else [marker_x]
        layers.append(Chart(pd.DataFrame({x: marks})).mark_rule(color="gray").encode(x=x))
    if rule_y is not None:
        base = Chart(pd.DataFrame({y: [rule_y], "label": [rule_label]})).encode(y=enc["y"])
        layers[:0] = [base.mark_rule(color="#555", strokeDash=[5, 4], strokeWidth=2),  # under the curves
                      base.mark_text(align="right", baseline="bottom", dy=-3, fontWeight="bold", fontSize=text_size(12))
                      .encode(text="label", x=alt.value("width"))]
    if flag is not None and df[flag].any():
        hot = df[df[flag]].assign(_flag=flag_label)
        layers.append(Chart(hot).mark_point(shape="cross", size=110, filled=True, color="#d62728").encode(
            x=enc["x"], y=enc["y"], shape=alt.Shape("_flag:N", title=None, scale=alt.Scale(range=["cross"])),
            tooltip=list(df.columns)))
    return _style(alt.layer(*layers).properties(title=title), height)


@_cached
def heatmap(df: pd.DataFrame, x: str, y: str, z: str, *, title: str = "", z_title: str = "",
            path: pd.DataFrame | None = None, marker: pd.DataFrame | None = None,
            best: tuple[float, float] | None = None, log_z: bool = True, height: int = 380,
            x_title: str = "", y_title: str = "", z_domain: tuple[float, float] | None = None,
            arrows: pd.DataFrame | None = None, key_right: bool = False, pick: str | None = None,
            scheme: str = "viridis") -> alt.Chart:
    """A filled grid z(x, y) (log colour by default) with an optional path, current point and optimum on top.

    z_domain fixes the colour range (values beyond it take the end colours), so two heatmaps side by side share
    one colour key. arrows (x, y, x2, y2, label, colour): labelled segments, e.g. a gradient and eigenvectors.
    key_right puts the colour key beside the plot instead of under it (a main chart that must fit a projector).
    pick names a click selection of one cell (its x and y values), for `show(..., on_select=...)`.
    """
    dx = (df[x].max() - df[x].min()) / max(df[x].nunique() - 1, 1) / 2
    dy = (df[y].max() - df[y].min()) / max(df[y].nunique() - 1, 1) / 2
    dom_x = [float(df[x].min() - dx), float(df[x].max() + dx)]
    dom_y = [float(df[y].min() - dy), float(df[y].max() + dy)]
    o = 1.06  # cells overlap a little: edge to edge, anti-aliasing leaves hairline seams between them
    cells = df.assign(_x0=df[x] - o * dx, _x1=df[x] + o * dx, _y0=df[y] - o * dy, _y1=df[y] + o * dy)
    key = dict(format=".3~g", labelOverlap="greedy")  # a log key's first label is the exact minimum (0.0894071165…)
    grid = Chart(cells).mark_rect(clip=True).encode(
        x=alt.X("_x0:Q", title=x_title or x, scale=alt.Scale(domain=dom_x, nice=False, zero=False)), x2="_x1",
        y=alt.Y("_y0:Q", title=y_title or y, scale=alt.Scale(domain=dom_y, nice=False, zero=False)), y2="_y1",
        color=alt.Color(f"{z}:Q", title=_wrap(z_title or z, 14) if key_right else z_title or z,
                        scale=alt.Scale(type="log" if log_z else "linear", scheme=scheme,
                                        **({"domain": list(z_domain), "clamp": True} if z_domain else {})),
                        legend=alt.Legend(orient="right", direction="vertical", gradientLength=120, **key) if key_right
                        else alt.Legend(orient="bottom", direction="horizontal", gradientLength=150, **key)),
        tooltip=[x, y, z],
    )
    if pick:
        grid = grid.add_params(alt.selection_point(name=pick, fields=[x, y], on="click", toggle=False))
    layers = [grid]
    inside = lambda f: f[f[x].between(*dom_x) & f[y].between(*dom_y)]  # noqa: E731 — a diverging path leaves the grid
    path = None if path is None else inside(path)
    marker = None if marker is None else inside(marker)
    if path is not None and len(path):
        layers.append(Chart(path).mark_line(color="white", clip=True, point=alt.OverlayMarkDef(color="white", size=18, clip=True))
                      .encode(x=f"{x}:Q", y=f"{y}:Q", order="step:Q", tooltip=list(path.columns)))
    if best is not None:
        layers.append(Chart(pd.DataFrame({x: [best[0]], y: [best[1]]}))
                      .mark_point(shape="cross", color="#ff7f0e", size=250, strokeWidth=4).encode(x=x, y=y))
    for a in ([] if arrows is None else arrows.itertuples()):  # each label at its (x2, y2) end, towards the middle
        seg, right = Chart(pd.DataFrame([a._asdict()])), a.x2 > sum(dom_x) / 2
        layers += [seg.mark_rule(color=a.colour, strokeWidth=4, clip=True).encode(x="x:Q", y="y:Q", x2="x2", y2="y2"),
                   seg.mark_text(color=a.colour, fontWeight="bold", fontSize=text_size(15), dx=-6 if right else 6,
                                 dy=-8, align="right" if right else "left", clip=True)
                   .encode(x="x2:Q", y="y2:Q", text="label")]
    if marker is not None and len(marker):
        layers.append(Chart(marker).mark_point(color="#d62728", size=200, filled=True).encode(x=x, y=y))
    return _style(alt.layer(*layers).properties(title=title), height)


@_cached
def points_and_lines(points: pd.DataFrame, fit: pd.DataFrame, *, x: str = "x", y: str = "y",
                     point_color: str | None = None, line_color: str | None = None, title: str = "",
                     height: int = 300, point_colors: dict[str, str] | None = None,
                     line_colors: dict[str, str] | None = None,
                     line_widths: dict[str, float] | None = None) -> alt.Chart:
    """Data as dots (coloured by a column if given) with fitted curves drawn over them.

    point_colors / line_colors ({value: colour}) fix the colours, e.g. so that no curve shares a colour with
    a kind of dot; line_widths ({value: px}) draws a curve wider, e.g. under another one it may coincide with."""
    fixed = lambda m: {"scale": alt.Scale(domain=list(m), range=list(m.values()))} if m else {}  # noqa: E731
    lo, hi = points[y].min(), points[y].max()
    span = hi - lo + 1e-9  # show the fit too, but at most one data-span beyond the data: a wild fit is clipped
    y_dom = [float(max(min(lo, fit[y].min()), lo - span) - 0.1 * span),
             float(min(max(hi, fit[y].max()), hi + span) + 0.1 * span)]
    dots = Chart(points).mark_circle(size=70, opacity=0.8).encode(
        x=alt.X(x, scale=alt.Scale(zero=False)), y=alt.Y(y, scale=alt.Scale(domain=y_dom, zero=False)),
        color=alt.Color(point_color, title=None, legend=alt.Legend(orient="top"), **fixed(point_colors))
        if point_color else alt.value("#1f77b4"),  # dots' legend on top, curves' below: one row each fits
        tooltip=list(points.columns))
    width = (alt.StrokeWidth(line_color, legend=None, scale=alt.Scale(domain=list(line_widths),
                                                                      range=list(line_widths.values())))
             if line_widths and line_color else alt.value(3))
    curve = Chart(fit).mark_line(clip=True).encode(
        x=x, y=y, strokeWidth=width, color=alt.Color(line_color, title=None, legend=alt.Legend(orient="bottom", columns=1),
                                                     **fixed(line_colors)) if line_color else alt.value("#d62728"))
    return _style(alt.layer(dots, curve).resolve_scale(color="independent").properties(title=title), height)


@_cached
def scatter(df: pd.DataFrame, x: str, y: str, color: str, *, title: str = "", x_title: str = "", y_title: str = "",
            color_title: str = "", log_x: bool = False, log_color: bool = False, ring: pd.DataFrame | None = None,
            y_domain: tuple[float, float] | None = None, rule_y: float | None = None, rule_label: str = "",
            height: int = 320) -> alt.Chart:
    """Dots y(x) coloured by a number (log colour optional); ring: rows circled in red (e.g. the chosen run);
    y_domain fixes the y range; rule_y draws a labelled horizontal reference."""
    dom = {"domain": list(y_domain)} if y_domain else {"zero": False, "padding": 10}
    enc = dict(x=alt.X(f"{x}:Q", title=x_title or x, scale=alt.Scale(type="log") if log_x else alt.Scale(zero=False)),
               y=alt.Y(f"{y}:Q", title=y_title or y, scale=alt.Scale(**dom)))
    dots = Chart(df).mark_circle(size=110, opacity=0.85).encode(
        **enc, color=alt.Color(f"{color}:Q", title=color_title or color, scale=alt.Scale(
            type="log" if log_color else "linear", scheme="plasma"), legend=alt.Legend(gradientLength=150)),
        tooltip=list(df.columns))
    layers = [dots]
    if rule_y is not None:
        base = Chart(pd.DataFrame({y: [rule_y], "label": [rule_label]})).encode(y=enc["y"])
        layers[:0] = [base.mark_rule(color="#555", strokeDash=[5, 4], strokeWidth=2),
                      base.mark_text(align="right", baseline="top", dy=4, fontWeight="bold", fontSize=text_size(12))
                      .encode(text="label", x=alt.value("width"))]
    if ring is not None and len(ring):
        layers.append(Chart(ring).mark_point(size=400, strokeWidth=3, color="#d62728").encode(**enc))
    return _style(alt.layer(*layers).properties(title=title), height)


@_cached
def cells(df: pd.DataFrame, colour: str, colours: dict[str, str] | str | None = None, *, title: str = "",
          height: int = 260, text: str | None = None, domain: tuple[float, float] | None = None) -> alt.Chart:
    """A grid of square cells (columns row, col; row 0 on top, like an image), coloured by `colour`:
    colours {label: colour} for a category (fixed colours and legend order), a scheme name ("reds") for a number
    (domain fixes its range), or None for a column of "#rrggbb" strings (a picture, no legend).
    text: a column written in each cell."""
    if colours is None:
        fill = alt.Color(f"{colour}:N", scale=None)
    elif isinstance(colours, str):
        fill = alt.Color(f"{colour}:Q", title=None, scale=alt.Scale(scheme=colours, **({"domain": list(domain)} if domain else {})),
                         legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=120))
    else:
        fill = alt.Color(f"{colour}:N", title=None, scale=alt.Scale(domain=list(colours), range=list(colours.values())))
    base = Chart(df).encode(x=alt.X("col:O", axis=None), y=alt.Y("row:O", axis=None))
    grid = isinstance(colours, dict)  # white lines between category cells; pictures and maps stay seamless
    layers = [base.mark_rect(stroke="white" if grid else None, strokeWidth=1 if grid else 0)
              .encode(color=fill, tooltip=list(df.columns))]
    if text:
        layers.append(base.mark_text(fontSize=text_size(11)).encode(text=text))
    return _style(alt.layer(*layers).properties(title=title), height)


def _signed_decades(values: pd.Series, floor: float) -> list[float]:
    """Ticks for a symmetric log axis: 0 and the powers of ten from `floor` out to the data, both signs."""
    out = [0.0]
    for sign in (-1, 1):
        top = max((abs(v) for v in values if v * sign > 0), default=0.0)
        d = floor * 10
        while d <= top * 10 and top > floor:
            out.append(sign * d)
            d *= 10
    return sorted(out)


@_cached
def bars(df: pd.DataFrame, x: str, y: str, *, highlight: str | None = None, title: str = "",
         x_title: str = "", y_title: str = "", height: int = 200,
         y_domain: tuple[float, float] | None = None, symlog: float | None = None) -> alt.Chart:
    """Bars y(x) on a quantitative x (so they line up with a line chart below); rows where the
    boolean/0-1 column `highlight` is set are drawn in orange; y_domain fixes the y range (headroom);
    symlog (a constant c) draws y on a symmetric log scale, linear within +-c: tiny negatives next to large
    positives stay visible."""
    color = (alt.condition(f"datum['{highlight}'] > 0", alt.value("#ff7f0e"), alt.value("#9ecae1"))
             if highlight else alt.value("#9ecae1"))
    chart = Chart(df).mark_bar(size=8).encode(
        x=alt.X(x, title=x_title or x, scale=alt.Scale(nice=False, padding=8)),
        y=alt.Y(y, title=y_title or y, scale=alt.Scale(**({"domain": list(y_domain)} if y_domain else {}),
                                                       **({"type": "symlog", "constant": symlog} if symlog else {})),
                axis=alt.Axis(values=_signed_decades(df[y], symlog), format="~g") if symlog else alt.Undefined),
        color=color, tooltip=list(df.columns))
    return _style(chart.properties(title=title), height)


@_cached
def grouped_bars(df: pd.DataFrame, x: str, y: str, color: str, *, text: str | None = None, title: str = "",
                 x_title: str = "", y_title: str = "", log_y: bool = False, x_order: list | None = None,
                 height: int = 280) -> alt.Chart:
    """Bars y per category x, one bar per color value side by side; optional text (e.g. a shape) on each bar.

    x_order fixes the category order (default: order of first appearance in df).
    """
    order = x_order if x_order is not None else list(dict.fromkeys(df[x]))
    wrapped = {str(v): _wrap(str(v), 12 if big() else 16) for v in order}  # long category names on two lines
    axis = alt.Axis(labelAngle=0, labelLimit=0, labelExpr=f"{json.dumps(wrapped, ensure_ascii=False)}[datum.label] || datum.label")
    enc = dict(x=alt.X(f"{x}:N", title=x_title or x, sort=order, axis=axis),
               xOffset=alt.XOffset(f"{color}:N", sort=series_order(df[color])),
               y=alt.Y(f"{y}:Q", title=y_title or y, scale=alt.Scale(type="log") if log_y else alt.Scale()))
    if text and len(df):  # headroom for the labels above the tallest bar
        top = float(df[y].max()) * (30 if log_y else 1.3)
        enc["y"] = enc["y"].scale(type="log", domainMax=top) if log_y else enc["y"].scale(domainMax=top)
    base = {"y2": alt.datum(1)} if log_y else {}  # a log axis has no 0: bars grow from 1
    layers = [Chart(df).mark_bar().encode(**enc, **base, color=alt.Color(f"{color}:N", title=None,
                                                                              sort=series_order(df[color])),
                                              tooltip=list(df.columns))]
    if text:  # short values ("0.49", "16/20") read level above their bar; long ones ("8×16×16") stand upright
        upright = df[text].astype(str).str.len().max() > 5
        mark = (dict(angle=270, align="left", baseline="middle", dx=3) if upright
                else dict(align="center", baseline="bottom", dy=-3))
        layers.append(Chart(df).mark_text(fontSize=text_size(12), **mark).encode(**enc, text=f"{text}:N"))
    return _style(alt.layer(*layers).properties(title=title), height)


@_cached
def image_grid(df: pd.DataFrame, col: str, row: str | None = None, *, x: str = "col", y: str = "row",
               z: str = "value", title: str = "", scheme: str = "viridis", px: int = 7) -> alt.Chart:
    """Small images from tidy pixels (x, y, z): one row of panels per `row` value, one panel per `col` value.

    Every image pixel is px screen pixels wide, so a pooled 8x8 map is drawn half the size of a
    16x16 one. Each panel has its own colour range (bright = its largest values) and is titled by its col
    value; rows and panels keep the order of first appearance in df.
    """
    k = text_size(1.0)
    rows = []
    for r_val, part in (df.groupby(row, sort=False) if row else [("", df)]):
        panels = []
        for c_val, img in part.groupby(col, sort=False):
            panels.append(Chart(img).mark_rect().encode(
                x=alt.X(f"{x}:O", axis=None), y=alt.Y(f"{y}:O", axis=None),
                color=alt.Color(f"{z}:Q", scale=alt.Scale(scheme=scheme), legend=None),
                tooltip=[c for c in (row, col, y, x, z) if c])
                .properties(width=px * k * img[x].nunique(), height=px * k * img[y].nunique(),
                            title=alt.Title(str(c_val), fontSize=11 * k, fontWeight="normal")))
        rows.append(alt.hconcat(*panels, spacing=8, title=alt.Title(str(r_val), anchor="start", fontSize=13 * k)))
    chart = rows[0] if len(rows) == 1 else alt.vconcat(*rows, spacing=10)
    return (chart.properties(title=title).resolve_scale(color="independent")
            .configure_title(fontSize=15 * k, anchor="start").configure_view(stroke=None)
            .configure_concat(spacing=8))


@_cached
def spread(points: pd.DataFrame, summary: pd.DataFrame, x: str, y: str, mean: str, std: str, *,
           curves: pd.DataFrame | None = None, curve_color: str = "curve",
           marks: dict[str, float] | None = None,
           title: str = "", x_title: str = "", y_title: str = "", log_y: bool = False,
           height: int = 300) -> alt.Chart:
    """Single observations y(x) (x: whole numbers, e.g. a depth) as grey dots, their mean ± std per x as black dots
    with error bars.

    curves (tidy: x, y, curve_color) adds coloured reference lines (e.g. the loss on a test set);
    marks {label: x} draws a labelled vertical rule at each x (e.g. the value each method picks).
    """
    scale = alt.Scale(type="log") if log_y else alt.Scale(zero=False)
    ex = alt.X(f"{x}:Q", title=x_title or x, axis=alt.Axis(tickMinStep=1, format="d"))
    ey = alt.Y(f"{y}:Q", title=y_title or y, scale=scale)
    bars = summary.assign(_lo=summary[mean] - summary[std], _hi=summary[mean] + summary[std])
    if log_y:
        bars["_lo"] = bars._lo.where(bars._lo > 0, bars[mean] / 10)  # a log axis has no 0 or below
    layers = [Chart(points).mark_circle(size=35, color="#999", opacity=0.7)
              .encode(x=ex, y=ey, tooltip=list(points.columns)),
              Chart(bars).mark_rule(strokeWidth=2, color="black")
              .encode(x=ex, y=alt.Y("_lo:Q", scale=scale), y2="_hi"),
              Chart(bars).mark_point(size=90, filled=True, color="black").encode(
                  x=ex, y=alt.Y(f"{mean}:Q", scale=scale), tooltip=list(summary.columns))]
    if curves is not None and len(curves):
        layers.append(Chart(curves).mark_line(point=True, strokeDash=[6, 3]).encode(
            x=ex, y=alt.Y(f"{y}:Q", scale=scale), color=alt.Color(f"{curve_color}:N", title=None)))
    for i, (label, at) in enumerate((marks or {}).items()):
        base = Chart(pd.DataFrame({x: [at], "label": [label]})).encode(x=ex)
        layers += [base.mark_rule(color="#d62728", strokeDash=[4, 3], strokeWidth=2),
                   base.mark_text(color="#d62728", align="left", dx=4, fontWeight="bold", fontSize=text_size(12))
                   .encode(text="label", y=alt.value(12 + 16 * i))]
    return _style(alt.layer(*layers).properties(title=title), height)


@_cached
def sum_of_pieces(curves: pd.DataFrame, pieces: pd.DataFrame, *, line: str, unit: str, x: str = "x", y: str = "y",
                  title: str = "", x_title: str = "", y_title: str = "", height: int = 320) -> alt.Chart:
    """Thick curves (e.g. a target and the fit), one per `line` value and in the legend, over thin lines, one per
    `unit` (the pieces that add up to the fit; no legend: a caption names them). The first curve is dashed."""
    order = series_order(curves[line])
    enc = dict(x=alt.X(f"{x}:Q", title=x_title or x), y=alt.Y(f"{y}:Q", title=y_title or y))
    thin = Chart(pieces).mark_line(strokeWidth=1.5, opacity=0.6).encode(
        **enc, detail=f"{unit}:N", color=alt.Color(f"{unit}:N", legend=None, scale=alt.Scale(scheme="tableau20")),
        tooltip=list(pieces.columns))
    thick = Chart(curves).mark_line(strokeWidth=4).encode(
        **enc, color=alt.Color(f"{line}:N", title=None, sort=order, scale=alt.Scale(range=["#222222", "#d62728"])),
        strokeDash=alt.StrokeDash(f"{line}:N", sort=order, legend=None, scale=alt.Scale(range=[[6, 4], [1, 0]])),
        tooltip=list(curves.columns))
    return _style(alt.layer(thin, thick).resolve_scale(color="independent").properties(title=title), height)


def _dot_label(name: str) -> str:
    """'h_{t-1}' -> graphviz HTML label h<SUB>t-1</SUB>."""
    head, _, sub = name.partition("_")
    return f"{head}<SUB>{sub.strip('{}')}</SUB>" if sub else name


def diagram(edges: pd.DataFrame, *, title: str = "", highlight: str = "",
            labels: dict[str, str] | None = None) -> str:
    """A left-to-right graphviz (DOT) graph of edges (source, target, kind) for st.graphviz_chart;
    edges of kind `highlight` are drawn thick and red; labels maps kind -> edge text."""
    out = ["digraph {", "rankdir=LR; bgcolor=transparent; nodesep=0.4;",
           f'node [shape=circle, fontname="sans-serif", fontsize={text_size(16)}, width={text_size(0.7)}];',
           f'edge [fontname="sans-serif", fontsize={text_size(12)}];', f'label="{title}"; labelloc=t; fontsize={text_size(16)};']
    out += [f'"{n}" [label=<{_dot_label(n)}>];' for n in dict.fromkeys([*edges.source, *edges.target])]
    for e in edges.itertuples():
        hot = 'color="#d62728", fontcolor="#d62728", penwidth=3' if e.kind == highlight else 'color="gray40"'
        out.append(f'"{e.source}" -> "{e.target}" [label="{(labels or {}).get(e.kind, "")}", {hot}];')
    return "\n".join(out + ["}"])


def draw(chart: Spec, where: Any = st, **kw) -> Any:
    """Put a built chart on the page (or in a slot)."""
    return where.vega_lite_chart(spec=chart, width="stretch", **kw)


def show(chart: Spec, data: pd.DataFrame | None, name: str, on_select: Callable[[], None] | None = None) -> None:
    """Draw a chart and offer its data as CSV (the exact numbers behind the picture; data None: a chart whose
    numbers another chart's CSV already holds, e.g. one of a row of small ones). on_select: called when the
    chart's selection changes (its state is st.session_state[f"chart_{name}"])."""
    if on_select is None:
        draw(chart)
    else:
        draw(chart, on_select=on_select, key=f"chart_{name}")
    code.drew(chart, data)
    if data is not None:
        show_csv(data, name)


def show_csv(data: pd.DataFrame, name: str) -> None:
    """A button that downloads a frame as CSV (name.csv), written only when the button is clicked."""
    st.download_button(t("common.download_csv"), lambda: data.to_csv(index=False).encode("utf-8"),
                       file_name=f"{name}.csv", mime="text/csv", key=f"csv_{name}")
