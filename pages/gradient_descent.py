"""Chapter 1: gradient descent on y = b + w*x — the loss surface, the path, the fit."""
import dataclasses

import pandas as pd
import streamlit as st

from core import gradient_descent as gd
from core.points import Points
from ui import charts, page, predict
from ui.controls import presets, render_all, restart_when_changed
from ui.i18n import number, t
from ui.lessons import GRADIENT_DESCENT as L
from ui.live import cached_run, live_progress, turn


@cached_run
def train(cfg: gd.GDConfig, points: Points | None = None) -> gd.GDResult:
    """One cached run per distinct config (and own data): the defaults are computed once for the whole class."""
    curve = lambda f: charts.lines(f, "step", "loss", log_y=True, title=t(f"{L.name}.curve_title"))  # noqa: E731
    with turn():
        return gd.run(cfg, progress=live_progress(t("common.training"), curve), points=points)


def outlier_box(r: gd.GDResult, cfg: gd.GDConfig) -> None:
    """The outlier presets' point, measured on this run's data: how far one outlier moves the best line of this
    loss, and of the other loss for comparison."""
    pull, gap = gd.outlier_pull(r)
    other = gd.outlier_pull(r, "mae" if cfg.loss == "mse" else "mse")[0]
    key = "pull_none" if abs(pull) < 1e-9 else f"pull_{cfg.loss}"
    st.info(t(f"{L.name}.{key}", gap=number(gap), pull=number(abs(pull)), other=number(abs(other)), x=gd.OUTLIER_X,
              share=f"{100 * abs(pull) / gap:.2g}%"), icon="📌")


def verdict(r: gd.GDResult, cfg: gd.GDConfig) -> None:
    """Say in words how the run ended: blew up, diverging, converged, or still on its way."""
    first, last = r.path.loss.iloc[0], r.path.loss.iloc[-1]
    ratio = number(last / r.best_loss if r.best_loss > 0 else float("inf"))  # own data exactly on a line: 0
    if r.blew_up:
        st.error(t(f"{L.name}.blew_up", lr=cfg.lr, step=len(r.path), limit=r.lr_limit), icon="💥")
    elif r.diverged:
        st.error(t(f"{L.name}.diverging", lr=cfg.lr, first=number(first), last=number(last), limit=r.lr_limit), icon="💥")
    elif gd.converged(r):
        st.success(t(f"{L.name}.converged", steps=cfg.steps))
    elif (r.path.loss.iloc[int(0.8 * (len(r.path) - 1)):].diff().dropna() <= 0).all():  # still falling steadily
        st.warning(t(f"{L.name}.on_its_way", steps=cfg.steps, ratio=ratio), icon="🐢")
    else:
        st.warning(t(f"{L.name}.stalled", ratio=ratio), icon="🏓")


def surface_chart(r: gd.GDResult, at: int, k: int) -> None:
    """The loss surface with the path up to the replay step; a path that escapes runs off the chart's edge."""
    path = gd.path_in_frame(r, at)
    charts.show(charts.heatmap(r.surface, "b", "w", "loss", title=t(f"{L.name}.surface_title"),
                               z_title=t(f"{L.name}.surface_z"), path=path, marker=path.iloc[[-1]],
                               best=(r.best_b, r.best_w)), r.surface, "loss_surface")
    if at > k:  # the marker waits at the edge where the path left; say where the step really is
        row = r.path.iloc[at]
        st.caption(t(f"{L.name}.escape_off", step=at, b=number(row.b), w=number(row.w), loss=number(row.loss)))
    elif k < len(r.path) - 1:  # the jumps so far show the escape growing before it leaves the chart
        jumps = [number(d) for d in (r.path.b.diff() ** 2 + r.path.w.diff() ** 2).pow(0.5).iloc[max(1, k - 2):k + 1]]
        st.caption(t(f"{L.name}.escape_next", step=k, jumps=" → ".join(["…"] * (k > 3) + jumps)))


def fit_chart(r: gd.GDResult, at: int) -> None:
    """Data and the line at the replay step; with the outlier also the best line without it. Legends list only
    what is on the chart."""
    name = lambda key: t(f"{L.name}.{key}")  # noqa: E731
    out = bool(r.data.outlier.any())
    pts = r.data.assign(kind=r.data.outlier.map({True: name("point_outlier"), False: name("point_data")}))
    dots = {name("point_data"): "#4c78a8", **({name("point_outlier"): "#7f7f7f"} if out else {})}
    fit, lines = gd.line_at(r, at).assign(line=name("line_fit")), {name("line_fit"): "#d62728"}
    if out:  # first in the frame, so drawn first: the line being replayed stays on top of it
        xs = pd.Series([r.data.x.min(), r.data.x.max()])
        clean = pd.DataFrame({"x": xs, "y": r.clean_b + r.clean_w * xs, "line": name("line_clean")})
        fit, lines = pd.concat([clean, fit], ignore_index=True), {name("line_clean"): "#2ca02c", **lines}
    charts.show(charts.points_and_lines(pts, fit, point_color="kind", line_color="line", height=340,
                                        title=name("fit_title"), point_colors=dots, line_colors=lines,
                                        line_widths={name("line_clean"): 7, name("line_fit"): 3}),
                pd.concat([pts, fit], ignore_index=True), "data_and_fit")
    lo, hi, y = r.data.y.min(), r.data.y.max(), fit[fit.line == name("line_fit")].y
    if y.min() > 2 * hi - lo or y.max() < 2 * lo - hi:  # farther from the data than their own spread: off the chart
        row = r.path.iloc[at]
        st.caption(t(f"{L.name}.line_off", step=at, b=number(row.b), w=number(row.w),
                     side=name("above" if y.min() > hi else "below")))


page.header(L)
presets(L)
_, cfg, side, main = page.section(L, "run", heading=False, skip=("at_step",))
points = page.own_points(L, "run", side)
if points is not None or not predict.hidden(L, "run", cfg, main):  # predict first: hidden until Reveal
    with main:
        r = train(cfg, points)
        if points is None:
            predict.answer(L, "run", r)
        last, k = len(r.path) - 1, gd.steps_in_frame(r)
        restart_when_changed("at_step", cfg, k)  # a new run replays from its last step on the surface chart
        replay = dataclasses.replace(page.control(L, "run", "at_step"), hi=last, default=k)
        numbers, figure = page.lead()
        with figure:  # the replay slider under the surface it scrubs (on a laptop surface and fit sit side by side)
            if charts.big():
                left, scrub, right = st.container(), st.container(), st.container()
            else:
                (left, right), scrub = st.columns([3, 2]), st.container()
        at = render_all([replay], scrub)["at_step"] if last else 0
        with numbers:
            if r.data.outlier.any():  # the outlier presets' point leads; how the run ended comes second
                outlier_box(r, cfg)
            verdict(r, cfg)
            if points is not None and r.lr_limit < min(gd.LR_CHOICES):  # big numbers: no offered rate can descend
                st.info(t(f"{L.name}.rescale", limit=number(r.lr_limit)), icon="📏")
            m = st.columns(4)
            m[0].metric(t(f"{L.name}.m_final"), number(r.path.loss.iloc[-1]))
            m[1].metric(t(f"{L.name}.m_best"), number(r.best_loss))
            m[2].metric(t(f"{L.name}.m_limit"), number(r.lr_limit))
            m[3].metric(t(f"{L.name}.m_params"), f"{number(r.path.b.iloc[-1])}, {number(r.path.w.iloc[-1])}")
        with left:
            surface_chart(r, at, k)
        with right:
            fit_chart(r, at)
        stop = dict(stop_x=last + 1, stop_label=t(f"{L.name}.diverged_label")) if r.blew_up else {}
        charts.show(charts.lines(r.path, "step", "loss", log_y=True, title=t(f"{L.name}.curve_title"),
                                 x_title=t("common.step"), y_title=t("common.loss"), marker_x=at, **stop),
                    r.path, "loss_curve")
    page.takeaway(L, limit=r.lr_limit)
