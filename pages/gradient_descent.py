"""Chapter 1: gradient descent — on y = b + w*x (a convex bowl: the path, the fit) and on a tiny network (two
valleys: which minimum the run ends in)."""
import dataclasses

import pandas as pd
import streamlit as st

from core import gradient_descent as gd
from core.points import Points
from ui import charts, code, page, predict
from ui.controls import presets, render_all, restart_when_changed
from ui.i18n import number, t
from ui.lessons import GRADIENT_DESCENT as L
from ui.live import cached_run, live_progress, turn


def rates(f: pd.DataFrame) -> pd.DataFrame:
    """The valleys' frames with each run named by its rate (colours follow the rates' order, not the words)."""
    return f.assign(rate=f.lr.map(lambda v: t(f"{L.name}.valleys.rate", lr=f"{v:g}")))


@cached_run
def train(cfg, points: Points | None = None):
    """One cached run per distinct config (and own data): the defaults are computed once for the whole class."""
    many = isinstance(cfg, gd.ValleyConfig)  # the valleys draw one curve per rate
    curve = lambda f: charts.lines(rates(f) if many else f, "step", "loss", "rate" if many else None,  # noqa: E731
                                   log_y=True, title=t(f"{L.name}.{'valleys.curve' if many else 'curve_title'}"))
    with turn():
        return L.run(cfg, progress=live_progress(t("common.training"), curve), points=points)


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
    loss = cfg.loss  # the advice that follows depends on the loss: MSE has a stability limit, MAE does not
    if r.blew_up:
        st.error(t(f"{L.name}.blew_up", lr=cfg.lr, step=len(r.path)) + t(f"{L.name}.why_{loss}", limit=r.lr_limit),
                 icon="💥")
    elif r.diverged:
        st.error(t(f"{L.name}.diverging_{loss}", lr=cfg.lr, first=number(first), last=number(last), limit=r.lr_limit),
                 icon="💥")
    elif gd.converged(r):
        st.success(t(f"{L.name}.converged", steps=cfg.steps))
    elif (r.path.loss.iloc[int(0.8 * (len(r.path) - 1)):].diff().dropna() <= 0).all():  # still falling steadily
        st.warning(t(f"{L.name}.on_its_way_{loss}", steps=cfg.steps, ratio=ratio, limit=number(r.lr_limit)), icon="🐢")
    else:  # MSE below its limit falls at every step: only MAE stops improving above its minimum
        st.warning(t(f"{L.name}.stalled", ratio=ratio), icon="🏓")


def surface_chart(r: gd.GDResult, at: int, k: int) -> None:
    """The loss surface with the path up to the replay step; a path that escapes runs off the chart's edge."""
    path = gd.path_in_frame(r, at)
    charts.show(charts.heatmap(r.surface, "b", "w", "loss", title=t(f"{L.name}.surface_title"),
                               z_title=t(f"{L.name}.surface_z"), path=path, marker=path.iloc[[-1]],
                               best=(r.best_b, r.best_w), key_right=charts.big()),  # under the tabs: fits 720 px
                r.surface, "loss_surface")
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


def line(cfg: gd.GDConfig, r: gd.GDResult, side) -> dict:
    """The line's tab: verdict and metrics, the surface with the replayed path, the fit, the loss curve."""
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
        if r.lr_limit < min(gd.LR_CHOICES):  # big numbers (only your own data): no offered rate can descend
            st.info(t(f"{L.name}.rescale", limit=number(r.lr_limit)), icon="📏")
        m = st.columns(4)
        m[0].metric(t(f"{L.name}.m_final"), number(r.path.loss.iloc[-1]))
        m[1].metric(t(f"{L.name}.m_best"), number(r.best_loss))
        hop = r.path[["b", "w"]].diff().iloc[-1].pow(2).sum() ** 0.5 if last else None  # the last step's length
        if cfg.loss == "mse":  # MSE's bowl has a stability limit; MAE has none, its gradient does not fade away
            m[2].metric(t(f"{L.name}.m_limit"), number(r.lr_limit))
        else:
            m[2].metric(t(f"{L.name}.m_step"), "—" if hop is None else number(hop))
        m[3].metric(t(f"{L.name}.m_params"), f"{number(r.path.b.iloc[-1])}, {number(r.path.w.iloc[-1])}")
    with left:
        surface_chart(r, at, k)
    with right:
        fit_chart(r, at)
    stop = dict(stop_x=last + 1, stop_label=t(f"{L.name}.diverged_label")) if r.blew_up else {}
    charts.show(charts.lines(r.path, "step", "loss", log_y=True, title=t(f"{L.name}.curve_title"),
                             x_title=t("common.step"), y_title=t("common.loss"), marker_x=at, **stop),
                r.path, "loss_curve")
    return {"limit": number(r.lr_limit), "fast": number(r.lr_fastest)}


def valley_verdict(cfg: gd.ValleyConfig, ends: pd.DataFrame, where) -> None:
    """Where each rate's run ended, grouped by end, and what that shows: one minimum for all, or different ones."""
    word = lambda key, **f: t(f"{L.name}.valleys.{key}", **f)  # noqa: E731
    groups = [word("group", rates=word("comma").join(f"{v:g}" for v in ends.lr[ends.end == e]),
                   end=word(f"end.{e}", steps=cfg.steps)) for e in gd.valleys.ENDS if (ends.end == e).any()]
    kinds = set(ends.end)
    tail = f"one_{min(kinds)}" if kinds in ({"global"}, {"local"}) else "mixed" if {"global", "local"} <= kinds else ""
    text = word("verdict", a=f"{cfg.a0:g}", h=f"{cfg.h0:g}", groups=word("sep").join(groups))
    (where.success if kinds == {"global"} else where.warning)(text + (word(tail) if tail else ""))


def valleys(cfg: gd.ValleyConfig, r: gd.ValleyResult, side) -> dict:
    """The network's tab: where each rate's run ended (words, then one small surface per rate), the loss curves
    against the local minimum's loss, and the two minima's fits over the points."""
    g, lo = r.minima.loss
    side.metric(t(f"{L.name}.valleys.m_global"), number(g))
    side.metric(t(f"{L.name}.valleys.m_local"), number(lo))
    valley_verdict(cfg, r.ends, st)  # first, also on the projector: the panels under it fit the first screen
    best, ends = tuple(r.minima.loc[0, ["a", "h"]]), r.ends.set_index("lr").end
    for col, (lr, path) in zip(st.columns(len(gd.RATES)), r.paths.groupby("lr", sort=False)):
        with col, charts.narrow(10):  # every title two lines: the rate, then the end (panels line up)
            title = t(f"{L.name}.valleys.panel", lr=f"{lr:g}", end=t(f"{L.name}.valleys.short.{ends[lr]}"))
            charts.show(charts.heatmap(r.surface, "a", "h", "loss", path=path, marker=path.iloc[[-1]], best=best,
                                       height=240, title=title, z_title=t("common.loss")), r.surface, f"valleys_{lr:g}")
    charts.show(charts.lines(rates(r.paths), "step", "loss", "rate", dash="rate", log_y=True, points=False, height=240,
                             rule_y=lo, rule_label=t(f"{L.name}.valleys.rule"), title=t(f"{L.name}.valleys.curve"),
                             x_title=t("common.step"), y_title=t("common.loss")), r.paths, "valleys_loss")
    fit = r.fits.assign(curve=r.fits.kind.map(lambda k: t(f"{L.name}.valleys.fit_{k}")))
    colours = {t(f"{L.name}.valleys.fit_global"): "#2ca02c", t(f"{L.name}.valleys.fit_local"): "#ff7f0e"}
    charts.show(charts.points_and_lines(r.data, fit, line_color="curve", line_colors=colours, height=240,
                                        title=t(f"{L.name}.valleys.fit_title")), r.data, "valleys_points")
    return {"g": number(g), "l": number(lo)}


page.header(L)
presets(L)
for name, tab in page.tabs(L).items():
    if not tab.open:  # lazy: the other tab computes nothing
        continue
    with tab:
        intro = {"k": f"{gd.valleys.STEEP:g}", "n": gd.valleys.N_POINTS,  # the valleys' explanation, from core
                 "rates": t(f"{L.name}.valleys.comma").join(map("{:g}".format, gd.RATES))}
        _, cfg, side, main = page.section(L, name, heading=False, skip=("at_step",) if name == "run" else (),
                                          intro=intro if name == "valleys" else None)
        points = page.own_points(L, name, side)
        if points is None and predict.hidden(L, name, cfg, main):  # predict first: hidden until Reveal
            code.flush()
            continue
        with main:
            r = train(cfg, points)
            if points is None:
                predict.answer(L, name, r)
            fmt = {"run": line, "valleys": valleys}[name](cfg, r, side)
        page.takeaway(L, name, **fmt)
