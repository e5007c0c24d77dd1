"""Lesson: activation functions — one piece, pieces adding up to a curve, the vocabulary."""
import dataclasses
import functools
import math

import pytest

from core.activations import (ACTS, K_LADDER, N_KINKS, TARGETS, FitConfig, PieceConfig, parameter_count, run_fit,
                              run_piece)
from tests.apptest import assert_clean, click_preset, metric, open_page
from tests.results import assert_same_frames
from tests.claims import claim_seeds, margin
from ui.lessons import ACTIVATIONS

SEEDS = claim_seeds()
PRESETS = ACTIVATIONS.presets
SLACK = 5e-3  # "non-increasing": a larger k may end at most this much (relative error) above a smaller one


@functools.cache
def fit(seed: int, **kw) -> object:
    return run_fit(FitConfig(seed=seed, **kw))


# --- claims, over fixed + random seeds ----------------------------------------------------------
@pytest.mark.parametrize("c,b,w", [(1.0, 0.0, 1.0), (1.0, 0.0, 20.0), (1.5, -2.0, 2.0), (-3.0, 10.0, -30.0),
                                   (3.0, -10.0, 30.0), (0.7, 3.5, 0.0)])
def test_hard_sigmoid_is_exactly_two_relus(c, b, w):
    """c*(ReLU(z) - ReLU(z - 1)) == c*clamp(z, 0, 1) on the whole grid, slider extremes included."""
    assert run_piece(PieceConfig(c=c, b=b, w=w)).identity_gap < 1e-6


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("seed", SEEDS)
def test_more_pieces_fit_better(seed, target):
    """At k = 32 the error is at least 10x below k = 1, both targets and activations. On the kinked target (the
    default) the error against k never rises by more than SLACK. (On the sine a ReLU net of 4 or 8 units now and
    then ends in a local minimum near 0.07, above a smaller net: the page does not claim the sine's curve falls
    steadily.)"""
    sweep = fit(seed, target=target).sweep
    for a in ACTS:
        err = sweep[sweep.act == a].set_index("k").rel_mse.reindex(K_LADDER)
        margin(f"{target} {a}: log10 error k=1 / k=32 > 1", seed, math.log10(err[1] / err[32]), 1)
        if target == "kinks":
            rise = max(err.iloc[i + 1] - err.iloc[: i + 1].min() for i in range(len(err) - 1))
            margin(f"kinks {a}: largest rise of the error with k < {SLACK}", seed, rise, SLACK, above=False)


@pytest.mark.parametrize("seed", SEEDS)
def test_relu_with_twice_the_kinks_fits_the_kinked_target(seed):
    """ReLU, k >= 2 x the target's kinks: relative MSE below 1e-2 (log10 margin)."""
    r = fit(seed, units=2 * N_KINKS, act="relu")
    margin("kinks relu k=6: log10 relative error < -2", seed, math.log10(r.rel_mse), -2, above=False)


@pytest.mark.parametrize("seed", SEEDS)
def test_three_pieces_preset_fits_three_kinks(seed):
    """The 'three pieces' preset (the default): a constant + 3 ReLUs fit the 3-kink curve; the page calls it exact
    below 1e-4, so this is claimed with margin."""
    r = fit(seed)
    margin("kinks relu k=3: log10 relative error < -4", seed, math.log10(r.rel_mse), -4, above=False)
    assert r.dead == 0


# --- behaviour --------------------------------------------------------------------------------
def test_frames_are_tidy_and_consistent():
    cfg = FitConfig(units=5, steps=100, restarts=2)
    r = run_fit(cfg)
    assert set(r.pieces.unit) == set(range(6)) and len(r.params) == 6 and parameter_count(5) == 16
    total = r.pieces.groupby("x").y.sum().to_numpy()  # the pieces and the constant add up to the fit
    assert abs(total - r.fit.y.to_numpy()).max() < 1e-4
    assert set(r.sweep.k) == set(K_LADDER) and set(r.sweep.act) == set(ACTS)
    assert r.history.step.iloc[-1] == cfg.steps and r.history.rel_mse.is_monotonic_decreasing  # best so far


SMALL = [(run_piece, PieceConfig(w=3.0)), (run_fit, FitConfig(steps=100, restarts=2))]


@pytest.mark.parametrize("run,cfg", SMALL)
def test_same_seed_sameframes(run, cfg):
    a = run(cfg)
    assert_same_frames(a, run(cfg))
    if run is run_fit:  # another seed starts elsewhere
        assert not run(dataclasses.replace(cfg, seed=1)).fit.equals(a.fit)


def test_progress_is_called_early_and_at_the_end():
    calls = []
    run_fit(FitConfig(steps=300, restarts=1), progress=lambda frac, frame: calls.append(frac))
    assert calls[0] == 0.0 and calls[-1] == 1.0 and len(calls) >= 3


def test_bad_config_is_refused():
    for bad in (dict(units=0), dict(units=33), dict(act="tanh"), dict(lr=0.5), dict(restarts=7)):
        with pytest.raises(ValueError):
            FitConfig(**bad)
    with pytest.raises(ValueError):
        PieceConfig(w=31.0)


def test_extremes_run_without_nan():
    r = run_fit(FitConfig(units=32, act="sigmoid", lr=0.1, steps=200, restarts=1))
    assert r.history.rel_mse.map(math.isfinite).all() and math.isfinite(r.rel_mse)


# --- page -------------------------------------------------------------------------------------

def test_page_defaults_tell_the_story():
    at = open_page(ACTIVATIONS.page)
    assert_clean(at)
    assert float(metric(at, "Relative error")) < 1e-4 and metric(at, "Parameters") == "10"
    assert any("exact fit" in m.value for m in at.markdown)
    assert len(at.get("graphviz_chart")) == 1 and any("**10** numbers" in m.value for m in at.markdown)


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_show_their_story(name):
    at = open_page(ACTIVATIONS.page)
    click_preset(at, ACTIVATIONS, name)
    assert_clean(at)
    text = " ".join(m.value for m in at.markdown)
    if name == "step":  # 10%-90% width 4.39/20 = 0.22 of an x range of 8: a step
        assert "practically a step" in text
    elif name == "one_sigmoid":
        assert "practically a step" not in text
    elif name == "many_pieces":
        assert metric(at, "Parameters") == "97" and float(metric(at, "Relative error")) < 1e-2
    elif name == "sigmoid_vs_relu":  # on the sine, 8 sigmoid pieces beat 8 ReLU pieces
        r = fit(0, target="sine", units=8, act="sigmoid")
        relu = r.sweep.set_index(["act", "k"]).rel_mse[("relu", 8)]
        assert r.rel_mse < relu
