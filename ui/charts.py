"""Altair chart builders over tidy frames, sized for a laptop or (presenter mode) a projector."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from ui.i18n import t


def big() -> bool:
    """Presenter mode: larger fonts and taller charts for the back row."""
    return bool(st.session_state.get("present", False))


def _style(chart: alt.Chart, height: int) -> alt.Chart:
    """Common size and fonts; presenter mode scales both."""
    k = 1.5 if big() else 1.0
    return (
        chart.properties(height=int(height * k))
        .configure_axis(labelFontSize=12 * k, titleFontSize=13 * k)
        .configure_legend(labelFontSize=12 * k, titleFontSize=13 * k, orient="bottom")
        .configure_title(fontSize=15 * k, anchor="start")
    )


def lines(df: pd.DataFrame, x: str, y: str, color: str | None = None, *, title: str = "",
          x_title: str = "", y_title: str = "", log_y: bool = False, stop_x: float | None = None,
          stop_label: str = "", marker_x: float | None = None, dash: str | None = None,
          height: int = 300) -> alt.Chart:
    """Curves y(x), one per color value; optional log y, a red rule where a run stopped (diverged), a step marker."""
    enc = {"x": alt.X(x, title=x_title or x), "y": alt.Y(y, title=y_title or y,
           scale=alt.Scale(type="log") if log_y else alt.Scale(zero=False))}
    if color:
        enc["color"] = alt.Color(color, title=None)
    if dash:
        enc["strokeDash"] = alt.StrokeDash(dash, title=None)
    layers = [alt.Chart(df).mark_line(point=len(df) < 40).encode(**enc, tooltip=list(df.columns))]
    if stop_x is not None:
        rule = pd.DataFrame({x: [stop_x], "label": [stop_label]})
        base = alt.Chart(rule).encode(x=x)
        layers += [base.mark_rule(color="#d62728", strokeWidth=3, strokeDash=[6, 3]),
                   base.mark_text(color="#d62728", align="left", dx=4, dy=-8, fontWeight="bold",
                                  fontSize=14).encode(text="label", y=alt.value(12))]
    if marker_x is not None:
        layers.append(alt.Chart(pd.DataFrame({x: [marker_x]})).mark_rule(color="gray").encode(x=x))
    return _style(alt.layer(*layers).properties(title=title), height)


def heatmap(df: pd.DataFrame, x: str, y: str, z: str, *, title: str = "", z_title: str = "",
            path: pd.DataFrame | None = None, marker: pd.DataFrame | None = None,
            best: tuple[float, float] | None = None, log_z: bool = True, height: int = 380) -> alt.Chart:
    """A filled grid z(x, y) (log colour by default) with an optional path, current point and optimum on top."""
    dx = (df[x].max() - df[x].min()) / max(df[x].nunique() - 1, 1) / 2
    dy = (df[y].max() - df[y].min()) / max(df[y].nunique() - 1, 1) / 2
    cells = df.assign(_x0=df[x] - dx, _x1=df[x] + dx, _y0=df[y] - dy, _y1=df[y] + dy)
    dom_x = [float(cells._x0.min()), float(cells._x1.max())]
    dom_y = [float(cells._y0.min()), float(cells._y1.max())]
    grid = alt.Chart(cells).mark_rect().encode(
        x=alt.X("_x0:Q", title=x, scale=alt.Scale(domain=dom_x, nice=False, zero=False)), x2="_x1",
        y=alt.Y("_y0:Q", title=y, scale=alt.Scale(domain=dom_y, nice=False, zero=False)), y2="_y1",
        color=alt.Color(f"{z}:Q", title=z_title or z,
                        scale=alt.Scale(type="log" if log_z else "linear", scheme="viridis"),
                        legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=220)),
        tooltip=[x, y, z],
    )
    layers = [grid]
    inside = lambda f: f[f[x].between(*dom_x) & f[y].between(*dom_y)]  # noqa: E731 — a diverging path leaves the grid
    path = None if path is None else inside(path)
    marker = None if marker is None else inside(marker)
    if path is not None and len(path):
        layers.append(alt.Chart(path).mark_line(color="white", clip=True, point=alt.OverlayMarkDef(color="white", size=18, clip=True))
                      .encode(x=f"{x}:Q", y=f"{y}:Q", order="step:Q", tooltip=list(path.columns)))
    if best is not None:
        layers.append(alt.Chart(pd.DataFrame({x: [best[0]], y: [best[1]]}))
                      .mark_point(shape="cross", color="#ff7f0e", size=250, strokeWidth=4).encode(x=x, y=y))
    if marker is not None and len(marker):
        layers.append(alt.Chart(marker).mark_point(color="#d62728", size=200, filled=True).encode(x=x, y=y))
    return _style(alt.layer(*layers).properties(title=title), height)


def points_and_lines(points: pd.DataFrame, fit: pd.DataFrame, *, x: str = "x", y: str = "y",
                     point_color: str | None = None, line_color: str | None = None, title: str = "",
                     height: int = 300) -> alt.Chart:
    """Data as dots (coloured by a column if given) with fitted curves drawn over them."""
    pad = 0.1 * (points[y].max() - points[y].min()) + 1e-9  # keep the view on the data: a wild fit is clipped
    y_dom = [float(points[y].min() - pad), float(points[y].max() + pad)]
    dots = alt.Chart(points).mark_circle(size=70, opacity=0.8).encode(
        x=alt.X(x, scale=alt.Scale(zero=False)), y=alt.Y(y, scale=alt.Scale(domain=y_dom, zero=False)),
        color=alt.Color(point_color, title=None) if point_color else alt.value("#1f77b4"),
        tooltip=list(points.columns))
    curve = alt.Chart(fit).mark_line(strokeWidth=3, clip=True).encode(
        x=x, y=y, color=alt.Color(line_color, title=None) if line_color else alt.value("#d62728"))
    return _style(alt.layer(dots, curve).resolve_scale(color="independent").properties(title=title), height)


def show(chart: alt.Chart, data: pd.DataFrame, name: str) -> None:
    """Draw a chart and offer its data as CSV (the exact numbers behind the picture)."""
    st.altair_chart(chart, width="stretch")
    st.download_button(t("common.download_csv"), data.to_csv(index=False).encode("utf-8"),
                       file_name=f"{name}.csv", mime="text/csv", key=f"csv_{name}")
