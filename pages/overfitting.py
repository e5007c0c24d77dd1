"""Chapters 1-2: overfitting — capacity vs new data, four remedies, k-fold cross-validation."""
import pandas as pd
import streamlit as st

from core import overfitting as of
from ui import charts, page
from ui.controls import Control, presets, render_all
from ui.i18n import LANGS, catalogue, t
from ui.live import live_progress

L = "overfitting"
LRS, WDS = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1), (1e-4, 1e-3, 0.01, 0.1)


def ladder(p: str, C: type, *own: tuple) -> tuple[type, list[Control]]:
    """(config class, controls `<p>_<field>`): data, budget (bounded by the class), then own (field, kind, kw)."""
    c = lambda name, kind, default, **kw: Control(f"{p}_{name}", kind, default, label=f"ctl.of_{name}", **kw)  # noqa: E731
    return C, [c("n_train", "slider", C.n_train, lo=8, hi=C.N_MAX, step=1),
               c("noise", "slider", C.noise, lo=0.0, hi=1.5, step=0.1),
               c("max_depth", "slider", C.max_depth, lo=2, hi=6, step=1),
               c("width", "select", C.width, options=tuple(w for w in (4, 8, 16, 32, 48) if w <= C.WIDTH_MAX)),
               c("epochs", "slider", C.epochs, lo=50, hi=C.EPOCHS_MAX, step=50),
               c("lr", "select", C.lr, options=LRS)] + [
        c(name, kind, kw.pop("default", getattr(C, name, None)), **kw) for name, kind, kw in own]


SECTIONS = {  # shown: the first 3 and the section's own controls; the budget (width, epochs, lr) sits in an expander
    "capacity": ladder("of", of.SweepConfig, ("weight_decay", "select", dict(options=(0.0, *WDS))),
                       ("show", "choice", dict(default="deepest", options=("best", "deepest", 0, 1, 2, 3, 4, 5, 6)))),
    "remedies": ladder("ofr", of.RemedyConfig, ("data_factor", "slider", dict(lo=2, hi=4, step=1)),
                       ("weight_decay", "select", dict(options=WDS)),
                       ("narrow_width", "select", dict(options=(2, 4, 8, 16, 32))),
                       ("repeats", "slider", dict(lo=1, hi=3, step=1))),
    "cv": ladder("ofc", of.CVConfig, ("folds", "slider", dict(lo=2, hi=10, step=1)), ("leave_one_out", "toggle", {})),
    "reliability": ladder("ofk", of.ReliabilityConfig, ("n_seeds", "slider", dict(lo=5, hi=20, step=1)),
                          ("folds", "slider", dict(lo=2, hi=10, step=1))),
}
CAP = {c.key: c.default for c in SECTIONS["capacity"][1]}
PRESETS = {"just_right": {**CAP, "of_show": "best"}, "overfit": CAP,
           "more_data": {**CAP, "of_n_train": 100}, "weight_decay": {**CAP, "of_weight_decay": 0.01}}


@st.cache_data(max_entries=32, show_spinner=False)
def run(cfg: of.LadderConfig):
    """One cached run per distinct config of any section: the defaults train once for the whole class."""
    if isinstance(cfg, of.ReliabilityConfig):  # reports only start and end: say what is happening
        return of.run_reliability(cfg, live_progress(t(f"{L}.reliability.progress", n=cfg.n_seeds, k=cfg.folds + 1)))
    curve = lambda f: charts.lines(f.astype({f.columns[0]: str}), "epoch", "loss", f.columns[0], dash="split",  # noqa: E731
                                   log_y=True, title=t("common.training"), points=False)  # depth or remedy curves
    fn = {of.SweepConfig: of.run_sweep, of.RemedyConfig: of.run_remedies, of.CVConfig: of.run_cv}[type(cfg)]
    return fn(cfg, live_progress(t("common.training"), curve))


def tabs() -> dict:
    """Lazy tabs bound to ?of_tab=; a link made in the other language (or ?of_tab=cv) opens the same tab."""
    labels = [t(f"{L}.tab.{k}") for k in SECTIONS]
    known = {k: i for i, k in enumerate(SECTIONS)}
    known |= {catalogue(g)[f"{L}.tab.{k}"]: i for g in LANGS for k, i in list(known.items())}
    if (raw := st.session_state.get("of_tab") or st.query_params.get("of_tab")) in known:
        st.session_state["of_tab"] = labels[known[raw]]  # the same tab, in this language
    st.session_state["_page_controls"]["of_tab"] = Control("of_tab", "choice", labels[0], options=tuple(labels))
    return dict(zip(SECTIONS, st.tabs(labels, key="of_tab", bind="query-params", on_change="rerun")))


def losses(df: pd.DataFrame, by: str) -> pd.DataFrame:
    """Wide train_loss/val_loss columns -> long rows (by, split in the page's words, loss)."""
    f = df.melt(by, ["train_loss", "val_loss"], var_name="split", value_name="loss")
    return f.assign(split=f.split.map(lambda s: t(f"{L}.split.{s[:-5]}")))


def capacity(cfg: of.SweepConfig, v: dict, r: of.SweepResult) -> None:
    """Charts 1-3: capacity curve, training curves of the shown depth (early stop marked), its fit."""
    m, D = r.models.set_index("depth"), int(r.models.depth.max())  # models: the depths that did not diverge
    row = m[m.index <= {"best": r.best_depth, "deepest": D}.get(v["of_show"], v["of_show"])].iloc[-1]
    st.info(t(f"{L}.capacity.verdict", best=r.best_depth, bval=m.val_loss[r.best_depth], D=D,
              dtrain=m.train_loss[D], dval=m.val_loss[D]))
    for col, k in zip(st.columns(4), ("train_loss", "val_loss", "gap", "best_epoch")):
        col.metric(t(f"{L}.m.{k}", d=row.name), f"{row[k]:.3f}" if k != "best_epoch" else str(int(row[k])))
    long = losses(m.reset_index(), "depth")
    charts.show(charts.lines(long, "depth", "loss", "split", integer_x=True, marker_x=r.best_depth, rule_y=cfg.noise ** 2,
                             rule_label=t(f"{L}.floor", v=cfg.noise ** 2), title=t(f"{L}.capacity.chart", best=r.best_depth),
                             x_title=t(f"{L}.x_depth"), y_title=t("common.loss")), long, "capacity_curve")
    h = r.history[r.history.depth == row.name].assign(split=lambda f: f.split.map(lambda s: t(f"{L}.split.{s}")))
    charts.show(charts.lines(h, "epoch", "loss", "split", stop_x=row.best_epoch, points=False, x_title=t("common.epoch"),
                             y_domain=(0, 1.3 * h.loss[h.epoch >= row.best_epoch].max()), y_title=t("common.loss"),
                             stop_label=t(f"{L}.early_stop", e=int(row.best_epoch)), title=t(f"{L}.curves_title", d=row.name)),
                h, "training_curves")  # y range: from the early stop on (the first steps start far above)
    pts = r.points[(r.points.split == "train") | (r.points.index % 5 == 0)]  # 60 of the 300 new points
    pts = pts.assign(split=pts.split.map(lambda s: t(f"{L}.point.{s}")))
    fit = pd.concat([r.truth.assign(line=t(f"{L}.truth")),
                     r.fits[r.fits.depth == row.name].drop(columns="depth").assign(line=t(f"{L}.fit", d=row.name))])
    charts.show(charts.points_and_lines(pts, fit, point_color="split", line_color="line", height=340,
                                        point_colors={t(f"{L}.point.train"): "#222", t(f"{L}.point.val"): "#bbb"},
                                        line_colors={t(f"{L}.truth"): "#2ca02c", t(f"{L}.fit", d=row.name): "#d62728"},
                                        title=t(f"{L}.fit_title", d=row.name)), pd.concat([pts, fit]), "fits")


def remedies(cfg: of.RemedyConfig, v: dict, r: of.RemedyResult) -> None:
    """Chart 4: train and validation loss of the deepest net under each remedy; the gaps as metrics."""
    g = r.gaps.assign(name=r.gaps.remedy.map(lambda s: t(f"{L}.remedy.{s}")))
    for col, x in zip(st.columns(5), g.itertuples()):
        col.metric(t(f"{L}.remedies.m", r=x.name), f"{x.gap:.3f}", None if x.remedy == "none" else f"{-x.shrink:+.3f}", delta_color="inverse")
    long = losses(g, "name").assign(txt=lambda f: f.loss.round(2).astype(str))
    charts.show(charts.grouped_bars(long, "name", "loss", "split", text="txt", y_title=t("common.loss"),  # empty if
                                    x_title=t(f"{L}.remedies.x"),  # the unremedied net diverged: nothing to compare
                                    title=t(f"{L}.remedies.chart", D=cfg.max_depth, s=r.stop_epoch)), r.gaps, "remedy_gaps")


def cross_validation(cfg: of.CVConfig, v: dict, r: of.CVResult) -> None:
    """Chart 5: per-fold validation losses per depth, mean ± std, the k-fold pick vs the best on test."""
    sel, best = r.selected_depth, r.test_best_depth
    (st.success if abs(sel - best) <= 1 else st.warning)(
        t(f"{L}.cv.verdict", k=r.k, sel=sel, single=r.single_split_depth, best=best))
    curves = pd.concat([r.summary[["depth", c]].rename(columns={c: "loss"}).assign(curve=t(f"{L}.cv.{c}"))
                        for c in ("test_loss", "train_loss")])
    marks = {t(f"{L}.cv.mark_sel", d=sel): sel, t(f"{L}.cv.mark_best", d=best): best}
    charts.show(charts.spread(r.folds.rename(columns={"val_loss": "loss"}), r.summary, "depth", "loss", "cv_mean",
                              "cv_std", curves=curves, marks=marks, height=360, title=t(f"{L}.cv.chart", k=r.k),
                              x_title=t(f"{L}.x_depth"), y_title=t("common.loss")), r.summary, "cross_validation")


def reliability(cfg: of.ReliabilityConfig, v: dict, r: of.ReliabilityResult) -> None:
    """How often a single split and k-fold pick within one step of the truly best depth."""
    hits = r.summary.set_index("method").hits
    st.info(t(f"{L}.reliability.verdict", n=cfg.n_seeds, k=cfg.folds, single=hits["single split"], kfold=hits["k-fold"]))
    bars = r.summary.assign(name=r.summary.method.map(lambda x: t(f"{L}.method.{x}")), kind=t(f"{L}.reliability.kind"),
                            txt=[f"{h}/{n}" for h, n in zip(r.summary.hits, r.summary.n)])
    charts.show(charts.grouped_bars(bars, "name", "rate", "kind", text="txt", title=t(f"{L}.reliability.chart", n=cfg.n_seeds),
                                    x_title=t(f"{L}.method.x"), y_title=t(f"{L}.reliability.y")), r.picks, "reliability")


page.header(L, [c for _, ctls in SECTIONS.values() for c in ctls])
presets({k: {**p, "of_tab": t(f"{L}.tab.capacity")} for k, p in PRESETS.items()}, L)  # presets act on tab 1
for (name, tab), draw, (cls, ctls) in zip(tabs().items(), (capacity, remedies, cross_validation, reliability),
                                          SECTIONS.values()):
    if tab.open:  # lazy: only the open tab trains
        with tab:
            st.markdown(t(f"{L}.{name}.intro"))
            side, main = st.columns([1, 3], gap="large")
            v = render_all(ctls[:3] + ctls[6:], side, more=True)
            v |= render_all(ctls[3:6], side.expander(t(f"{L}.budget")), more=True)
            args = {k.split("_", 1)[1]: x for k, x in v.items() if not k.endswith("_show")}
            args |= {"narrow_width": min(v["ofr_narrow_width"], v["ofr_width"])} if name == "remedies" else {}
            cfg = cls(**args, seed=int(st.session_state.get("seed", 0)))
            with main:
                r = run(cfg)
                if getattr(r, "diverged", False):
                    st.error(t(f"{L}.diverged"), icon="💥")
                draw(cfg, v, r)
page.takeaway(L)
