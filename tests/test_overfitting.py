"""Overfitting lesson: determinism, bounds, extremes, divergence, and the page's claims."""
import dataclasses
import functools

import pandas as pd
import pytest
import torch

from core.overfitting import (CVConfig, RemedyConfig, ReliabilityConfig, SweepConfig, run_cv,
                              run_reliability, run_remedies, run_sweep)
from core.overfitting_data import init_ladder, jitter_grid, noisy, train_ladder
from core.lab import generator

SMALL = dict(n_train=12, epochs=60, max_depth=3, width=8)


def frames(result):
    """Every DataFrame field of a result dataclass."""
    return [v for v in dataclasses.astuple(result) if isinstance(v, pd.DataFrame)]


@pytest.mark.parametrize("run,cfg", [
    (run_sweep, SweepConfig), (run_remedies, RemedyConfig), (run_cv, CVConfig),
    (run_reliability, lambda **k: ReliabilityConfig(n_seeds=5, **k))])
def test_same_seed_same_frames_other_seed_differs(run, cfg):
    a, b, c = run(cfg(**SMALL)), run(cfg(**SMALL)), run(cfg(**SMALL, seed=1))
    for fa, fb in zip(frames(a), frames(b)):
        pd.testing.assert_frame_equal(fa, fb)
    assert any(not fa.equals(fc) for fa, fc in zip(frames(a), frames(c)))


@pytest.mark.parametrize("cls,field,value", [
    (SweepConfig, "n_train", 7), (SweepConfig, "noise", -0.1), (SweepConfig, "max_depth", 7),
    (SweepConfig, "width", 49), (SweepConfig, "epochs", 49), (SweepConfig, "lr", 1.0),
    (SweepConfig, "seed", 10000), (SweepConfig, "weight_decay", 0.2), (SweepConfig, "restarts", 4),
    (RemedyConfig, "data_factor", 5), (RemedyConfig, "narrow_width", 64),
    (RemedyConfig, "repeats", 0), (RemedyConfig, "weight_decay", 0.0),
    (CVConfig, "folds", 11), (CVConfig, "n_train", 25), (CVConfig, "leave_one_out", 1),
    (CVConfig, "width", 33), (CVConfig, "epochs", 501), (RemedyConfig, "epochs", 501), (RemedyConfig, "n_train", 25),
    (ReliabilityConfig, "n_seeds", 21), (ReliabilityConfig, "epochs", 301), (ReliabilityConfig, "n_train", 21)])
def test_bad_config_names_the_field(cls, field, value):
    with pytest.raises(ValueError, match=field):
        cls(**{field: value})


def test_progress_is_called_early_and_at_the_end():
    calls = []
    run_sweep(SweepConfig(**SMALL), lambda f, df: calls.append((f, df)))
    assert calls[0][0] == 0.0 and calls[-1][0] == 1.0 and len(calls) >= 3
    assert set(calls[-1][1].columns) == {"depth", "epoch", "split", "loss"}


@pytest.mark.parametrize("run,cfg", [
    (run_sweep, SweepConfig(n_train=8, noise=0.0, max_depth=2, width=4, epochs=50, lr=1e-4,
                            weight_decay=0.0, restarts=1, seed=0)),
    (run_remedies, RemedyConfig(n_train=8, noise=0.0, max_depth=2, width=4, epochs=50, lr=1e-4,
                                data_factor=2, weight_decay=1e-4, narrow_width=2, repeats=1)),
    (run_cv, CVConfig(n_train=8, max_depth=2, width=4, epochs=50, folds=2)),
    (run_cv, CVConfig(n_train=8, max_depth=2, width=4, epochs=50, leave_one_out=True)),
    (run_reliability, ReliabilityConfig(n_train=8, max_depth=2, width=4, epochs=50, n_seeds=5,
                                        folds=2))])
def test_min_configs_run(run, cfg):
    for f in frames(run(cfg)):
        assert not f.select_dtypes("number").isna().any().any()


def test_largest_sweep_runs():
    # the costliest setting of the page (~10 s on one core, bench: the other sections' maxima are cheaper);
    # lr 0.01, not the max 0.1, so that nothing diverges early and every model trains every epoch
    cfg = SweepConfig(n_train=SweepConfig.N_MAX, noise=1.5, max_depth=6, width=SweepConfig.WIDTH_MAX,
                      epochs=SweepConfig.EPOCHS_MAX, lr=0.01, weight_decay=0.1, restarts=3, seed=9999)
    r = run_sweep(cfg)
    assert not r.diverged and len(r.models) == 7
    for f in frames(r):
        assert not f.select_dtypes("number").isna().any().any()


def test_divergence_is_flagged_not_raised():
    g = generator(0)
    x = jitter_grid(10, g)[None]
    y = noisy(x, 0.1, g) * 1e30                                    # forces inf losses
    lad = init_ladder(1, 3, 8, torch.tensor([8]), g)
    t = train_ladder(lad, x, y, torch.ones(1, 10), x, y, torch.ones(1, 10), epochs=20, lr=0.1,
                     wd=torch.zeros(1), log_every=1)
    assert not bool(t.alive.all())
    for tr, va, ok in zip(t.train, t.val, t.ok):
        assert torch.isfinite(tr[ok]).all() and torch.isfinite(va[ok]).all()


# ---- the page's claims, on the defaults, over several seeds
@functools.cache
def sweep_of(seed: int, **kw) -> object:
    """run_sweep on the defaults (+ kw), once per test session."""
    return run_sweep(SweepConfig(seed=seed, **kw))


@pytest.fixture(scope="module", params=range(5))
def sweep(request):
    return sweep_of(request.param)


def test_train_loss_non_increasing_with_capacity(sweep):
    # "flat" = within a tenth of the irreducible noise variance (noise**2)
    tol = 0.1 * SweepConfig().noise ** 2
    assert sweep.models.train_loss.diff().dropna().max() <= tol


def test_val_loss_has_interior_minimum(sweep):
    assert 0 < sweep.best_depth < SweepConfig().max_depth


@pytest.fixture(scope="module", params=range(5))
def remedies(request):
    return run_remedies(RemedyConfig(seed=request.param)).gaps.set_index("remedy")


@pytest.mark.parametrize("remedy", ["more data", "weight decay"])
def test_remedy_shrinks_gap_of_largest_model(remedies, remedy):
    assert remedies.loc[remedy, "gap"] < remedies.loc["none", "gap"]


def test_kfold_picks_near_best_more_often_than_single_split():
    # reduced budget (narrower nets, fewer epochs) as the issue allows; 20 data sets
    r = run_reliability(ReliabilityConfig())   # defaults: 20 data sets, width 16, 300 epochs
    rate = r.summary.set_index("method").rate
    assert rate["k-fold"] > rate["single split"]

# --- page tests (added with the page) ---

@pytest.mark.parametrize("seed", range(3))
def test_preset_stories_hold(seed):
    """Overfit: the deepest net's gap is large; just right (the best depth): a smaller gap; the presets
    'more data' (n_train=100) and 'weight decay' (0.01) shrink the deepest net's gap."""
    r = sweep_of(seed)
    gaps = r.models.set_index("depth").gap
    assert gaps.iloc[-1] > SweepConfig().noise ** 2
    assert gaps[r.best_depth] < gaps.iloc[-1]
    for kw in (dict(n_train=100), dict(weight_decay=0.01)):
        assert sweep_of(seed, **kw).models.gap.iloc[-1] < gaps.iloc[-1]


# --- page tests (added with the page) ---
from tests.apptest import assert_clean, open_page, set_all  # noqa: E402

PAGE = "2_overfitting.py"
TABS = {"capacity": ("of", 3), "remedies": ("ofr", 1), "cv": ("ofc", 1), "reliability": ("ofk", 1)}  # prefix, charts


def open_section(at) -> set[str]:
    """Prefixes of the sections whose controls are on the page (lazy tabs: only the open one)."""
    return {s.key.rsplit("_n_train", 1)[0] for s in at.slider if s.key.endswith("_n_train")}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("setting", ["defaults", "min", "max"])
@pytest.mark.parametrize("tab", list(TABS))
def test_page(tab, setting, lang):
    at = open_page(PAGE, lang, {"of_tab": tab})
    assert_clean(at)
    if setting != "defaults":
        set_all(at, setting)
        assert_clean(at)
    prefix, n_charts = TABS[tab]
    assert open_section(at) == {prefix}
    assert len(at.get("vega_lite_chart")) == n_charts


def test_tab_link_works_in_the_other_language_and_is_shared():
    at = open_page(PAGE, "zh", {"of_tab": "Cross-validation"})
    assert_clean(at)
    assert open_section(at) == {"ofc"}
    share = at.code[0].value
    assert "of_tab=" in share and "ofc_folds=5" in share


def test_presets():
    at = open_page(PAGE, query={"of_tab": "remedies"})
    at.button(key="preset_overfitting_overfit").click().run()
    assert_clean(at)
    assert open_section(at) == {"of"}                 # every preset opens the capacity tab
    gap = lambda: float(at.metric[2].value)            # noqa: E731 — the shown depth's gap (val - train)
    overfit = gap()
    for name, key, value in (("more_data", "of_n_train", 100), ("weight_decay", "of_weight_decay", 0.01)):
        at.button(key=f"preset_overfitting_{name}").click().run()
        assert_clean(at)
        assert at.session_state[key] == value and gap() < overfit
    at.button(key="preset_overfitting_just_right").click().run()
    assert_clean(at)
    assert at.radio(key="of_show").value == "best" and at.slider(key="of_n_train").value == 20
    assert gap() < overfit


def test_garbage_url_falls_back_with_notice():
    at = open_page(PAGE, query={"of_tab": "nonsense", "of_n_train": "1e9", "of_show": "<b>x</b>",
                                "ofc_folds": "abc", "of_weight_decay": "-1"})
    assert_clean(at)
    warnings = " ".join(w.value for w in at.warning)
    for key in ("of_n_train", "of_show", "ofc_folds", "of_weight_decay"):
        assert f"`{key}`" in warnings
    assert open_section(at) == {"of"}
    assert at.slider(key="of_n_train").value == SweepConfig().n_train

