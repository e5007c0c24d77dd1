"""Chapter 1: gradient descent on y = b + w*x — the loss surface, the path, the fit."""
import pandas as pd
import streamlit as st

from core import gradient_descent as gd
from ui import charts, page
from ui.controls import Control, restart_when_changed, presets, render_all
from ui.i18n import t
from ui.live import live_progress

L = "gradient_descent"
D = gd.GDConfig()
CONTROLS = [
    Control("loss", "choice", D.loss, options=gd.LOSSES),
    Control("lr", "select", D.lr, options=gd.LR_CHOICES),
    Control("steps", "slider", D.steps, lo=1, hi=1000, step=1),
    Control("b0", "slider", D.b0, lo=-10.0, hi=10.0, step=0.5),
    Control("w0", "slider", D.w0, lo=-10.0, hi=10.0, step=0.5),
    Control("outlier", "toggle", D.outlier),
]
START = {"steps": D.steps, "b0": D.b0, "w0": D.w0}  # every preset starts from the same point
PRESETS = {
    "good": {**START, "loss": "mse", "lr": 0.1, "outlier": False},
    "too_small": {**START, "loss": "mse", "lr": 0.001, "outlier": False},
    "diverges": {**START, "loss": "mse", "lr": 1.0, "outlier": False},  # above lr_limit for every seed
    "outlier_mse": {**START, "loss": "mse", "lr": 0.1, "outlier": True},
    "outlier_mae": {**START, "loss": "mae", "lr": 0.1, "outlier": True},
}


@st.cache_data(max_entries=64, show_spinner=False)
def train(cfg: gd.GDConfig) -> gd.GDResult:
    """One cached run per distinct config: the defaults are computed once for the whole class."""
    curve = lambda f: charts.lines(f, "step", "loss", log_y=True, title=t(f"{L}.curve_title"))  # noqa: E731
    return gd.run(cfg, progress=live_progress(t("common.training"), curve))


def verdict(r: gd.GDResult, cfg: gd.GDConfig) -> None:
    """Say in words how the run ended: blew up, diverging, converged, or still on its way."""
    first, last = r.path.loss.iloc[0], r.path.loss.iloc[-1]
    if r.blew_up:
        st.error(t(f"{L}.blew_up", lr=cfg.lr, step=len(r.path), limit=r.lr_limit), icon="💥")
    elif r.diverged:
        st.error(t(f"{L}.diverging", lr=cfg.lr, first=first, last=last, limit=r.lr_limit), icon="💥")
    elif last <= 1.01 * r.best_loss:
        st.success(t(f"{L}.converged", steps=cfg.steps))
    elif (r.path.loss.iloc[int(0.8 * (len(r.path) - 1)):].diff().dropna() <= 0).all():  # still falling steadily
        st.warning(t(f"{L}.on_its_way", steps=cfg.steps, ratio=last / r.best_loss), icon="🐢")
    else:
        st.warning(t(f"{L}.stalled", ratio=last / r.best_loss), icon="🏓")


page.header(L, CONTROLS)
presets(PRESETS, L)
side, main = st.columns([1, 3], gap="large")
with side:
    v = render_all(CONTROLS)
cfg = gd.GDConfig(**v, seed=int(st.session_state.get("seed", 0)))
with main:
    r = train(cfg)
    last = len(r.path) - 1
    restart_when_changed("at_step", cfg, last)  # a new run replays from its own last step
    replay = Control("at_step", "slider", last, lo=0, hi=last, step=1)
    at = render_all([replay], more=True)["at_step"] if last else 0
    verdict(r, cfg)
    m = st.columns(4)
    m[0].metric(t(f"{L}.m_final"), f"{r.path.loss.iloc[-1]:.4g}")
    m[1].metric(t(f"{L}.m_best"), f"{r.best_loss:.4g}")
    m[2].metric(t(f"{L}.m_limit"), f"{r.lr_limit:.3f}")
    m[3].metric(t(f"{L}.m_params"), f"{r.path.b.iloc[-1]:.2f}, {r.path.w.iloc[-1]:.2f}")
    left, right = (st.container(), st.container()) if charts.big() else st.columns([3, 2])
    with left:
        charts.show(charts.heatmap(r.surface, "b", "w", "loss", title=t(f"{L}.surface_title"),
                                   z_title=t(f"{L}.surface_z"), path=r.path[r.path.step <= at],
                                   marker=r.path.iloc[[at]], best=(r.best_b, r.best_w)), r.surface, "loss_surface")
    pts = r.data.assign(kind=r.data.outlier.map({True: t(f"{L}.point_outlier"), False: t(f"{L}.point_data")}))
    fit = gd.line_at(r, at).assign(line=t(f"{L}.line_fit"))
    if cfg.outlier:
        xs = pd.Series([r.data.x.min(), r.data.x.max()])
        fit = pd.concat([fit, pd.DataFrame({"x": xs, "y": r.clean_b + r.clean_w * xs, "line": t(f"{L}.line_clean")})])
    with right:
        colours = ({t(f"{L}.point_data"): "#4c78a8", t(f"{L}.point_outlier"): "#7f7f7f"},
                   {t(f"{L}.line_fit"): "#d62728", t(f"{L}.line_clean"): "#2ca02c"})
        charts.show(charts.points_and_lines(pts, fit, point_color="kind", line_color="line", height=340,
                                            title=t(f"{L}.fit_title"), point_colors=colours[0],
                                            line_colors=colours[1]),
                    pd.concat([pts, fit], ignore_index=True), "data_and_fit")
    stop = dict(stop_x=last + 1, stop_label=t(f"{L}.diverged_label")) if r.blew_up else {}
    charts.show(charts.lines(r.path, "step", "loss", log_y=True, title=t(f"{L}.curve_title"),
                             x_title=t("common.step"), y_title=t("common.loss"), marker_x=at, **stop),
                r.path, "loss_curve")
page.takeaway(L, limit=r.lr_limit)
