"""Chapter 5: gradients through time in an RNN vs an LSTM, clipping, long memory, Elman vs Jordan, the memory cell."""
import math

import pandas as pd
import streamlit as st

from core import rnn_gradients as rg
from core.lab import BLOWUP
from ui import charts, page
from ui.controls import presets
from ui.i18n import names, t
from ui.lessons import RNN_GRADIENTS as L
from ui.live import cached_run, live_progress, turn

CURVE = {rg.ClipConfig: ("run", "loss"), rg.AddingConfig: ("model", "mse"), rg.EchoConfig: ("model", "loss")}  # legend, y


def named(df: pd.DataFrame, col: str, **fmt) -> pd.DataFrame:
    """The frame with its model/run/gate names in the page's language (for legends)."""
    return df.assign(**{col: names(df[col], f"{L.name}.name", **fmt)})


def ratio(x: float) -> str:
    """A gradient ratio as 1.2e-05, or 'exploded' when it overflowed."""
    return t(f"{L.name}.exploded") if math.isinf(x) else f"{x:.1e}"


def sup(n: int) -> str:
    """An integer in superscript digits: 49 -> ⁴⁹."""
    return str(n).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))


def pow10(x: float) -> str:
    """10 to the power of round(log10 x), with superscript digits: 10⁶."""
    return "10" + sup(round(math.log10(x)))


@cached_run
def run(cfg):
    """One cached run per distinct config (one config type per section): the defaults run once for the class."""
    col, y = CURVE.get(type(cfg), (None, None))
    curve = (lambda f: charts.lines(named(f, col, lr=cfg.lr, lr_low=getattr(cfg, "lr_low", 0)), "step", y, col,
                                    log_y=True, title=t("common.training"))) if col else None
    with turn():
        return L.run(cfg, progress=live_progress(t("common.training"), curve))


def flow(cfg, r, side) -> dict:
    """Gradient norms back through time: RNN vs LSTM, the cell-state path, three sweeps."""
    side.metric(t(f"{L.name}.flow.m_rnn"), ratio(r.rnn_ratio))
    side.metric(t(f"{L.name}.flow.m_lstm"), ratio(r.lstm_ratio))
    side.metric(t(f"{L.name}.flow.m_cell"), ratio(r.cell_ratio))
    if r.flow.exploded.any():
        models = t(f"{L.name}.sep").join(t(f"{L.name}.name.{m}") for m in r.flow[r.flow.exploded].model.unique())
        st.error(t(f"{L.name}.flow.exploded_msg", t=int(r.flow[r.flow.exploded].t.max()), models=models), icon="💥")
    charts.show(charts.lines(named(r.flow, "model"), "t", "log10_norm", "model", title=t(f"{L.name}.flow.chart"),
                             x_title=t(f"{L.name}.flow.x"), y_title=t(f"{L.name}.flow.y"), flag="exploded",
                             flag_label=t(f"{L.name}.exploded")), r.flow, "gradient_flow")
    # why the LSTM does not vanish: the gradient reaching c_t along the cell state alone vs along every path
    charts.show(charts.lines(named(r.cell, "path"), "t", "log10_norm", "path", title=t(f"{L.name}.flow.cell_chart"),
                             x_title=t(f"{L.name}.flow.x"), y_title=t(f"{L.name}.flow.cell_y"), flag="exploded",
                             flag_label=t(f"{L.name}.exploded")), r.cell, "lstm_cell_path")
    lo, mid, hi = r.forget_products
    st.markdown(t(f"{L.name}.flow.cell_note", cell=ratio(r.cell_ratio), full=ratio(r.full_cell_ratio), f=r.forget_mean,
                  n=cfg.T - 1, fpow=f"{r.forget_mean ** (cfg.T - 1):.1e}", scale=cfg.lstm_scale, lo=f"{lo:.1e}",
                  mid=f"{mid:.1e}", hi=f"{hi:.1e}",
                  verdict=t(f"{L.name}.flow.cell_{'explodes' if r.full_cell_ratio > 1e2 else 'holds'}")))
    sweeps = (r.rnn_sweep, r.lstm_sweep, r.lstm_scale_sweep)
    both = pd.concat([sw.log10_norm for sw in sweeps])
    for col, sweep, key, here in zip(st.columns(3), sweeps, ("scale", "forget_bias", "lstm_scale"),
                                     (cfg.rnn_scale, cfg.forget_bias, cfg.lstm_scale)):
        you = pd.DataFrame({"t": [1, cfg.T], key: [here, here], "step": [0, 1]})  # a white line at your setting
        with col, charts.narrow():
            charts.show(charts.heatmap(sweep, "t", key, "log10_norm", title=t(f"{L.name}.flow.heat_{key}"), log_z=False,
                                       x_title=t(f"{L.name}.flow.x"), y_title=t(f"{L.name}.flow.{key}"), path=you,
                                       z_title=t(f"{L.name}.flow.y"), z_domain=(both.min(), both.max())), sweep, f"sweep_{key}")
    if any(sw.exploded.any() or sw.vanished.any() for sw in sweeps):
        st.caption(t(f"{L.name}.flow.sweep_extremes"))
    cross, n = rg.crossing(r), cfg.T - 1
    now = (t(f"{L.name}.flow.now_below", scale=cfg.rnn_scale, n=sup(n), bound=f"{cfg.rnn_scale ** n:.1e}",
             ratio=ratio(r.rnn_ratio)) if cfg.rnn_scale < 1 else
           t(f"{L.name}.flow.now_above", scale=cfg.rnn_scale, ratio=ratio(r.rnn_ratio)))
    grows = (t(f"{L.name}.flow.grows_at", below=cross[0], above=cross[1], r_below=ratio(rg.sweep_ratio(r, cross[0])),
               r_above=ratio(rg.sweep_ratio(r, cross[1]))) if cross else
             t(f"{L.name}.flow.grows_never", top=rg.SWEEP_SCALES[-1]))
    return dict(lstm_ratio=ratio(r.lstm_ratio), fbias=cfg.forget_bias, n=n, n_sup=sup(n), now=now, grows=grows)


def clip(cfg, r, side) -> dict:
    """Loss and gradient norm with and without clipping, and at a lower learning rate."""
    h, s, low = r.history, r.summary.set_index("run"), rg.low_lr_story(r, cfg)
    times = f"{low['times']:,.0f}" if low["times"] >= 10 else f"{low['times']:.2g}"  # lr_low's largest update / bound
    lrs = dict(lr=cfg.lr, lr_low=cfg.lr_low)  # the run names say their learning rates
    run_name = lambda run: t(f"{L.name}.name.{run}", **lrs)  # noqa: E731
    top = min(h.loss.max() * 2, 1e4)  # a blown-up run leaves through the top instead of flattening the others
    left = {run: rg.exit_step(r, run, top) for run in s.index[s.diverged]}  # where each blown-up run leaves the chart
    for name, step in left.items():
        st.error(t(f"{L.name}.clip.diverged", run=run_name(name), left=step, step=s.loc[name, "diverged_step"],
                   blowup=pow10(BLOWUP)), icon="💥")
    stop = dict(stop_x=min(left.values()), stop_label=t(f"{L.name}.exploded")) if left else {}
    charts.show(charts.lines(named(h, "run", **lrs), "step", "loss", "run", log_y=True, title=t(f"{L.name}.clip.loss_chart"),
                             x_title=t("common.step"), y_title=t("common.loss"), y_domain=(h.loss.min() / 2, top),
                             **stop), h, "clip_loss")
    norms = pd.concat([h.assign(norm=h.grad_norm, kind=t(f"{L.name}.clip.before")),
                       h[h.run == "clip"].assign(norm=h.applied_norm, kind=t(f"{L.name}.clip.after"))])
    norms["kind"] = pd.Categorical(norms.kind, [t(f"{L.name}.clip.before"), t(f"{L.name}.clip.after")])  # gradient solid
    charts.show(charts.lines(named(norms, "run", **lrs), "step", "norm", "run", dash="kind", log_y=True,
                             title=t(f"{L.name}.clip.norm_chart"), x_title=t("common.step"), y_title=t(f"{L.name}.clip.norm_y"),
                             rule_y=cfg.threshold, rule_label=t(f"{L.name}.clip.threshold", v=cfg.threshold)),
                norms, "clip_grad_norm")
    table = {"run": s.index.map(run_name), "diverged": s.diverged.map({True: "💥", False: "—"}).values,
             "spikes": s.n_spikes.values, "final": [t(f"{L.name}.exploded") if d else f"{v:.3g}"
                                                     for d, v in zip(s.diverged, s.final_loss)],
             "max_step": s.max_step.map("{:.3g}".format).values}
    st.dataframe(pd.DataFrame({t(f"{L.name}.clip.col.{k}"): c for k, c in table.items()}), hide_index=True)
    if cfg.lr_low < cfg.lr:  # the note compares a *lower* learning rate with clipping
        steps = "steps_above" if low["times"] > 1 else "steps_within"
        st.info(" ".join(t(f"{L.name}.clip.low_lr.{k}", **low, lr_low=cfg.lr_low, times_txt=times)
                         for k in (low["outcome"], steps)), icon="📏")
    return dict(times=times, final_clip=f"{low['final_clip']:.3g}", start=f"{low['start']:.3g}",
                final_low=t(f"{L.name}.exploded") if low["outcome"] == "diverged" else f"{low['final']:.3g}")


def adding(cfg, r, side) -> dict:
    """The adding problem: the LSTM learns it, the RNN stalls; the forget gate between the marks."""
    for key, val in (("m_rnn", r.rnn_mse), ("m_lstm", r.lstm_mse), ("m_base", rg.ADDING_BASELINE)):
        side.metric(t(f"{L.name}.adding.{key}"), f"{val:.3g}")
    for m in r.diverged:
        st.error(t(f"{L.name}.adding.diverged", model=t(f"{L.name}.name.{m}")), icon="💥")
    charts.show(charts.lines(named(r.history, "model"), "step", "mse", "model", log_y=True,
                             title=t(f"{L.name}.adding.chart"), x_title=t("common.step"), y_title="MSE",
                             rule_y=rg.ADDING_BASELINE, rule_label=t(f"{L.name}.adding.baseline")), r.history, "adding_mse")
    charts.show(charts.bars(r.sequence, "t", "value", highlight="marker", title=t(f"{L.name}.adding.seq_chart"),
                            x_title=t(f"{L.name}.flow.x"), y_title=t(f"{L.name}.adding.seq_y"), y_domain=(0, 1.1)),
                r.sequence, "adding_sequence")  # values lie in [0, 1]: headroom so the tallest bar is not cut
    charts.show(charts.lines(named(r.gates, "gate"), "t", "value", "gate", title=t(f"{L.name}.adding.gates_chart"),
                             x_title=t(f"{L.name}.flow.x"), y_title=t(f"{L.name}.adding.gate_y"),
                             marker_x=r.sequence.t[r.sequence.marker > 0].tolist()), r.gates, "lstm_gates")
    g = rg.gate_story(r)
    return g | dict(units=cfg.hidden, keep=f"{g['keep']:.0%}", T=cfg.T, lstm=f"{r.lstm_mse:.3g}", rnn=f"{r.rnn_mse:.3g}",
                    inputs=t(f"{L.name}.adding.input_{'higher' if g['in_marks'] > g['in_else'] else 'not_higher'}", **g))


def echo(cfg, r, side) -> dict:
    """Elman feeds back its hidden state, Jordan its output: which can echo a bit."""
    side.metric(t(f"{L.name}.echo.m_elman"), f"{r.elman_loss:.3g}")
    side.metric(t(f"{L.name}.echo.m_jordan"), f"{r.jordan_loss:.3g}")
    for m in r.diverged:
        st.error(t(f"{L.name}.adding.diverged", model=t(f"{L.name}.name.{m}")), icon="💥")
    kinds = {k: t(f"{L.name}.echo.kind.{k}") for k in ("input", "feedback", "output")}
    for col, m in zip(st.columns(2), ("elman", "jordan")):
        col.graphviz_chart(charts.diagram(r.edges[r.edges.model == m], title=t(f"{L.name}.echo.{m}"),
                                          highlight="feedback", labels=kinds), width="stretch")
    charts.show(charts.lines(named(r.history, "model"), "step", "loss", "model", title=t(f"{L.name}.echo.chart"),
                             x_title=t("common.step"), y_title=t(f"{L.name}.echo.y"), rule_y=rg.ECHO_BASELINE,
                             rule_label=t(f"{L.name}.echo.chance")), r.history, "echo_loss")
    verdict = rg.echo_verdict(r)
    return dict(delay=cfg.delay, elman=f"{r.elman_loss:.3g}", jordan=f"{r.jordan_loss:.3g}", chance=f"{rg.ECHO_BASELINE:.3f}",
                verdict=t(f"{L.name}.echo.jordan_{verdict['jordan']}"))


def memory(cfg, r, side) -> dict:
    """The memory cell step by step: the value it brings to word t, and what the net outputs there, for both sentences."""
    step = page.view(L, "memory", "step", side)  # replay the two sentences word by word
    side.metric(t(f"{L.name}.memory.m_acc"), f"{r.accuracy:.0%}")
    numbers, figure = page.lead()
    said = {s[0]: " ".join(s) for s in rg.PAIR}  # a sentence is named by its verb: "arrive Taipei on Nov 2nd"
    word = " / ".join(dict.fromkeys(s[step - 1] for s in rg.PAIR))
    out = r.outputs[r.outputs.t == step].assign(sentence=lambda d: d.sentence.map(said), shown=lambda d: d.prob.map(
        "{:.0%}".format), label=lambda d: names(d.label, f"{L.name}.memory.slot"))
    with figure:
        charts.show(charts.grouped_bars(out, "label", "prob", "sentence", text="shown", height=200,
                                        title=t(f"{L.name}.memory.out_chart", t=step, word=word),
                                        x_title=t(f"{L.name}.memory.slot_axis"), y_title=t(f"{L.name}.memory.prob")),
                    out, "memory_outputs")
    top, d = rg.top_labels(r, step), r.apart.set_index(["t", "what"]).distance
    case = "first" if step == 1 else "same" if top["arrive"][0] == top["leave"][0] else "different"
    numbers.info(t(f"{L.name}.memory.step_{case}", t=step, word=word, prev=step - 1, d=f"{d.get((step - 1, 'cell'), 0):.2f}",
                   **{k: t(f"{L.name}.memory.slot.{top[v][0]}") for k, v in (("a", "arrive"), ("b", "leave"))},
                   pa=f"{top['arrive'][1]:.0%}", pb=f"{top['leave'][1]:.0%}"), icon=":material/memory:")
    held = r.cell[r.cell.t == step - 1].assign(sentence=lambda f: f.sentence.map(said))  # what word t meets
    if step > 1:  # before the first word the cell is empty (h_0 = 0): no bars to draw
        charts.show(charts.grouped_bars(held, "unit", "value", "sentence", height=220, y_title=f"h_{step - 1}",
                                        title=t(f"{L.name}.memory.cell_chart", t=step, prev=step - 1),
                                        x_title=t(f"{L.name}.memory.unit")), held, "memory_cell")
    charts.show(charts.lines(r.apart.assign(what=names(r.apart.what, f"{L.name}.memory.what")), "t", "distance", "what",
                             title=t(f"{L.name}.memory.apart_chart"), x_title=t(f"{L.name}.memory.t"),
                             y_title=t(f"{L.name}.memory.apart_y"), marker_x=step, integer_x=True, points=True),
                r.apart, "memory_apart")
    two = rg.top_labels(r, 2)
    a, b = (t(f"{L.name}.memory.slot.{two[v][0]}") for v in ("arrive", "leave"))
    return dict(hidden=cfg.hidden, a=a, b=b, verdict=t(f"{L.name}.memory.verdict_{'same' if a == b else 'different'}"))


page.header(L)
presets(L)
page.open_tab(L, run, {"flow": flow, "clip": clip, "adding": adding, "echo": echo, "memory": memory},
              skip={"memory": ("step",)})
