"""Chapter 1: activation functions — one sigmoid / ReLU piece, pieces adding up to a curve, the vocabulary."""
import math

import pandas as pd
import streamlit as st

from core import activations as ac
from ui import charts, page
from ui.controls import presets
from ui.i18n import names, number, t
from ui.lessons import ACTIVATIONS as L
from ui.live import cached_run, live_progress, turn


@cached_run
def run(cfg):
    """One cached run per distinct config of either section: the defaults run once for the whole class."""
    curve = lambda f: charts.lines(f, "step", "rel_mse", log_y=True, title=t("common.training"))  # noqa: E731
    if not isinstance(cfg, ac.FitConfig):  # one piece: instant, never queued
        return L.run(cfg)
    with turn():
        return L.run(cfg, progress=live_progress(t("common.training"), curve))


def piece_text(cfg: ac.PieceConfig, r: ac.PieceResult) -> str:
    """Where the piece sits and how steep it is, computed from the sliders; the identity's measured gap."""
    if cfg.w == 0:
        text = t(f"{L.name}.piece.flat", level=number(cfg.c / (1 + math.exp(-cfg.b))))
    else:
        width = 2 * math.log(9) / abs(cfg.w)  # sigmoid from 10% to 90%: z from -ln 9 to ln 9
        steep = t(f"{L.name}.piece.steep") if width < 0.05 * (ac.PIECE_X[1] - ac.PIECE_X[0]) else ""
        text = t(f"{L.name}.piece.verdict", centre=number(-cfg.b / cfg.w + 0.0), width=number(width), steep=steep)
    return text + " " + t(f"{L.name}.piece.identity", gap=f"{r.identity_gap:.1e}")


def formulas(cfg: ac.PieceConfig) -> None:
    """The three pieces with the current numbers."""
    z = f"{cfg.b:g} + {cfg.w:g}\\,x" if cfg.b else f"{cfg.w:g}\\,x"
    st.latex(f"y = {cfg.c:g}\\cdot\\mathrm{{sigmoid}}({z}) = \\frac{{{cfg.c:g}}}{{1 + e^{{-({z})}}}}")
    st.latex(f"y = {cfg.c:g}\\cdot\\max(0,\\; {z})")
    st.latex(f"{cfg.c:g}\\cdot\\big(\\mathrm{{ReLU}}({z}) - \\mathrm{{ReLU}}({z} - 1)\\big)"
             f" = {cfg.c:g}\\cdot\\mathrm{{clamp}}({z},\\,0,\\,1)")


page.header(L)
presets(L)

_, cfg, side, main = page.section(L, "piece")
r = run(cfg)
with main:
    numbers, figure = page.lead()
    with numbers:  # the formulas with the current numbers, and what they mean
        formulas(cfg)
        st.markdown(piece_text(cfg, r))
    curves = r.curves.assign(curve=names(r.curves.curve, f"{L.name}.piece.curve"))
    with figure, charts.narrow(26):
        left, right = st.columns(2)
        with left:
            one = curves[r.curves.curve.isin(["sigmoid", "relu"])]
            charts.show(charts.lines(one, "x", "y", "curve", title=t(f"{L.name}.piece.chart"), points=False,
                                     x_title=t(f"{L.name}.piece.x"), y_title=t(f"{L.name}.piece.y")), one, "one_piece")
        with right:
            two = curves[r.curves.curve.isin(["relu_a", "relu_b", "hard"])]
            charts.show(charts.lines(two, "x", "y", "curve", title=t(f"{L.name}.piece.chart2"), points=False,
                                     x_title=t(f"{L.name}.piece.x"), y_title=t(f"{L.name}.piece.y")), two, "hard_sigmoid")

_, cfg, side, main = page.section(L, "fit")
with main:
    r = run(cfg)
side.metric(t(f"{L.name}.fit.m_rel"), f"{r.rel_mse:.1e}")
side.metric(t(f"{L.name}.fit.m_params"), str(ac.parameter_count(cfg.units)))
if cfg.act == "relu":
    side.metric(t(f"{L.name}.fit.m_dead"), str(r.dead))
with main:
    if r.diverged:
        st.error(t(f"{L.name}.fit.diverged"), icon="💥")
    numbers, figure = page.lead()
    exact = t(f"{L.name}.fit.exact") if r.rel_mse < 1e-4 else ""
    numbers.markdown(t(f"{L.name}.fit.verdict", k=cfg.units, act=cfg.act, rel=f"{r.rel_mse:.1e}", r=cfg.restarts) + exact)
    fit = pd.concat([r.data.assign(line=t(f"{L.name}.fit.target")), r.fit.assign(line=t(f"{L.name}.fit.fit"))])
    with figure:
        charts.show(charts.sum_of_pieces(fit, r.pieces, line="line", unit="unit", title=t(f"{L.name}.fit.chart"),
                                         x_title="x", y_title="y"), pd.concat([fit, r.pieces]), "fit_and_pieces")
        st.caption(t(f"{L.name}.fit.piece_note", k=cfg.units, act=cfg.act, b0=number(r.params.b.iloc[0])))
    left, right = st.columns(2)
    with left:
        charts.show(charts.lines(r.history, "step", "rel_mse", log_y=True, title=t(f"{L.name}.fit.loss_chart"),
                                 x_title=t("common.step"), y_title=t(f"{L.name}.fit.y_rel"), points=False),
                    r.history, "fit_loss")
    with right:
        charts.show(charts.lines(r.sweep, "k", "rel_mse", "act", log_y=True, marker_x=cfg.units, points=True,
                                 title=t(f"{L.name}.fit.sweep_chart"), x_title=t(f"{L.name}.fit.x_k"),
                                 y_title=t(f"{L.name}.fit.y_rel")), r.sweep, "error_vs_k")

st.subheader(t(f"{L.name}.vocab.title"))
st.markdown(t(f"{L.name}.vocab.intro"))
shown = [f"a_{i}" for i in range(1, min(cfg.units, 6) + 1)] + (["…"] if cfg.units > 6 else [])
edges = pd.DataFrame([("x", n, "w") for n in shown] + [(n, "y", "c") for n in shown], columns=["source", "target", "kind"])
left, right = st.columns([2, 3])
left.graphviz_chart(charts.diagram(edges, title=t(f"{L.name}.vocab.diagram", k=cfg.units),
                                   labels={k: t(f"{L.name}.vocab.{k}") for k in ("w", "c")}), width="stretch")
with right:
    st.markdown(t(f"{L.name}.vocab.hyper", k=cfg.units, act=cfg.act, lr=cfg.lr, steps=cfg.steps, restarts=cfg.restarts))
    st.markdown(t(f"{L.name}.vocab.params", n=ac.parameter_count(cfg.units)))
    table = r.params.assign(**{c: r.params[c].map(lambda v: "—" if math.isnan(v) else f"{v:.3f}") for c in "wbc"})
    st.dataframe(table.rename(columns=lambda c: t(f"{L.name}.vocab.col.{c}")), hide_index=True, height=220)
page.takeaway(L)
