"""Chapter 5: gradients through time in an RNN vs an LSTM, clipping, long memory, Elman vs Jordan."""
import math

import pandas as pd
import streamlit as st

from core import rnn_gradients as rg, rnn_tasks as rt
from ui import charts, page
from ui.controls import Control, presets
from ui.i18n import t
from ui.live import live_progress

L = "rnn_gradients"
F, C, A, E = rg.FlowConfig(), rg.ClipConfig(), rt.AddingConfig(), rt.EchoConfig()
LRS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
FLOW = [Control("rnn_T", "slider", F.T, lo=10, hi=200, step=10),
        Control("rnn_scale", "slider", F.rnn_scale, lo=0.1, hi=5.0, step=0.1),
        Control("rnn_fbias", "slider", F.forget_bias, lo=-2.0, hi=8.0, step=0.5)]
CLIP = [Control("rnn_clip", "select", C.threshold, options=(0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)),
        Control("rnn_lr", "select", C.lr, options=LRS),
        Control("rnn_lr_low", "select", C.lr_low, options=(0.0001, 0.0003) + LRS)]
ADD = [Control("rnn_add_T", "slider", A.T, lo=10, hi=50, step=5)]
ECHO = [Control("rnn_delay", "slider", E.delay, lo=1, hi=5, step=1)]
PRESETS = {
    "vanishing": {"rnn_T": 50, "rnn_scale": 0.8, "rnn_fbias": 0.0},
    "exploding": {"rnn_T": 50, "rnn_scale": 3.0, "rnn_fbias": F.forget_bias},
    "clipping": {"rnn_clip": 3.0, "rnn_lr": C.lr, "rnn_lr_low": C.lr_low},
    "lstm": {"rnn_T": F.T, "rnn_scale": F.rnn_scale, "rnn_fbias": F.forget_bias, "rnn_add_T": A.T},
}
# per section: the core entry point, and the (legend column, y) of its live training curve
RUN = {rg.FlowConfig: (rg.run_gradient_flow, None, None), rg.ClipConfig: (rg.run_clipping, "run", "loss"),
       rt.AddingConfig: (rt.run_adding, "model", "mse"), rt.EchoConfig: (rt.run_echo, "model", "loss")}


def named(df: pd.DataFrame, col: str, **fmt) -> pd.DataFrame:
    """The frame with its model/run/gate names in the page's language (for legends)."""
    return df.assign(**{col: df[col].map(lambda v: t(f"{L}.name.{v}", **fmt))})


@st.cache_data(max_entries=64, show_spinner=False)
def run(cfg):
    """One cached run per distinct config (one config type per section): the defaults run once for the class."""
    fn, col, y = RUN[type(cfg)]
    curve = (lambda f: charts.lines(named(f, col, lr=cfg.lr, lr_low=getattr(cfg, "lr_low", 0)), "step", y, col,
                                    log_y=True, title=t("common.training"))) if col else None
    return fn(cfg, progress=live_progress(t("common.training"), curve))


page.header(L, FLOW + CLIP + ADD + ECHO)
presets(PRESETS, L)
seed = int(st.session_state.get("seed", 0))
ratio = lambda x: t(f"{L}.exploded") if math.isinf(x) else f"{x:.1e}"  # noqa: E731

v, side, main = page.section(L, "flow", FLOW, more=False)
cfg = rg.FlowConfig(T=v["rnn_T"], rnn_scale=v["rnn_scale"], forget_bias=v["rnn_fbias"], seed=seed)
r = run(cfg)
side.metric(t(f"{L}.flow.m_rnn"), ratio(r.rnn_ratio))
side.metric(t(f"{L}.flow.m_lstm"), ratio(r.lstm_ratio))
with main:
    if r.flow.exploded.any():
        st.error(t(f"{L}.flow.exploded_msg", t=int(r.flow[r.flow.exploded].t.max())), icon="💥")
    charts.show(charts.lines(named(r.flow, "model"), "t", "log10_norm", "model", title=t(f"{L}.flow.chart"),
                             x_title=t(f"{L}.flow.x"), y_title=t(f"{L}.flow.y"), flag="exploded",
                             flag_label=t(f"{L}.exploded")), r.flow, "gradient_flow")
both = pd.concat([r.rnn_sweep.log10_norm, r.lstm_sweep.log10_norm])
for col, sweep, key, here in zip(st.columns(2), (r.rnn_sweep, r.lstm_sweep), ("scale", "forget_bias"),
                                 (cfg.rnn_scale, cfg.forget_bias)):
    you = pd.DataFrame({"t": [1, cfg.T], key: [here, here], "step": [0, 1]})  # a white line at your setting
    with col:
        charts.show(charts.heatmap(sweep, "t", key, "log10_norm", title=t(f"{L}.flow.heat_{key}"), log_z=False,
                                   x_title=t(f"{L}.flow.x"), y_title=t(f"{L}.flow.{key}"), path=you,
                                   z_title=t(f"{L}.flow.y"), z_domain=(both.min(), both.max())), sweep, f"sweep_{key}")
if r.rnn_sweep.exploded.any() or r.lstm_sweep.exploded.any() or r.lstm_sweep.vanished.any():
    st.caption(t(f"{L}.flow.sweep_extremes"))

v, side, main = page.section(L, "clip", CLIP)
cfg = rg.ClipConfig(threshold=v["rnn_clip"], lr=v["rnn_lr"], lr_low=v["rnn_lr_low"], seed=seed)
r = run(cfg)
h, s = r.history, r.summary.set_index("run")
names = lambda df: named(df, "run", lr=cfg.lr, lr_low=cfg.lr_low)  # noqa: E731
with main:
    died = s[s.diverged]
    for name, row in died.iterrows():
        st.error(t(f"{L}.clip.diverged", run=t(f"{L}.name.{name}", lr=cfg.lr, lr_low=cfg.lr_low),
                   step=row.diverged_step), icon="💥")
    stop = dict(stop_x=int(died.diverged_step.min()), stop_label=t(f"{L}.exploded")) if len(died) else {}
    top = min(h.loss.max() * 2, 1e4)  # a blown-up run leaves through the top instead of flattening the others
    charts.show(charts.lines(names(h), "step", "loss", "run", log_y=True, title=t(f"{L}.clip.loss_chart"),
                             x_title=t("common.step"), y_title=t("common.loss"), y_domain=(h.loss.min() / 2, top),
                             **stop), h, "clip_loss")
    norms = pd.concat([h.assign(norm=h.grad_norm, kind=t(f"{L}.clip.before")),
                       h[h.run == "clip"].assign(norm=h.applied_norm, kind=t(f"{L}.clip.after"))])
    norms["kind"] = pd.Categorical(norms.kind, [t(f"{L}.clip.before"), t(f"{L}.clip.after")])  # gradient solid
    charts.show(charts.lines(names(norms), "step", "norm", "run", dash="kind", log_y=True,
                             title=t(f"{L}.clip.norm_chart"), x_title=t("common.step"), y_title=t(f"{L}.clip.norm_y"),
                             rule_y=cfg.threshold, rule_label=t(f"{L}.clip.threshold", v=cfg.threshold)),
                norms, "clip_grad_norm")
    table = {"run": names(r.summary).run.values, "diverged": s.diverged.map({True: "💥", False: "—"}).values,
             "spikes": s.n_spikes.values, "final": s.final_loss.map("{:.3g}".format).values,
             "max_step": s.max_step.map("{:.3g}".format).values}
    st.dataframe(pd.DataFrame({t(f"{L}.clip.col.{k}"): c for k, c in table.items()}), hide_index=True)
    if not s.loc["low_lr", "diverged"]:
        low = h[h.run == "low_lr"].grad_norm
        st.info(t(f"{L}.clip.low_lr", lr_low=cfg.lr_low, final=s.loc["low_lr", "final_loss"],
                  final_clip=s.loc["clip", "final_loss"], swing=low.max() / low.min(), gmax=low.max(),
                  step=s.loc["low_lr", "max_step"], bound=cfg.lr * cfg.threshold,
                  times=s.loc["low_lr", "max_step"] / s.loc["clip", "max_step"]), icon="📏")

v, side, main = page.section(L, "adding", ADD)
r = run(rt.AddingConfig(T=v["rnn_add_T"], seed=seed))
for key, val in (("m_rnn", r.rnn_mse), ("m_lstm", r.lstm_mse), ("m_base", rt.ADDING_BASELINE)):
    side.metric(t(f"{L}.adding.{key}"), f"{val:.3g}")
with main:
    for m in r.diverged:
        st.error(t(f"{L}.adding.diverged", model=t(f"{L}.name.{m}")), icon="💥")
    charts.show(charts.lines(named(r.history, "model"), "step", "mse", "model", log_y=True,
                             title=t(f"{L}.adding.chart"), x_title=t("common.step"), y_title="MSE",
                             rule_y=rt.ADDING_BASELINE, rule_label=t(f"{L}.adding.baseline")), r.history, "adding_mse")
    charts.show(charts.bars(r.sequence, "t", "value", highlight="marker", title=t(f"{L}.adding.seq_chart"),
                            x_title=t(f"{L}.flow.x"), y_title=t(f"{L}.adding.seq_y")), r.sequence, "adding_sequence")
    charts.show(charts.lines(named(r.gates, "gate"), "t", "value", "gate", title=t(f"{L}.adding.gates_chart"),
                             x_title=t(f"{L}.flow.x"), y_title=t(f"{L}.adding.gate_y"),
                             marker_x=r.sequence.t[r.sequence.marker > 0].tolist()), r.gates, "lstm_gates")

v, side, main = page.section(L, "echo", ECHO)
r = run(rt.EchoConfig(delay=v["rnn_delay"], seed=seed))
side.metric(t(f"{L}.echo.m_elman"), f"{r.elman_loss:.3g}")
side.metric(t(f"{L}.echo.m_jordan"), f"{r.jordan_loss:.3g}")
with main:
    kinds = {k: t(f"{L}.echo.kind.{k}") for k in ("input", "feedback", "output")}
    for col, m in zip(st.columns(2), ("elman", "jordan")):
        col.graphviz_chart(charts.diagram(r.edges[r.edges.model == m], title=t(f"{L}.echo.{m}"),
                                          highlight="feedback", labels=kinds), width="stretch")
    charts.show(charts.lines(named(r.history, "model"), "step", "loss", "model", title=t(f"{L}.echo.chart"),
                             x_title=t("common.step"), y_title=t(f"{L}.echo.y"), rule_y=rt.ECHO_BASELINE,
                             rule_label=t(f"{L}.echo.chance")), r.history, "echo_loss")
page.takeaway(L)
