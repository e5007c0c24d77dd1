"""Lesson 5: vanishing/exploding gradients, clipping, RNN vs LSTM on the adding problem, Elman vs Jordan."""
import dataclasses
import functools
import math

import pandas as pd
import pytest

from core.rnn_gradients import (RUNS, SPIKE_FACTOR, ClipConfig, FlowConfig, run_clipping,
                                run_gradient_flow)
from core.rnn_tasks import AddingConfig, EchoConfig, run_adding, run_echo

SEEDS = range(5)
EXPLODING = dict(rnn_scale=3.0)  # the page's "exploding" preset for the gradient-flow section


@functools.cache
def adding(seed):
    return run_adding(AddingConfig(seed=seed))


@functools.cache
def clipping(seed):
    return run_clipping(ClipConfig(seed=seed))


@functools.cache
def echo(seed):
    return run_echo(EchoConfig(seed=seed))


# --- claims, on the defaults, over 5 seeds -------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_rnn_vanishes_below_one_and_explodes_above(seed):
    assert run_gradient_flow(FlowConfig(seed=seed)).rnn_ratio < 1e-3  # default scale 0.8 < 1
    assert run_gradient_flow(FlowConfig(seed=seed, **EXPLODING)).rnn_ratio > 1e3


@pytest.mark.parametrize("seed", SEEDS)
def test_lstm_with_default_forget_bias_keeps_gradient(seed):
    r = run_gradient_flow(FlowConfig(seed=seed))
    assert 1e-2 <= r.lstm_ratio <= 1e2
    # PyTorch's own init (forget bias ~0) vanishes: this is why the page's default is not 0
    assert run_gradient_flow(FlowConfig(seed=seed, forget_bias=0.0)).lstm_ratio < 1e-3


@pytest.mark.parametrize("seed", SEEDS)
def test_clipping_bounds_every_step_and_removes_spikes(seed):
    cfg, r = ClipConfig(seed=seed), clipping(seed)
    h = r.history
    clip = h[h.run == "clip"]
    assert len(clip) == cfg.steps and (clip.applied_norm <= cfg.threshold).all()
    assert clip.grad_norm.max() > 100 * cfg.threshold  # the gradient itself did explode
    s = r.summary.set_index("run")
    assert s.loc["no_clip", "diverged"] or s.loc["no_clip", "n_spikes"] > 0
    assert not s.loc["clip", "diverged"] and s.loc["clip", "n_spikes"] == 0


@pytest.mark.parametrize("seed", SEEDS)
def test_lower_lr_alone_still_takes_exploded_steps(seed):
    s = clipping(seed).summary.set_index("run")
    # the gradient still explodes, so lr_low's largest update is far above clipping's bound
    assert s.loc["low_lr", "max_step"] > 10 * s.loc["clip", "max_step"]


def test_spike_definition():
    h = clipping(0).history
    for run in RUNS:
        loss = h[h.run == run].loss.tolist()
        best = [min(loss[:i]) if i else math.inf for i in range(len(loss))]
        assert h[h.run == run].spike.tolist() == [l > SPIKE_FACTOR * b for l, b in zip(loss, best)]


@pytest.mark.parametrize("seed", SEEDS)
def test_adding_problem_lstm_learns_rnn_stalls(seed):
    r = adding(seed)
    assert r.lstm_mse < 0.05
    assert r.rnn_mse > 0.12


@pytest.mark.parametrize("seed", SEEDS)
def test_elman_remembers_jordan_cannot(seed):
    r = echo(seed)
    assert r.elman_loss < 0.1
    assert r.jordan_loss > 0.6  # chance is ln 2 = 0.693: its 1-D output does not carry x_{t-2}


# --- frames ----------------------------------------------------------------------------------
def test_frames_are_tidy():
    r = run_gradient_flow(FlowConfig())
    assert list(r.flow.columns) == ["model", "t", "grad_norm", "log10_norm", "exploded", "vanished"]
    assert set(r.flow.model) == {"rnn", "lstm"} and len(r.flow) == 2 * 50
    assert {"scale", "t", "log10_norm", "exploded"} <= set(r.rnn_sweep.columns)
    a = adding(0)
    assert list(a.history.columns) == ["model", "step", "mse"]
    assert set(a.gates.gate) == {"input", "forget", "output"} and len(a.gates) == 3 * 30
    assert a.sequence.marker.sum() == 2
    assert list(echo(0).history.columns) == ["model", "step", "loss"]
    assert set(echo(0).edges.kind) == {"input", "feedback", "output"}


def test_exploded_is_a_flag_not_nan():
    r = run_gradient_flow(FlowConfig(T=200, rnn_scale=5.0, seed=2))  # a seed whose RNN really overflows
    for df in (r.flow, r.rnn_sweep, r.lstm_sweep):
        assert df[["grad_norm", "log10_norm"]].notna().all().all()
        assert df[["grad_norm", "log10_norm"]].apply(lambda c: c.map(math.isfinite)).all().all()
    assert r.rnn_sweep.exploded.any() and r.rnn_ratio == math.inf


def test_divergence_leaves_no_nan():
    h = clipping(0).history
    assert clipping(0).summary.set_index("run").loc["no_clip", "diverged"]
    assert h[["loss", "grad_norm", "applied_norm"]].apply(lambda c: c.map(math.isfinite)).all().all()
    r = run_adding(AddingConfig(steps=50, T=10, lr=0.1, seed=0))  # must not raise, even if it diverges
    assert r.history.mse.map(math.isfinite).all()


# --- determinism -----------------------------------------------------------------------------
SMALL = [(run_gradient_flow, FlowConfig(T=20, hidden=8)),
         (run_clipping, ClipConfig(T=10, steps=30)),
         (run_adding, AddingConfig(T=10, steps=50, batch=16)),
         (run_echo, EchoConfig(T=10, steps=50))]


def _frames(res):
    return [v for v in dataclasses.asdict(res).values() if isinstance(v, pd.DataFrame)]


@pytest.mark.parametrize("run,cfg", SMALL)
def test_same_seed_same_frames_other_seed_differs(run, cfg):
    a, b, c = run(cfg), run(cfg), run(dataclasses.replace(cfg, seed=1))
    for x, y in zip(_frames(a), _frames(b)):
        pd.testing.assert_frame_equal(x, y)
    assert any(not x.equals(z) for x, z in zip(_frames(a), _frames(c)))


def test_deterministic_under_threads():
    from concurrent.futures import ThreadPoolExecutor
    cfg = AddingConfig(T=10, steps=50, batch=16)
    with ThreadPoolExecutor(2) as ex:
        a, b = ex.map(run_adding, [cfg, cfg])
    pd.testing.assert_frame_equal(a.history, b.history)


def test_progress_is_called_early_and_at_the_end():
    calls = []
    run_adding(AddingConfig(T=10, steps=50, batch=16), progress=lambda f, df: calls.append((f, len(df))))
    assert calls[0][1] > 0 and calls[-1][0] == 1.0


# --- bounds ----------------------------------------------------------------------------------
BAD = [(FlowConfig, "T", 9), (FlowConfig, "T", 201), (FlowConfig, "rnn_scale", 5.1),
       (FlowConfig, "forget_bias", float("nan")), (FlowConfig, "hidden", 2.5),
       (ClipConfig, "threshold", 0.0), (ClipConfig, "steps", 401), (ClipConfig, "lr_low", 2.0),
       (AddingConfig, "T", 51), (AddingConfig, "lr", 0.0), (AddingConfig, "batch", 8),
       (AddingConfig, "seed", -1), (EchoConfig, "delay", 0), (EchoConfig, "steps", 501)]


@pytest.mark.parametrize("cls,field,value", BAD)
def test_bad_config_names_the_field(cls, field, value):
    with pytest.raises(ValueError, match=field):
        cls(**{field: value})


EXTREMES = {
    "min": [(run_gradient_flow, FlowConfig(T=10, hidden=8, rnn_scale=0.1, forget_bias=-2.0, seed=0)),
            (run_clipping, ClipConfig(scale=0.5, threshold=0.1, lr=0.001, lr_low=0.0001, T=5, steps=10)),
            (run_adding, AddingConfig(T=10, hidden=8, batch=16, steps=50, lr=0.0001, forget_bias=-2.0)),
            (run_echo, EchoConfig(delay=1, T=10, hidden=4, steps=50, lr=0.0001))],
    "max": [(run_gradient_flow, FlowConfig(T=200, hidden=128, rnn_scale=5.0, forget_bias=8.0, seed=9999)),
            (run_clipping, ClipConfig(scale=5.0, threshold=100.0, lr=1.0, lr_low=1.0, T=40, steps=400,
                                      seed=9999)),
            (run_echo, EchoConfig(delay=5, T=30, hidden=64, steps=500, lr=0.1, seed=9999))],
}  # the adding problem's max (T=50, hidden=64, batch=128, steps=600) is timed by hand: see the report


@pytest.mark.parametrize("run,cfg", EXTREMES["min"] + EXTREMES["max"])
def test_extremes_run_without_nan(run, cfg):
    for df in _frames(run(cfg)):
        num = df.select_dtypes("number")
        assert num.apply(lambda c: c.map(math.isfinite)).all().all()


# --- page tests (added with the page) ---
import re  # noqa: E402

from tests.apptest import assert_clean, open_at, open_page  # noqa: E402

PAGE = "4_rnn_gradients.py"
N_CHARTS, N_DIAGRAMS = 9, 2  # flow line + 2 heatmaps, clip loss + norms, adding mse + sequence + gates, echo loss


def _metric(at, label_start):
    return next(m.value for m in at.metric if m.label.startswith(label_start))


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("setting", ["defaults", "min", "max"])
def test_page(lang, setting):
    at = open_at(PAGE, lang, setting)
    assert len(at.get("vega_lite_chart")) == N_CHARTS
    assert len(at.get("graphviz_chart")) == N_DIAGRAMS
    if setting == "defaults":  # the clipping story in words: no_clip explodes; lr_low explained honestly
        assert any("💥" == e.icon for e in at.error)
        assert len(at.info) == 2  # the lower-learning-rate note + the takeaway


def test_page_defaults_show_the_claims():
    at = open_page(PAGE)
    assert float(_metric(at, "RNN: ")) < 1e-3 and 1e-2 <= float(_metric(at, "LSTM: ")) <= 1e2
    assert float(_metric(at, "LSTM test")) < 0.05 and float(_metric(at, "RNN test")) > 0.12
    assert "lr 0.1, no clipping" in at.error[0].value
    note = at.info[0].value
    times = int(re.search(r"\*\*([\d,]+)×\*\*", note).group(1).replace(",", ""))
    assert "does not blow up" in note and times > 100  # lr_low's largest step vs what clipping allows


@pytest.mark.parametrize("name", ["vanishing", "exploding", "clipping", "lstm"])
def test_presets(name):
    at = open_page(PAGE)
    at.button(key=f"preset_rnn_gradients_{name}").click().run()
    assert_clean(at)
    rnn, lstm = float(_metric(at, "RNN: ")), float(_metric(at, "LSTM: "))
    if name == "vanishing":  # PyTorch's forget bias ~0: the LSTM vanishes as well
        assert rnn < 1e-3 and lstm < 1e-3
    elif name == "exploding":
        assert rnn > 1e3 and 1e-2 <= lstm <= 1e2
    elif name == "clipping":
        assert at.select_slider(key="rnn_clip").value == 3.0
        assert not any("+ clipping" in e.value for e in at.error)  # only the unclipped run blows up
    else:
        assert float(_metric(at, "LSTM test")) < 0.05 and float(_metric(at, "RNN test")) > 0.12


@pytest.mark.parametrize("seed", SEEDS)
def test_clipping_preset_learns_without_spikes(seed):
    """The 'clipping saves it' preset (threshold 3): no spike, no blow-up, and the loss goes down."""
    r = run_clipping(ClipConfig(threshold=3.0, seed=seed))
    s, clip = r.summary.set_index("run"), r.history[r.history.run == "clip"]
    assert not s.loc["clip", "diverged"] and s.loc["clip", "n_spikes"] == 0
    assert s.loc["clip", "final_loss"] < clip.loss.iloc[0]
    assert s.loc["no_clip", "diverged"] or s.loc["no_clip", "n_spikes"] > 0


def test_garbage_url_falls_back_with_notice():
    bad = {"rnn_T": "abc", "rnn_scale": "9", "rnn_clip": "<b>1</b>", "rnn_add_T": "-1e309", "rnn_delay": "nan"}
    at = open_page(PAGE, query=bad)
    assert_clean(at)
    warnings = " ".join(w.value for w in at.warning)
    for key in bad:
        assert f"`{key}`" in warnings
    assert at.slider(key="rnn_T").value == FlowConfig().T
    assert at.select_slider(key="rnn_clip").value == ClipConfig().threshold
    assert at.slider(key="rnn_delay").value == EchoConfig().delay
