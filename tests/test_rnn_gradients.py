"""Lesson 5: the memory cell, vanishing/exploding gradients, clipping, RNN vs LSTM on the adding problem, Elman vs
Jordan."""
import dataclasses
import functools
import math

import pandas as pd
import pytest
import torch

from core.rnn_gradients import (LEARNED, NEAR_CHANCE, PAIR, RUNS, SPIKE_FACTOR, AddingConfig, ClipConfig, EchoConfig,
                                FlowConfig, MemoryConfig, crossing, run_adding, run_clipping, run_echo,
                                run_gradient_flow, run_memory, sweep_ratio, top_labels)
from core.rnn_gradients import echo as echo_module
from core.rnn_gradients import exit_step, gate_story, low_lr_story
from tests.results import assert_same_frames, frames
from tests.claims import FIXED, claim_seeds, margin
from ui.lessons import RNN_GRADIENTS

SEEDS = claim_seeds()
EXPLODING = dict(rnn_scale=3.0)  # the page's "exploding" preset for the gradient-flow section
LSTM_EXPLODES = dict(lstm_scale=RNN_GRADIENTS.presets["lstm_explodes"]["lstm_scale"])
_LC = RNN_GRADIENTS.presets["lstm_clipped"]
LSTM_CLIPPED = dict(model="lstm", scale=_LC["rnn_clip_scale"], threshold=_LC["rnn_clip"])
BLOWS_UP = ClipConfig(lr=1.0, steps=50)  # its unclipped run blows up by step ~5 on every seed tried, perturbed too


@functools.cache
def adding(seed):
    return run_adding(AddingConfig(seed=seed))


@functools.cache
def clipping(seed):
    return run_clipping(ClipConfig(seed=seed))


@functools.cache
def echo(seed, delay=EchoConfig.delay):
    return run_echo(EchoConfig(seed=seed, delay=delay))


@functools.cache
def memory(seed):
    return run_memory(MemoryConfig(seed=seed))


# --- claims, on the defaults, over fixed + random seeds (log10 margins for ratios) -----------------
@pytest.mark.parametrize("seed", SEEDS)
def test_rnn_vanishes_below_one_and_explodes_above(seed):
    """Takeaway: below 1 the ratio is at most scale^(T-1) (each step back multiplies the gradient by a matrix of norm
    scale and by tanh' <= 1: a bound, checked here); scale 3: > 1e4 at T = 50, > 1e20 at T = 200 (100 seeds swept:
    smallest 1.2e5 and 1.5e21)."""
    for scale, T in ((0.8, 50), (0.95, 50), (0.5, 10)):
        r = run_gradient_flow(FlowConfig(seed=seed, rnn_scale=scale, T=T))
        margin("rnn flow: ratio below 1 / scale^(T-1) <= 1", seed, r.rnn_ratio / scale ** (T - 1), 1 + 1e-4,
               above=False)
    log = lambda cfg: math.log10(run_gradient_flow(cfg).rnn_ratio)  # noqa: E731
    margin("rnn flow: log10 ratio at scale 3 > 4", seed, log(FlowConfig(seed=seed, **EXPLODING)), 4)
    margin("rnn flow: log10 ratio at scale 3, T 200 > 20", seed, log(FlowConfig(seed=seed, T=200, **EXPLODING)), 20)


@pytest.mark.parametrize("seed", SEEDS)
def test_above_one_is_needed_not_enough(seed):
    """Help text, intro and the 'exploding' say note: above 1 the gradient can grow but need not — at scale 1.25 the
    sweep's ratio is still below 1 (100 seeds swept at T = 50: largest 0.75; the first scale that grows is 1.5 on
    99 of them, 1.75 on one). The page computes its own crossing; crossing() is where the ratio first passes 1."""
    r = run_gradient_flow(FlowConfig(seed=seed))
    margin("rnn sweep: ratio at scale 1.25 < 1", seed, sweep_ratio(r, 1.25), 1, above=False)
    below, above = crossing(r)
    assert sweep_ratio(r, below) <= 1 < sweep_ratio(r, above) and above > 1.25
    assert all(sweep_ratio(r, s) <= 1 for s in r.rnn_sweep.scale.unique() if s < above)


@pytest.mark.parametrize("seed", SEEDS)
def test_lstm_with_default_forget_bias_keeps_gradient(seed):
    """Takeaway: with forget bias 3 the LSTM ratio stays between 0.01 and 10; with ~0 it vanishes."""
    r = run_gradient_flow(FlowConfig(seed=seed))
    margin("lstm flow: log10 ratio > -2", seed, math.log10(r.lstm_ratio), -2)
    margin("lstm flow: log10 ratio < 1", seed, math.log10(r.lstm_ratio), 1, above=False)
    # PyTorch's own init (forget bias ~0) vanishes: this is why the page's default is not 0
    margin("lstm flow: log10 ratio at forget bias 0 < -3", seed,
           math.log10(run_gradient_flow(FlowConfig(seed=seed, forget_bias=0.0)).lstm_ratio), -3, above=False)


@pytest.mark.parametrize("seed", SEEDS)
def test_lstm_fixes_vanishing_not_exploding(seed):
    """The notes' sentence, both halves. 'LSTM explodes too' preset (recurrent scale 10, forget gate open): the
    LSTM's ratio is above 1e4 (the takeaway's number), and the full gradient reaching c_1 above 1e2 (the page's verdict); the cell path alone never grows going
    back (a product of forget gates). Defaults: the cell path alone keeps above 0.01 of the gradient at t = 1."""
    hot = run_gradient_flow(FlowConfig(seed=seed, **LSTM_EXPLODES))
    margin("lstm flow: log10 ratio at lstm scale 10 > 4", seed, math.log10(hot.lstm_ratio), 4)  # 100 seeds: >= 5.05
    margin("lstm cell: log10 all-paths ratio at lstm scale 10 > 2", seed, math.log10(hot.full_cell_ratio), 2)
    default = run_gradient_flow(FlowConfig(seed=seed))
    margin("lstm cell: log10 cell-path ratio at defaults > -2", seed, math.log10(default.cell_ratio), -2)
    for r in (hot, default):  # along the cell state alone every step back multiplies by gates in (0, 1)
        cell = r.cell[r.cell.path == "cell"].grad_norm.to_numpy()  # t = 1 .. T
        assert (cell[:-1] <= cell[1:] * (1 + 1e-5)).all() and r.cell_ratio <= 1 + 1e-5
        lo, mid, hi = r.forget_products  # cell_note: the ratio is a weighted RMS of the units' products
        assert lo * (1 - 1e-4) <= r.cell_ratio <= hi * (1 + 1e-4) and lo <= mid <= hi <= 1


@pytest.mark.parametrize("seed", claim_seeds(2))
def test_clipping_bounds_the_exploding_lstm(seed):
    """'Clipping tames the LSTM' preset: the LSTM's gradient explodes during training (above 1e3), the clipped
    run never blows up and every update stays within lr x threshold."""
    r = run_clipping(ClipConfig(seed=seed, **LSTM_CLIPPED))
    s, clip = r.summary.set_index("run"), r.history[r.history.run == "clip"]
    margin("lstm clipping: log10 largest gradient norm > 3", seed, math.log10(r.history.grad_norm.max()), 3)
    assert not s.loc["clip", "diverged"]
    assert (clip.applied_norm <= LSTM_CLIPPED["threshold"]).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_clipping_bounds_every_step_and_removes_spikes(seed):
    """Takeaway: on the defaults the clipped run never blows up and never spikes, every update within lr x
    threshold, although its gradient itself explodes. (Whether the *unclipped* run explodes depends on the seed:
    the page says so per run, in its error box and table.) These hold under 1e-7 perturbations of the weights too:
    they do not depend on last-bit float differences between CPUs."""
    cfg, r = ClipConfig(seed=seed), clipping(seed)
    clip = r.history[r.history.run == "clip"]
    assert len(clip) == cfg.steps and (clip.applied_norm <= cfg.threshold).all()
    margin("clipping: the clipped run's raw gradient explodes (max / threshold > 100)", seed,
           clip.grad_norm.max() / cfg.threshold, 100)
    s = r.summary.set_index("run")
    assert not s.loc["clip", "diverged"] and s.loc["clip", "n_spikes"] == 0


@pytest.mark.parametrize("seed", SEEDS)
def test_lower_lr_ends_lower_but_still_takes_exploded_steps(seed):
    """Takeaway, on the defaults: the lower learning rate never blows up and ends lower than the clipped run (measured
    over 60 seeds x {as is, 1e-7 weight perturbation}: clipped / lower-lr final loss >= 2.09), yet its largest update
    is more than 10x what clipping allows (lr x threshold; measured >= 57x)."""
    low = low_lr_story(clipping(seed), ClipConfig(seed=seed))
    assert low["outcome"] == "lower", low
    margin("clipping: clipped final loss / lower-lr final loss > 1", seed, low["final_clip"] / low["final"], 1)
    margin("clipping: lr_low's largest step / (lr x threshold) > 10", seed, low["times"], 10)


def test_unclipped_run_often_explodes_or_spikes():
    """Takeaway: the unclipped run 'often' explodes or spikes (measured: 106 of 120 runs, 60 seeds x 2); per seed it
    is chaotic (seed 0 explodes on this CPU, not after a 1e-7 perturbation), so the page says it per run."""
    hit = sum(bool(s.loc["no_clip", "diverged"] or s.loc["no_clip", "n_spikes"] > 0)
              for s in (clipping(seed).summary.set_index("run") for seed in FIXED))
    margin("clipping: unclipped runs that explode or spike, of the 5 fixed seeds (>= 3)", -1, hit, 2.5)


def test_exploded_marker_sits_where_the_run_leaves_the_chart():
    """The red line on the loss chart: the first step above the chart's top, never later than the divergence."""
    r = run_clipping(BLOWS_UP)
    s, h = r.summary.set_index("run"), r.history
    died = int(s.loc["no_clip", "diverged_step"])
    assert died >= 0 and exit_step(r, "clip", math.inf) is None  # the clipped run does not blow up
    top = 10 * h[h.run == "no_clip"].loss.iloc[0]
    left = exit_step(r, "no_clip", top)
    above = h[(h.run == "no_clip") & (h.loss > top)].step
    assert left == (above.min() if len(above) else died) and left <= died
    assert exit_step(r, "no_clip", math.inf) == died  # a chart it never leaves early: the divergence step


def test_spike_definition():
    h = clipping(0).history
    for run in RUNS:
        loss = h[h.run == run].loss.tolist()
        best = [min(loss[:i]) if i else math.inf for i in range(len(loss))]
        assert h[h.run == run].spike.tolist() == [l > SPIKE_FACTOR * b for l, b in zip(loss, best)]


@pytest.mark.parametrize("seed", claim_seeds(3))
def test_adding_problem_lstm_learns_rnn_stalls(seed):
    """Page: the LSTM learns (test MSE far below the 0.167 baseline), the RNN stays near the baseline. Its gates
    (takeaway, 'lstm' say note; 30 seeds swept): averaged over units the forget gate is about as high from the first
    mark to the second as elsewhere (largest gap 0.025), while the most open unit's forget gate stays near 1 from
    the first mark to the end (mean >= 0.986) and keeps >= 0.75 of its value; the input gate is higher at the marked
    steps on all 30 (the page words it from the run either way). (Not claimed: that the input gate *peaks* at a
    marked step — on seed 2428 its highest value is at t = 1, where the state starts empty.)"""
    r = adding(seed)
    margin("adding: LSTM test MSE < 0.05", seed, r.lstm_mse, 0.05, above=False)
    margin("adding: RNN test MSE > 0.12 (baseline 0.167)", seed, r.rnn_mse, 0.12)
    g = gate_story(r)
    margin("adding: |forget between marks - elsewhere| < 0.1 (mean over units)", seed,
           abs(g["between"] - g["outside"]), 0.1, above=False)
    margin("adding: most open unit's forget gate from the first mark on > 0.95", seed, g["top_mean"], 0.95)
    margin("adding: input gate at the marks - elsewhere > 0", seed, g["in_marks"] - g["in_else"], 0)


@pytest.mark.parametrize("seed", claim_seeds(3))
def test_elman_remembers_jordan_passes_on_only_the_last_bit(seed):
    """Echo takeaway and say note (15 seeds swept per delay, Jordan's held-out loss): at delay 1 it gets below chance
    (0.50-0.57 nats) yet far above Elman (< 0.001); from delay 3 on it ends at chance (0.693 on every seed, delays 3
    and 5); Elman learns at every delay."""
    for delay in (1, 3):
        r = echo(seed, delay)
        margin(f"echo: Elman loss at delay {delay} < {LEARNED:.3g} (learned)", seed, r.elman_loss, LEARNED,
               above=False)
    margin("echo: Jordan at delay 1 below chance (< 0.95 ln 2)", seed, echo(seed, 1).jordan_loss, NEAR_CHANCE,
           above=False)
    margin("echo: Jordan at delay 1 far above Elman (> 0.4)", seed, echo(seed, 1).jordan_loss, 0.4)
    margin("echo: Jordan at delay 3 at chance (>= 0.95 ln 2)", seed, echo(seed, 3).jordan_loss, NEAR_CHANCE)


def test_jordan_at_delay_two_depends_on_the_seed():
    """Echo takeaway: 'at delay 2 it depends on the seed' (15 seeds swept: 9 at chance, 6 at 0.63-0.64; of seeds
    0-9, 0-7 at chance and 8, 9 below). Counted over ten seeds, so one seed flipping on another CPU does not matter."""
    jordan = [echo(seed, 2).jordan_loss for seed in range(10)]
    margin("echo: Jordan at delay 2, seeds 0-9 at chance (>= 1)", -1, sum(j >= NEAR_CHANCE for j in jordan), 0.5)
    margin("echo: Jordan at delay 2, seeds 0-9 below chance (>= 1)", -1, sum(j < NEAR_CHANCE for j in jordan), 0.5)


@pytest.mark.parametrize("seed", SEEDS)
def test_memory_cell_gives_the_same_word_two_labels(seed):
    """'memory' say note and question: at step 2 both sentences read 'Taipei', yet the trained net labels it the
    destination after 'arrive' and the place of departure after 'leave' (and the date, step 4, the time of arrival
    or of departure). Swept: 200 seeds, every word of all 8 sentences right, smallest top probability 0.99."""
    r = memory(seed)
    assert r.accuracy == 1.0 and not r.diverged
    two, four = top_labels(r, 2), top_labels(r, 4)
    assert (two["arrive"][0], two["leave"][0], four["arrive"][0], four["leave"][0]) == (
        "destination", "departure", "arrival_time", "departure_time")
    margin("memory: smallest top-label probability at steps 2 and 4 > 0.5", seed,
           min(p for _, p in (*two.values(), *four.values())), 0.5)
    apart = r.apart.set_index(["t", "what"]).distance
    assert apart[(2, "input")] == 0 and apart[(1, "cell")] > 0  # same word, different stored values


def test_memory_frames_follow_the_sentences():
    r = memory(0)
    T, H = len(PAIR[0]), MemoryConfig().hidden
    assert len(r.cell) == 2 * (T + 1) * H and (r.cell[r.cell.t == 0].value == 0).all()  # the cell starts empty
    assert len(r.outputs) == 2 * T * 5 and r.outputs.groupby(["sentence", "t"]).prob.sum().between(0.999, 1.001).all()
    assert r.outputs[r.outputs.true].groupby("sentence").size().tolist() == [T, T]
    assert list(r.apart.columns) == ["t", "word", "what", "distance"] and r.apart.word.iloc[0] == "arrive / leave"


# --- frames ----------------------------------------------------------------------------------
def test_frames_are_tidy():
    r = run_gradient_flow(FlowConfig())
    assert list(r.flow.columns) == ["model", "t", "grad_norm", "log10_norm", "exploded", "vanished"]
    assert set(r.flow.model) == {"rnn", "lstm"} and len(r.flow) == 2 * 50
    assert {"scale", "t", "log10_norm", "exploded"} <= set(r.rnn_sweep.columns)
    a = adding(0)
    assert list(a.history.columns) == ["model", "step", "mse"]
    assert set(a.gates.gate) == {"input", "forget", "output", "forget_top"} and len(a.gates) == 4 * 30
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
    r = run_clipping(BLOWS_UP)
    h = r.history
    assert r.summary.set_index("run").loc["no_clip", "diverged"]
    assert h[["loss", "grad_norm", "applied_norm"]].apply(lambda c: c.map(math.isfinite)).all().all()
    r = run_adding(AddingConfig(steps=50, T=10, lr=0.1, seed=0))  # must not raise, even if it diverges
    assert r.history.mse.map(math.isfinite).all()


def test_echo_divergence_is_reported(monkeypatch):
    """A Jordan loss that turns NaN after 5 steps: reported, its rows stop, Elman trains on untouched."""
    cfg = EchoConfig(T=10, steps=50)
    clean, real, calls = run_echo(cfg), echo_module._echo_loss, []

    def nan_jordan(p, x, delay):
        calls.append(1)
        loss = real(p, x, delay)
        return loss * torch.tensor([1.0, math.nan]) if len(calls) > 5 else loss

    monkeypatch.setattr(echo_module, "_echo_loss", nan_jordan)
    r = run_echo(cfg)
    assert r.diverged == ("jordan",) and r.jordan_loss == math.inf and math.isfinite(r.elman_loss)
    assert r.history.loss.map(math.isfinite).all()
    assert r.history[r.history.model == "jordan"].step.max() == 4
    elman = lambda h: h[h.model == "elman"].reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(elman(r.history), elman(clean.history))  # the models share no weight
    assert clean.diverged == ()


# --- determinism -----------------------------------------------------------------------------
SMALL = [(run_gradient_flow, FlowConfig(T=20, hidden=8)),
         (run_clipping, ClipConfig(T=10, steps=30)),
         (run_adding, AddingConfig(T=10, steps=50, batch=16)),
         (run_echo, EchoConfig(T=10, steps=50)),
         (run_memory, MemoryConfig(steps=20))]


@pytest.mark.parametrize("run,cfg", SMALL)
def test_same_seed_same_frames_other_seed_differs(run, cfg):
    a, c = run(cfg), run(dataclasses.replace(cfg, seed=1))
    assert_same_frames(a, run(cfg))
    assert any(not x.equals(z) for x, z in zip(frames(a), frames(c)))


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


EXTREMES = {
    "min": [(run_gradient_flow, FlowConfig(T=10, hidden=8, rnn_scale=0.1, forget_bias=-2.0, seed=0)),
            (run_clipping, ClipConfig(scale=0.5, threshold=0.1, lr=0.001, lr_low=0.0001, T=5, steps=10)),
            (run_adding, AddingConfig(T=10, hidden=8, batch=16, steps=50, lr=0.0001, forget_bias=-2.0)),
            (run_echo, EchoConfig(delay=1, T=10, hidden=4, steps=50, lr=0.0001)),
            (run_memory, MemoryConfig(hidden=2, steps=20, lr=0.003))],
    "max": [(run_gradient_flow, FlowConfig(T=200, hidden=128, rnn_scale=5.0, forget_bias=8.0, seed=9999)),
            (run_clipping, ClipConfig(scale=5.0, threshold=100.0, lr=1.0, lr_low=1.0, T=40, steps=400,
                                      seed=9999)),
            (run_echo, EchoConfig(delay=5, T=30, hidden=64, steps=500, lr=0.1, seed=9999)),
            (run_memory, MemoryConfig(hidden=32, steps=1000, lr=0.3, seed=9999))],
}  # the adding problem's max (T=50, hidden=64, batch=128, steps=600) is timed by hand: see the report


@pytest.mark.parametrize("run,cfg", EXTREMES["min"] + EXTREMES["max"])
def test_extremes_run_without_nan(run, cfg):
    for df in frames(run(cfg)):
        num = df.select_dtypes("number")
        assert num.apply(lambda c: c.map(math.isfinite)).all().all()


# --- the words the page shows ---
import json  # noqa: E402
import re  # noqa: E402

from tests.apptest import assert_clean, click_preset, metric, open_link, open_page  # noqa: E402
from tests.conftest import ROOT  # noqa: E402
from ui.i18n import catalogue  # noqa: E402

PAGE = RNN_GRADIENTS.page



def test_page_defaults_show_the_claims():
    at = open_page(PAGE)  # a plain link opens the first tab only: nothing else trains
    assert float(metric(at, "RNN: ")) < 1e-3 and 1e-2 <= float(metric(at, "LSTM: ")) <= 1e2
    assert len(at.get("graphviz_chart")) == 0 and f"bias 3.0: {metric(at, 'LSTM: ')}" in at.info[-1].value
    r = run_gradient_flow(FlowConfig())  # the takeaway's bound and crossing are this run's
    below, above = crossing(r)
    assert f"at most 0.8⁴⁹ ≈ {0.8 ** 49:.1e}" in at.info[-1].value
    assert f"still shrinks at scale {below} (ratio {sweep_ratio(r, below):.1e})" in at.info[-1].value
    assert f"first grows at {above}" in at.info[-1].value
    lo, mid, hi = r.forget_products
    assert any(f"here from {lo:.1e}" in m.value and f"to {hi:.1e}" in m.value for m in at.markdown)
    at = open_page(PAGE, query={"rnn_tab": "adding"})
    assert float(metric(at, "LSTM test")) < 0.05 and float(metric(at, "RNN test")) > 0.12
    at = open_page(PAGE, query={"rnn_tab": "echo"})
    assert len(at.get("graphviz_chart")) == 2  # the Elman and Jordan diagrams
    assert f"({float(metric(at, 'Jordan')):.3g} nats; chance 0.693)" in at.info[-1].value
    at = open_page(PAGE, query={"rnn_tab": "memory"})
    assert metric(at, "Words labelled right") == "100%" and at.slider(key="rnn_mem_step").value == 2
    assert "so the outputs differ: **destination**" in at.info[0].value
    at.slider(key="rnn_mem_step").set_value(1).run()  # replay: step 1, the only step whose inputs differ
    assert_clean(at)
    assert at.info[0].value.startswith("**Step 1**") and "gives it two different labels" in at.info[-1].value
    at = open_page(PAGE, query={"rnn_tab": "clip"})
    assert not any("+ clipping" in e.value or "lr 0.01" in e.value for e in at.error)  # only no_clip may blow up
    note = at.info[0].value
    times = int(re.search(r"\*\*([\d,]+)×\*\*", note).group(1).replace(",", ""))
    assert "On this run it did better than clipping" in note and times > 10  # lr_low's largest step vs clipping's
    low = low_lr_story(clipping(0), ClipConfig())
    assert f"{low['final']:.3g}" in note and f"{low['final_clip']:.3g}" in note
    takeaway = at.info[-1].value  # the clipping tab's own takeaway quotes this run
    assert f"this run: {times:,}×" in takeaway and "ends lower than the clipped run on every seed we test" in takeaway


def test_an_old_link_opens_the_tab_its_values_are_about():
    """Links made before the page had tabs carry no rnn_tab: the last section they move off its defaults opens."""
    at = open_page(PAGE, query={"rnn_clip": "3", "rnn_T": "50"})
    assert_clean(at)
    assert at.session_state["rnn_tab"] == "Clipping" and at.select_slider(key="rnn_clip").value == 3.0


@pytest.mark.parametrize("entry", [e for e in json.loads((ROOT / "tests" / "legacy_links.json").read_text(
    encoding="utf-8")) if e["link"].startswith("/rnn_gradients") and "lang=en" in e["link"]], ids=lambda e: e["preset"])
def test_old_preset_links_open_the_tab_they_opened(entry):
    """Links made before the tabs (and before the memory-cell tab, which comes last so that they never open it): the
    'lstm' link holds only defaults and opens the first tab, as it did; the others open the tab their values move."""
    at = open_link(PAGE, entry["link"])
    assert_clean(at)
    opened = {"clipping": "clip"}.get(entry["preset"].split("/")[1], "flow")
    assert at.session_state["rnn_tab"] == catalogue("en")[f"rnn_gradients.tab.{opened}"]


@pytest.mark.parametrize("name", list(RNN_GRADIENTS.presets))
def test_presets_show_their_story(name):
    at = open_page(PAGE)
    click_preset(at, RNN_GRADIENTS, name)
    assert_clean(at)
    tab = RNN_GRADIENTS.presets[name]["rnn_tab"]
    assert at.session_state["rnn_tab"] == catalogue("en")[f"rnn_gradients.tab.{tab}"]  # the preset opened its tab
    if tab == "flow":
        rnn, lstm = float(metric(at, "RNN: ")), float(metric(at, "LSTM: "))
    if name == "memory":
        assert at.slider(key="rnn_mem_step").value == 2 and "the outputs differ" in at.info[0].value
    elif name == "vanishing":  # PyTorch's forget bias ~0: the LSTM vanishes as well
        assert rnn < 1e-3 and lstm < 1e-3
    elif name in ("exploding", "forget_gate"):  # the RNN explodes or vanishes; the open-gated LSTM does neither
        assert (rnn > 1e3 if name == "exploding" else rnn < 1e-3) and 1e-2 <= lstm <= 1e2
    elif name == "clipping":
        assert at.select_slider(key="rnn_clip").value == 3.0
        assert not any("+ clipping" in e.value for e in at.error)  # only the unclipped run blows up
    elif name == "lstm_explodes":  # the LSTM explodes, and the page says it is the notes' other half
        assert lstm > 1e2 and float(metric(at, "LSTM cell path")) <= 1
        assert any("the LSTM fixes vanishing, not exploding" in m.value for m in at.markdown)
    elif name == "lstm_clipped":
        assert at.radio(key="rnn_model").value == "lstm"
        assert not any("+ clipping" in e.value for e in at.error)
    elif name == "echo":
        assert at.slider(key="rnn_delay").value == 3 and "in this run it ends at chance" in at.info[-1].value
    else:
        assert float(metric(at, "LSTM test")) < 0.05 and float(metric(at, "RNN test")) > 0.12


@pytest.mark.parametrize("seed", SEEDS)
def test_clipping_preset_never_blows_up_or_spikes(seed):
    """The 'clipping caps the steps' preset (threshold 3): no spike, no blow-up, every update within lr x 3.
    (Whether its loss ends below where it started is chaotic in this regime: it differed between CPUs, so the
    page does not claim it.)"""
    r = run_clipping(ClipConfig(threshold=3.0, seed=seed))
    s, clip = r.summary.set_index("run"), r.history[r.history.run == "clip"]
    assert not s.loc["clip", "diverged"] and s.loc["clip", "n_spikes"] == 0
    assert (clip.applied_norm <= 3.0).all()
