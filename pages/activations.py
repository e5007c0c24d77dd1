"""Chapter 1: activation functions — one sigmoid / ReLU piece; pieces adding up to a curve, and the vocabulary."""
import math

import pandas as pd
import streamlit as st

from core import activations as ac
from ui import charts, page
from ui.controls import presets
from ui.i18n import names, number, sentences, t
from ui.lessons import ACTIVATIONS as L
from ui.live import cached_run, live_progress, turn

FLOOR = {"floor": number(ac.FLOOR), "rms": f"{math.sqrt(ac.FLOOR):.0%}"}  # the floor (1e-4), and the RMS error it means


@cached_run
def run(cfg):
    """One cached run per distinct config of either tab: the defaults run once for the whole class."""
    curve = lambda f: charts.lines(f, "step", "rel_mse", log_y=True, title=t("common.training"))  # noqa: E731
    if not isinstance(cfg, ac.FitConfig):  # one piece: instant, never queued
        return L.run(cfg)
    with turn():
        return L.run(cfg, progress=live_progress(t("common.training"), curve))


def piece_text(cfg: ac.PieceConfig, r: ac.PieceResult) -> str:
    """Where the piece sits and how steep it is, and where the hard sigmoid ramps, from the sliders; the identity's
    measured gap."""
    if cfg.c == 0:  # every piece is c times something: all of them are 0
        return sentences(t(f"{L.name}.piece.zero"), t(f"{L.name}.piece.identity", gap=f"{r.identity_gap:.1e}"))
    if cfg.w == 0:
        return sentences(t(f"{L.name}.piece.flat", level=number(cfg.c / (1 + math.exp(-cfg.b)))),
                         t(f"{L.name}.piece.identity", gap=f"{r.identity_gap:.1e}"))
    width, span = 2 * math.log(9) / abs(cfg.w), ac.PIECE_X[1] - ac.PIECE_X[0]  # 10% to 90%: z from -ln 9 to ln 9
    steep = t(f"{L.name}.piece.steep", share=f"{width / span:.1%}") if width < 0.05 * span else ""
    lo, hi = sorted((-cfg.b / cfg.w + 0.0, (1 - cfg.b) / cfg.w + 0.0))  # the hard sigmoid's ramp: z from 0 to 1
    return sentences(t(f"{L.name}.piece.verdict", centre=number(-cfg.b / cfg.w + 0.0), width=number(width)), steep,
                     t(f"{L.name}.piece.ramp", lo=number(lo), hi=number(hi)),
                     t(f"{L.name}.piece.identity", gap=f"{r.identity_gap:.1e}"))


def piece(cfg: ac.PieceConfig, r: ac.PieceResult, side) -> None:
    """The formulas with the current numbers and what they mean; the piece, and the hard sigmoid as two ReLUs."""
    z = f"{cfg.b:g} + {cfg.w:g}\\,x" if cfg.b else f"{cfg.w:g}\\,x"
    numbers, figure = page.lead()
    with numbers:
        st.latex(f"y = {cfg.c:g}\\cdot\\mathrm{{sigmoid}}({z}) = \\frac{{{cfg.c:g}}}{{1 + e^{{-({z})}}}}")
        st.latex(f"y = {cfg.c:g}\\cdot\\max(0,\\; {z})")
        st.latex(f"{cfg.c:g}\\cdot\\big(\\mathrm{{ReLU}}({z}) - \\mathrm{{ReLU}}({z} - 1)\\big)"
                 f" = {cfg.c:g}\\cdot\\mathrm{{clamp}}({z},\\,0,\\,1)")
        st.markdown(piece_text(cfg, r))
    curves = r.curves.assign(curve=names(r.curves.curve, f"{L.name}.piece.curve"))
    axes = {"points": False, "x_title": t(f"{L.name}.piece.x"), "y_title": t(f"{L.name}.piece.y")}
    with figure, charts.narrow(26):
        for col, shown, key, name in zip(st.columns(2), (["sigmoid", "relu"], ["relu_a", "relu_b", "hard"]),
                                         ("chart", "chart2"), ("one_piece", "hard_sigmoid")):
            part = curves[r.curves.curve.isin(shown)]
            with col:
                charts.show(charts.lines(part, "x", "y", "curve", title=t(f"{L.name}.piece.{key}"), **axes), part, name)


def fit_verdict(cfg: ac.FitConfig, r: ac.FitResult) -> str:
    """The fit's error in words, how many starts reached the floor, and whether the fit is exact (zero up to
    rounding, and the target is made of such pieces: the kinked curve, ReLU, at least one piece per kink) or could
    be (below the floor, not yet zero)."""
    mine = r.starts[(r.starts.act == cfg.act) & (r.starts.k == cfg.units)]
    below = r.rel_mse < ac.FLOOR
    can = cfg.target == "kinks" and cfg.act == "relu" and cfg.units >= ac.N_KINKS
    tail = ("exact" if r.rel_mse < ac.ROUNDING else "could") if below and can else "below" if below else ""
    return sentences(t(f"{L.name}.fit.verdict", k=cfg.units, act=cfg.act, rel=f"{r.rel_mse:.1e}", r=cfg.restarts,
                       ok=int((mine.rel_mse < ac.FLOOR).sum()), **FLOOR),
                     t(f"{L.name}.fit.{tail}", n=ac.N_KINKS, **FLOOR) if tail else "")


def rises(r: ac.FitResult) -> str:
    """The largest rise of the drawn error from one k to the next, in words (this run)."""
    x, act, k0, k1 = ac.largest_rise(r.sweep)
    return t(f"{L.name}.fit.rise", x=number(x), act=act, k0=k0, k1=k1) if x > 1.01 else t(f"{L.name}.fit.no_rise")


def fit(cfg: ac.FitConfig, r: ac.FitResult, side) -> dict:
    """Metrics, the fit and its pieces, the loss curve, the error against k (floored), the vocabulary."""
    side.metric(t(f"{L.name}.fit.m_rel"), f"{r.rel_mse:.1e}")
    side.metric(t(f"{L.name}.fit.m_params"), str(ac.parameter_count(cfg.units)))
    if cfg.act == "relu":
        side.metric(t(f"{L.name}.fit.m_dead"), str(r.dead), help=t(f"{L.name}.fit.m_dead_help"))
    numbers, figure = page.lead()
    numbers.markdown(fit_verdict(cfg, r))
    data = pd.concat([r.data.assign(line=t(f"{L.name}.fit.target")), r.fit.assign(line=t(f"{L.name}.fit.fit"))])
    with figure:
        charts.show(charts.sum_of_pieces(data, r.pieces, line="line", unit="unit", title=t(f"{L.name}.fit.chart"),
                                         x_title="x", y_title="y"), pd.concat([data, r.pieces]), "fit_and_pieces")
        st.caption(t(f"{L.name}.fit.piece_note", k=cfg.units, act=cfg.act, b0=number(r.params.b.iloc[0])))
    floor = {"log_y": True, "rule_y": ac.FLOOR, "rule_label": t(f"{L.name}.fit.floor_line", **FLOOR),
             "y_title": t(f"{L.name}.fit.y_rel")}
    left, right = st.columns(2)
    with left:
        charts.show(charts.lines(r.history, "step", "rel_mse", title=t(f"{L.name}.fit.loss_chart"),
                                 x_title=t("common.step"), points=False, **floor), r.history, "fit_loss")
    with right:
        charts.show(charts.lines(r.sweep, "k", "shown", "act", marker_x=cfg.units, points=True, **floor,
                                 title=t(f"{L.name}.fit.sweep_chart"), x_title=t(f"{L.name}.fit.x_k")),
                    r.sweep, "error_vs_k")
    st.caption(sentences(t(f"{L.name}.fit.floor_note", **FLOOR), rises(r)))
    vocab(cfg, r)
    return FLOOR


def vocab(cfg: ac.FitConfig, r: ac.FitResult) -> None:
    """Neuron, hidden layer, hyperparameters and parameters, on this model's diagram and numbers."""
    st.subheader(t(f"{L.name}.vocab.title"))
    st.markdown(t(f"{L.name}.vocab.intro"))
    shown = [f"a_{i}" for i in range(1, min(cfg.units, 6) + 1)] + (["…"] if cfg.units > 6 else [])
    edges = pd.DataFrame([("x", n, "w") for n in shown] + [(n, "y", "c") for n in shown],
                         columns=["source", "target", "kind"])
    left, right = st.columns([2, 3])
    left.graphviz_chart(charts.diagram(edges, title=t(f"{L.name}.vocab.diagram", k=cfg.units),
                                       labels={k: t(f"{L.name}.vocab.{k}") for k in ("w", "c")}), width="stretch")
    with right:
        st.markdown(t(f"{L.name}.vocab.hyper", k=cfg.units, act=cfg.act, lr=cfg.lr, steps=cfg.steps, restarts=cfg.restarts))
        st.markdown(t(f"{L.name}.vocab.params", n=ac.parameter_count(cfg.units)))
        table = r.params.assign(**{c: r.params[c].map(lambda v: "—" if math.isnan(v) else f"{v:.3f}") for c in "wbc"})
        st.dataframe(table.rename(columns=lambda c: t(f"{L.name}.vocab.col.{c}")), hide_index=True, height=220)


page.header(L)
presets(L)
page.open_tab(L, run, {"piece": piece, "fit": fit}, intro={"fit": FLOOR | {"pace": f"{ac.KINK_PACE:g}"}})  # each tab ends with its takeaway
