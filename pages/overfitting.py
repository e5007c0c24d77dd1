"""Chapters 1-2: overfitting — capacity vs new data, four remedies, k-fold cross-validation."""
import pandas as pd
import streamlit as st

from core import overfitting as of
from ui import charts, page
from ui.controls import presets
from ui.i18n import names, number, sentences, t
from ui.lessons import OVERFITTING as L
from ui.live import cached_run, live_progress, turn


@cached_run
def run(cfg: of.LadderConfig, points=None):
    """One cached run per distinct config of any section (and own data, capacity only): the defaults train once
    for the whole class."""
    with turn():
        if isinstance(cfg, of.ReliabilityConfig):  # reports only start and end: say what is happening
            return of.run_reliability(cfg, live_progress(t(f"{L.name}.reliability.progress", n=cfg.n_seeds,
                                                           k=cfg.folds + 1)))
        curve = lambda f: charts.lines(f.astype({f.columns[0]: str}), "epoch", "loss", f.columns[0],  # noqa: E731
                                       dash="split", log_y=True, title=t("common.training"), points=False)
        return L.run(cfg, progress=live_progress(t("common.training"), curve), points=points)  # depth or remedy curves


def losses(df: pd.DataFrame, by: str) -> pd.DataFrame:
    """Wide train_loss/val_loss columns -> long rows (by, split in the page's words, loss)."""
    f = df.melt(by, ["train_loss", "val_loss"], var_name="split", value_name="loss")
    return f.assign(split=names(f.split.str.removesuffix("_loss"), f"{L.name}.split"))


def show_radio(cfg: of.SweepConfig, side):
    """Show, drawn in side: best, deepest or a depth this ladder has; a deeper one (an old link) shows the deepest, said so."""
    c, options = page.control(L, "capacity", "show"), ("best", "deepest", *range(cfg.max_depth + 1))
    held = st.session_state.get(c.key, c.default)
    if held not in options:
        st.caption(t(f"{L.name}.capacity.show_clamped", d=held, D=cfg.max_depth))
    return page.view(L, "capacity", "show", side, options=options)


def capacity(cfg: of.SweepConfig, r: of.SweepResult, side) -> None:
    """Charts 1-3: capacity curve, training curves of the shown depth (early stop marked), its fit."""
    show = show_radio(cfg, side)
    m, deepest = r.models.set_index("depth"), int(r.models.depth.max())  # models: the depths that did not diverge
    row = m[m.index <= {"best": r.best_depth, "deepest": deepest}.get(show, show)].iloc[-1]
    numbers, figure = page.lead()
    bval, dval = m.val_loss[r.best_depth], m.val_loss[deepest]
    numbers.info(t(f"{L.name}.capacity.{'verdict' if r.best_depth < deepest else 'verdict_deepest'}", best=r.best_depth,
                   bval=bval, D=deepest, dtrain=m.train_loss[deepest], dval=dval, more=f"{100 * (dval / bval - 1):.2g}%"))
    for col, k in zip(numbers.columns(4), ("train_loss", "val_loss", "gap", "best_epoch")):
        col.metric(t(f"{L.name}.m.{k}", d=row.name), number(row[k]) if k != "best_epoch" else str(int(row[k])))
    long = losses(m.reset_index(), "depth")
    own = r.truth.empty  # your own data: no known noise floor, no true curve
    if own:
        side.caption(t(f"{L.name}.capacity.own_note", n=int((r.points.split == "train").sum()),
                       m=int((r.points.split == "val").sum())))
    floor = {} if own else dict(rule_y=cfg.noise ** 2, rule_label=t(f"{L.name}.floor", v=cfg.noise ** 2))
    with figure:
        charts.show(charts.lines(long, "depth", "loss", "split", integer_x=True, marker_x=r.best_depth, **floor,
                                 title=t(f"{L.name}.capacity.chart", best=r.best_depth),
                                 x_title=t(f"{L.name}.x_depth"), y_title=t("common.loss")), long, "capacity_curve")
    h = r.history[r.history.depth == row.name].assign(split=lambda f: names(f.split, f"{L.name}.split"))
    charts.show(charts.lines(h, "epoch", "loss", "split", stop_x=row.best_epoch, points=False, x_title=t("common.epoch"),
                             y_domain=(0, 1.3 * h.loss[h.epoch >= row.best_epoch].max()), y_title=t("common.loss"),
                             stop_label=t(f"{L.name}.early_stop", e=int(row.best_epoch)), title=t(f"{L.name}.curves_title", d=row.name)),
                h, "training_curves")  # y range: from the early stop on (the first steps start far above)
    pts = r.points[(r.points.split == "train") | (r.points.index % 5 == 0)]  # 60 of the 300 new points
    pts = pts.assign(split=names(pts.split, f"{L.name}.point"))
    fit = pd.concat([r.truth.assign(line=t(f"{L.name}.truth")),
                     r.fits[r.fits.depth == row.name].drop(columns="depth").assign(line=t(f"{L.name}.fit", d=row.name))])
    charts.show(charts.points_and_lines(pts, fit, point_color="split", line_color="line", height=340,
                                        point_colors={t(f"{L.name}.point.train"): "#222", t(f"{L.name}.point.val"): "#bbb"},
                                        line_colors={**({} if own else {t(f"{L.name}.truth"): "#2ca02c"}),
                                                     t(f"{L.name}.fit", d=row.name): "#d62728"},
                                        title=t(f"{L.name}.fit_title", d=row.name)), pd.concat([pts, fit]), "fits")


def remedy_verdict(base, rest: pd.DataFrame) -> str:
    """Computed: the unremedied loss; which remedies lower the validation loss; which only shrink the gap."""
    helped, hurt = rest[rest.val_drop > 0], rest[rest.val_drop <= 0]
    say = lambda key, f: t(f"{L.name}.remedies.{key}", names=t(f"{L.name}.sep").join(f.name)) if len(f) else ""  # noqa: E731
    return sentences(t(f"{L.name}.remedies.base", val=base.val_loss, train=base.train_loss, gap=base.gap),
                     say("helped", helped) or t(f"{L.name}.remedies.none_helped"), say("hurt", hurt[hurt.shrink <= 0]),
                     say("underfit", hurt[hurt.shrink > 0]))


def remedies(cfg: of.RemedyConfig, r: of.RemedyResult, side) -> None:
    """Chart 4: each remedy judged by the deepest net's validation loss (change vs none), its gap beside it."""
    g = r.gaps.assign(name=names(r.gaps.remedy, f"{L.name}.remedy"))
    base, rest = (g.iloc[0], g.iloc[1:]) if len(g) else (None, g)  # empty if the unremedied net diverged
    numbers, figure = page.lead()
    if len(rest):
        numbers.info(remedy_verdict(base, rest))
        for col, x in zip(numbers.columns(len(rest)), rest.itertuples()):
            col.metric(t(f"{L.name}.remedies.m", r=x.name), number(x.val_loss), f"{-x.val_drop:+.3f}", delta_color="inverse")
            col.caption(t(f"{L.name}.remedies.gap", g=x.gap, d=-x.shrink))
    long = losses(g, "name").assign(txt=lambda f: f.loss.round(2).astype(str))
    with figure:
        charts.show(charts.grouped_bars(long, "name", "loss", "split", text="txt", y_title=t("common.loss"),
                                        x_title=t(f"{L.name}.remedies.x"),
                                        title=t(f"{L.name}.remedies.chart", D=cfg.max_depth, s=r.stop_epoch)), r.gaps, "remedy_gaps")


def cv_verdict(cfg: of.CVConfig, r: of.CVResult) -> str:
    """Computed: k-fold's pick hits, lands one step off or misses the best depth; what single splits would pick."""
    sel, best, ds = r.selected_depth, r.test_best_depth, r.single_split_depths
    test = r.summary.set_index("depth").test_loss
    text = t(f"{L.name}.cv.{r.outcome}", k=r.k, sel=sel, best=best, tsel=test[sel], tbest=test[best], n=cfg.n_train)
    if set(ds) == {sel}:
        return sentences(text, t(f"{L.name}.cv.singles_agree", sel=sel))
    kfold, single = r.excess(sel), r.single_split_excess()
    shown = ds if len(ds) <= 10 else [f"{d} ×{ds.count(d)}" for d in sorted(set(ds))]  # leave-one-out: counts
    return sentences(text, t(f"{L.name}.cv.singles", picks=t(f"{L.name}.sep").join(map(str, shown)), single=single, kfold=kfold),
                     t(f"{L.name}.cv.{'better' if kfold < single else 'worse'}") if kfold != single else "")


def cross_validation(cfg: of.CVConfig, r: of.CVResult, side) -> None:
    """Chart 5: per-fold validation losses per depth, mean ± std, the k-fold pick vs the best on test; or (the
    single view) the first fold alone: one train/validation split and its pick."""
    single = page.view(L, "cv", "single", side)
    if r.summary.empty:  # every depth diverged: the error above says so
        return
    numbers, figure = page.lead()
    sel, best, m = (r.single_split_depths[0] if single else r.selected_depth), r.test_best_depth, -(-cfg.n_train // r.k)
    test = r.summary.set_index("depth").test_loss
    verdict = (t(f"{L.name}.cv.one_{r.single_outcome}", m=m, n=cfg.n_train, sel=sel, best=best, tsel=test[sel],
                 tbest=test[best]) if single else cv_verdict(cfg, r))
    with numbers:
        {"hit": st.success, "near": st.info, "miss": st.warning}[r.judge(sel)](verdict)
    curves = pd.concat([r.summary[["depth", c]].rename(columns={c: "loss"}).assign(curve=t(f"{L.name}.cv.{c}"))
                        for c in ("test_loss", "train_loss")])
    marks = {t(f"{L.name}.cv.mark_{'one' if single else 'sel'}", d=sel): sel, t(f"{L.name}.cv.mark_best", d=best): best}
    pts = r.folds[r.folds.fold == 0] if single else r.folds  # the first fold: what one split sees
    mean = pts.assign(cv_mean=pts.val_loss, cv_std=0.0) if single else r.summary
    with figure:
        charts.show(charts.spread(pts.rename(columns={"val_loss": "loss"}), mean, "depth", "loss", "cv_mean",
                                  "cv_std", curves=curves, marks=marks, height=360, x_title=t(f"{L.name}.x_depth"),
                                  title=t(f"{L.name}.cv.chart_one", m=m) if single else t(f"{L.name}.cv.chart", k=r.k),
                                  y_title=t("common.loss")), pts if single else r.summary, "cross_validation")


def reliability(cfg: of.ReliabilityConfig, r: of.ReliabilityResult, side) -> None:
    """How often a single split and k-fold pick within one step of the truly best depth, and how close on test loss."""
    m = r.summary.set_index("method")
    numbers, figure = page.lead()
    numbers.info(t(f"{L.name}.reliability.verdict", n=cfg.n_seeds, k=cfg.folds, single=m.hits["single split"], kfold=m.hits["k-fold"],
              xsingle=m.excess["single split"], xkfold=m.excess["k-fold"]))
    bars = r.summary.assign(name=names(r.summary.method, f"{L.name}.method"), kind=t(f"{L.name}.reliability.kind"),
                            txt=[f"{h}/{n}" for h, n in zip(r.summary.hits, r.summary.n)])
    with figure:
        charts.show(charts.grouped_bars(bars, "name", "rate", "kind", text="txt", title=t(f"{L.name}.reliability.chart", n=cfg.n_seeds),
                                        x_title=t(f"{L.name}.method.x"), y_title=t(f"{L.name}.reliability.y")), r.picks, "reliability")


page.header(L)
presets(L)
page.open_tab(L, run, {"capacity": capacity, "remedies": remedies, "cv": cross_validation, "reliability": reliability},
              skip={"capacity": ("show",), "cv": ("single",)})
page.takeaway(L)
