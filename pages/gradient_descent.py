"""Chapter 1: gradient descent on y = b + w*x — the loss surface, the path, the fit."""
import dataclasses

import pandas as pd
import streamlit as st

from core import gradient_descent as gd
from ui import charts, page
from ui.controls import presets, render_all, restart_when_changed
from ui.i18n import t
from ui.lessons import GRADIENT_DESCENT as L
from ui.live import live_progress


@st.cache_data(max_entries=64, show_spinner=False)
def train(cfg: gd.GDConfig) -> gd.GDResult:
    """One cached run per distinct config: the defaults are computed once for the whole class."""
    curve = lambda f: charts.lines(f, "step", "loss", log_y=True, title=t(f"{L.name}.curve_title"))  # noqa: E731
    return gd.run(cfg, progress=live_progress(t("common.training"), curve))


def verdict(r: gd.GDResult, cfg: gd.GDConfig) -> None:
    """Say in words how the run ended: blew up, diverging, converged, or still on its way."""
    first, last = r.path.loss.iloc[0], r.path.loss.iloc[-1]
    if r.blew_up:
        st.error(t(f"{L.name}.blew_up", lr=cfg.lr, step=len(r.path), limit=r.lr_limit), icon="💥")
    elif r.diverged:
        st.error(t(f"{L.name}.diverging", lr=cfg.lr, first=first, last=last, limit=r.lr_limit), icon="💥")
    elif last <= 1.01 * r.best_loss:
        st.success(t(f"{L.name}.converged", steps=cfg.steps))
    elif (r.path.loss.iloc[int(0.8 * (len(r.path) - 1)):].diff().dropna() <= 0).all():  # still falling steadily
        st.warning(t(f"{L.name}.on_its_way", steps=cfg.steps, ratio=last / r.best_loss), icon="🐢")
    else:
        st.warning(t(f"{L.name}.stalled", ratio=last / r.best_loss), icon="🏓")


page.header(L)
presets(L.presets, L.name)
_, cfg, _, main = page.section(L, "run", heading=False, skip=("at_step",))
with main:
    r = train(cfg)
    last = len(r.path) - 1
    restart_when_changed("at_step", cfg, last)  # a new run replays from its own last step
    replay = dataclasses.replace(page.control(L, "run", "at_step"), hi=last, default=last)
    at = render_all([replay])["at_step"] if last else 0
    verdict(r, cfg)
    m = st.columns(4)
    m[0].metric(t(f"{L.name}.m_final"), f"{r.path.loss.iloc[-1]:.4g}")
    m[1].metric(t(f"{L.name}.m_best"), f"{r.best_loss:.4g}")
    m[2].metric(t(f"{L.name}.m_limit"), f"{r.lr_limit:.3f}")
    m[3].metric(t(f"{L.name}.m_params"), f"{r.path.b.iloc[-1]:.2f}, {r.path.w.iloc[-1]:.2f}")
    left, right = (st.container(), st.container()) if charts.big() else st.columns([3, 2])
    with left:
        charts.show(charts.heatmap(r.surface, "b", "w", "loss", title=t(f"{L.name}.surface_title"),
                                   z_title=t(f"{L.name}.surface_z"), path=r.path[r.path.step <= at],
                                   marker=r.path.iloc[[at]], best=(r.best_b, r.best_w)), r.surface, "loss_surface")
    pts = r.data.assign(kind=r.data.outlier.map({True: t(f"{L.name}.point_outlier"), False: t(f"{L.name}.point_data")}))
    fit = gd.line_at(r, at).assign(line=t(f"{L.name}.line_fit"))
    if cfg.outlier:
        xs = pd.Series([r.data.x.min(), r.data.x.max()])
        fit = pd.concat([fit, pd.DataFrame({"x": xs, "y": r.clean_b + r.clean_w * xs, "line": t(f"{L.name}.line_clean")})])
    with right:
        colours = ({t(f"{L.name}.point_data"): "#4c78a8", t(f"{L.name}.point_outlier"): "#7f7f7f"},
                   {t(f"{L.name}.line_fit"): "#d62728", t(f"{L.name}.line_clean"): "#2ca02c"})
        charts.show(charts.points_and_lines(pts, fit, point_color="kind", line_color="line", height=340,
                                            title=t(f"{L.name}.fit_title"), point_colors=colours[0],
                                            line_colors=colours[1]),
                    pd.concat([pts, fit], ignore_index=True), "data_and_fit")
    stop = dict(stop_x=last + 1, stop_label=t(f"{L.name}.diverged_label")) if r.blew_up else {}
    charts.show(charts.lines(r.path, "step", "loss", log_y=True, title=t(f"{L.name}.curve_title"),
                             x_title=t("common.step"), y_title=t("common.loss"), marker_x=at, **stop),
                r.path, "loss_curve")
page.takeaway(L, limit=r.lr_limit)
