"""Chapters 1-2: overfitting — capacity vs new data, four remedies, k-fold cross-validation."""
import pandas as pd
import streamlit as st

from core import overfitting as of
from ui import charts, page
from ui.controls import presets
from ui.i18n import t
from ui.lessons import OVERFITTING as L
from ui.live import live_progress

RUNS = {s.config: s.run for s in L.sections}  # config class -> core entry point


@st.cache_data(max_entries=32, show_spinner=False)
def run(cfg: of.LadderConfig):
    """One cached run per distinct config of any section: the defaults train once for the whole class."""
    if isinstance(cfg, of.ReliabilityConfig):  # reports only start and end: say what is happening
        return of.run_reliability(cfg, live_progress(t(f"{L.name}.reliability.progress", n=cfg.n_seeds, k=cfg.folds + 1)))
    curve = lambda f: charts.lines(f.astype({f.columns[0]: str}), "epoch", "loss", f.columns[0], dash="split",  # noqa: E731
                                   log_y=True, title=t("common.training"), points=False)  # depth or remedy curves
    return RUNS[type(cfg)](cfg, live_progress(t("common.training"), curve))


def losses(df: pd.DataFrame, by: str) -> pd.DataFrame:
    """Wide train_loss/val_loss columns -> long rows (by, split in the page's words, loss)."""
    f = df.melt(by, ["train_loss", "val_loss"], var_name="split", value_name="loss")
    return f.assign(split=f.split.map(lambda s: t(f"{L.name}.split.{s[:-5]}")))


def capacity(cfg: of.SweepConfig, v: dict, r: of.SweepResult) -> None:
    """Charts 1-3: capacity curve, training curves of the shown depth (early stop marked), its fit."""
    m, deepest = r.models.set_index("depth"), int(r.models.depth.max())  # models: the depths that did not diverge
    row = m[m.index <= {"best": r.best_depth, "deepest": deepest}.get(v["of_show"], v["of_show"])].iloc[-1]
    st.info(t(f"{L.name}.capacity.verdict", best=r.best_depth, bval=m.val_loss[r.best_depth], D=deepest,
              dtrain=m.train_loss[deepest], dval=m.val_loss[deepest]))
    for col, k in zip(st.columns(4), ("train_loss", "val_loss", "gap", "best_epoch")):
        col.metric(t(f"{L.name}.m.{k}", d=row.name), f"{row[k]:.3f}" if k != "best_epoch" else str(int(row[k])))
    long = losses(m.reset_index(), "depth")
    charts.show(charts.lines(long, "depth", "loss", "split", integer_x=True, marker_x=r.best_depth, rule_y=cfg.noise ** 2,
                             rule_label=t(f"{L.name}.floor", v=cfg.noise ** 2), title=t(f"{L.name}.capacity.chart", best=r.best_depth),
                             x_title=t(f"{L.name}.x_depth"), y_title=t("common.loss")), long, "capacity_curve")
    h = r.history[r.history.depth == row.name].assign(split=lambda f: f.split.map(lambda s: t(f"{L.name}.split.{s}")))
    charts.show(charts.lines(h, "epoch", "loss", "split", stop_x=row.best_epoch, points=False, x_title=t("common.epoch"),
                             y_domain=(0, 1.3 * h.loss[h.epoch >= row.best_epoch].max()), y_title=t("common.loss"),
                             stop_label=t(f"{L.name}.early_stop", e=int(row.best_epoch)), title=t(f"{L.name}.curves_title", d=row.name)),
                h, "training_curves")  # y range: from the early stop on (the first steps start far above)
    pts = r.points[(r.points.split == "train") | (r.points.index % 5 == 0)]  # 60 of the 300 new points
    pts = pts.assign(split=pts.split.map(lambda s: t(f"{L.name}.point.{s}")))
    fit = pd.concat([r.truth.assign(line=t(f"{L.name}.truth")),
                     r.fits[r.fits.depth == row.name].drop(columns="depth").assign(line=t(f"{L.name}.fit", d=row.name))])
    charts.show(charts.points_and_lines(pts, fit, point_color="split", line_color="line", height=340,
                                        point_colors={t(f"{L.name}.point.train"): "#222", t(f"{L.name}.point.val"): "#bbb"},
                                        line_colors={t(f"{L.name}.truth"): "#2ca02c", t(f"{L.name}.fit", d=row.name): "#d62728"},
                                        title=t(f"{L.name}.fit_title", d=row.name)), pd.concat([pts, fit]), "fits")


def remedies(cfg: of.RemedyConfig, v: dict, r: of.RemedyResult) -> None:
    """Chart 4: train and validation loss of the deepest net under each remedy; the gaps as metrics."""
    g = r.gaps.assign(name=r.gaps.remedy.map(lambda s: t(f"{L.name}.remedy.{s}")))
    for col, x in zip(st.columns(5), g.itertuples()):
        col.metric(t(f"{L.name}.remedies.m", r=x.name), f"{x.gap:.3f}", None if x.remedy == "none" else f"{-x.shrink:+.3f}", delta_color="inverse")
    long = losses(g, "name").assign(txt=lambda f: f.loss.round(2).astype(str))
    charts.show(charts.grouped_bars(long, "name", "loss", "split", text="txt", y_title=t("common.loss"),  # empty if
                                    x_title=t(f"{L.name}.remedies.x"),  # the unremedied net diverged: nothing to compare
                                    title=t(f"{L.name}.remedies.chart", D=cfg.max_depth, s=r.stop_epoch)), r.gaps, "remedy_gaps")


def cross_validation(cfg: of.CVConfig, v: dict, r: of.CVResult) -> None:
    """Chart 5: per-fold validation losses per depth, mean ± std, the k-fold pick vs the best on test."""
    sel, best = r.selected_depth, r.test_best_depth
    (st.success if abs(sel - best) <= 1 else st.warning)(
        t(f"{L.name}.cv.verdict", k=r.k, sel=sel, single=r.single_split_depth, best=best))
    curves = pd.concat([r.summary[["depth", c]].rename(columns={c: "loss"}).assign(curve=t(f"{L.name}.cv.{c}"))
                        for c in ("test_loss", "train_loss")])
    marks = {t(f"{L.name}.cv.mark_sel", d=sel): sel, t(f"{L.name}.cv.mark_best", d=best): best}
    charts.show(charts.spread(r.folds.rename(columns={"val_loss": "loss"}), r.summary, "depth", "loss", "cv_mean",
                              "cv_std", curves=curves, marks=marks, height=360, title=t(f"{L.name}.cv.chart", k=r.k),
                              x_title=t(f"{L.name}.x_depth"), y_title=t("common.loss")), r.summary, "cross_validation")


def reliability(cfg: of.ReliabilityConfig, v: dict, r: of.ReliabilityResult) -> None:
    """How often a single split and k-fold pick within one step of the truly best depth."""
    hits = r.summary.set_index("method").hits
    st.info(t(f"{L.name}.reliability.verdict", n=cfg.n_seeds, k=cfg.folds, single=hits["single split"], kfold=hits["k-fold"]))
    bars = r.summary.assign(name=r.summary.method.map(lambda x: t(f"{L.name}.method.{x}")), kind=t(f"{L.name}.reliability.kind"),
                            txt=[f"{h}/{n}" for h, n in zip(r.summary.hits, r.summary.n)])
    charts.show(charts.grouped_bars(bars, "name", "rate", "kind", text="txt", title=t(f"{L.name}.reliability.chart", n=cfg.n_seeds),
                                    x_title=t(f"{L.name}.method.x"), y_title=t(f"{L.name}.reliability.y")), r.picks, "reliability")


page.header(L)
presets(L.presets, L.name)
for (name, tab), draw in zip(page.tabs(L).items(), (capacity, remedies, cross_validation, reliability)):
    if tab.open:  # lazy: only the open tab trains
        with tab:
            v, cfg, side, main = page.section(L, name, heading=False)
            with main:
                r = run(cfg)
                if getattr(r, "diverged", False):
                    st.error(t(f"{L.name}.diverged"), icon="💥")
                draw(cfg, v, r)
page.takeaway(L)
