"""Overfitting lesson: determinism, bounds, extremes, divergence, and the page's claims."""
import dataclasses
import functools

import pandas as pd
import pytest
import torch

from core.overfitting import (CVConfig, RemedyConfig, ReliabilityConfig, SweepConfig, run_cv,
                              run_reliability, run_remedies, run_sweep)
from core.overfitting.data import jitter_grid, noisy
from core.overfitting.ladder import forward, init_ladder, train_ladder
from core.overfitting.reference import sequential
from core.lab import generator, params
from tests.claims import claim_seeds, margin

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
    p = params(SweepConfig)
    cfg = SweepConfig(n_train=p["n_train"].hi, noise=1.5, max_depth=6, width=max(p["width"].options),
                      epochs=p["epochs"].hi, lr=0.01, weight_decay=0.1, restarts=3, seed=9999)
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


def test_sequential_reference_matches_the_batched_ladder():
    g = generator(0)
    D, W, G = 3, 8, 2
    lad = init_ladder(G, D, W, torch.full((G,), W), g)
    x = torch.linspace(-1.5, 1.5, 41)                               # (N,)
    y = forward(lad, x.expand(G, -1)).detach()                      # ((D+1)*G, N)
    for d in range(D + 1):
        for grp in range(G):
            with torch.no_grad():
                ref = sequential(lad, d, grp)(x[:, None])[:, 0]
            assert torch.allclose(ref, y[d * G + grp], atol=1e-6), (d, grp)


def test_cv_picks_and_outcome_follow_the_losses():
    """The k-fold pick, each single split's pick, the verdict's outcome and excess agree with the frames."""
    for cfg in (CVConfig(**SMALL, seed=3), CVConfig(**SMALL, leave_one_out=True)):
        r = run_cv(cfg)
        val = r.folds.pivot(index="fold", columns="depth", values="val_loss")
        assert r.selected_depth == int(val.mean().idxmin()) == int(r.summary.set_index("depth").cv_mean.idxmin())
        assert r.single_split_depths == tuple(int(d) for d in val.idxmin(axis=1))
        assert r.test_best_depth == int(r.summary.set_index("depth").test_loss.idxmin())
        off = abs(r.selected_depth - r.test_best_depth)
        assert r.outcome == ("hit" if off == 0 else "near" if off == 1 else "miss")
        assert r.excess(r.test_best_depth) == 0 and r.excess(r.selected_depth) >= 0 and r.single_split_excess() >= 0


def test_remedy_table_judges_by_validation_loss():
    """val_drop is the drop of the deepest net's validation loss against no remedy; shrink, the gap's."""
    g = run_remedies(RemedyConfig(**SMALL, repeats=1)).gaps.set_index("remedy")
    pd.testing.assert_series_equal(g.val_drop, g.val_loss["none"] - g.val_loss, check_names=False)
    pd.testing.assert_series_equal(g.shrink, g.gap["none"] - g.gap, check_names=False)


def test_narrow_width_is_capped_at_width():
    # any pair of valid values is a valid config: the simpler family is capped at width
    r = run_remedies(RemedyConfig(**SMALL, narrow_width=32, repeats=1))
    assert len(r.gaps) == 5


# ---- the page's claims, on the defaults, over fixed + random seeds (margins in the summary)
NOISE = SweepConfig().noise ** 2  # the irreducible loss: the noise variance


@functools.cache
def sweep_of(seed: int, **kw) -> object:
    """run_sweep on the defaults (+ kw), once per test session."""
    return run_sweep(SweepConfig(seed=seed, **kw))


@pytest.mark.parametrize("seed", claim_seeds())
def test_the_deepest_net_memorises_and_the_line_underfits(seed):
    """Takeaway: the deepest net fits its training points below the noise level, yet a shallower net does better on
    new points ('just right': the best depth is not the deepest); intro: validation loss drops from the line's."""
    m = sweep_of(seed).models.set_index("depth")
    deepest = m.iloc[-1]
    margin("overfitting: deepest train loss < noise/2", seed, deepest.train_loss, NOISE / 2, above=False)
    margin("overfitting: deepest gap (val - train) > noise/2", seed, deepest.gap, NOISE / 2)
    margin("overfitting: deepest val loss / best val loss > 1", seed, deepest.val_loss / m.val_loss.min(), 1)
    margin("overfitting: the line's val loss - the best val loss > 0.1", seed, m.val_loss[0] - m.val_loss.min(), 0.1)
    assert m.train_loss.iloc[-1] < m.train_loss[sweep_of(seed).best_depth]  # training loss prefers the deep net


def test_the_turn_usually_comes_at_one_or_two_hidden_layers():
    """Capacity intro: 'here the turn usually comes at 1-2 hidden layers' (39 of seeds 0-39; 3 once)."""
    seeds = claim_seeds()
    shallow = sum(sweep_of(s).best_depth in (1, 2) for s in seeds)
    margin("overfitting: seeds whose best depth is 1 or 2 (of the claim seeds), > all but one", -1, shallow, len(seeds) - 1.5)


@pytest.mark.parametrize("seed", claim_seeds(3))
def test_weight_decay_and_early_stopping_lower_validation_loss(seed):
    """Takeaway: on every seed weight decay and early stopping lower the deepest net's validation loss; more
    data and a narrower net are only said to *usually* shrink the gap (see the next test)."""
    g = remedies_of(seed)
    for remedy in ("weight decay", "early stopping"):
        margin(f"overfitting: {remedy} lowers the deepest net's val loss", seed,
               g.loc["none", "val_loss"] - g.loc[remedy, "val_loss"], 0)


def test_more_data_and_a_narrower_net_usually_lower_validation_loss():
    """Takeaway: more data and a narrower net 'usually' lower the deepest net's validation loss, 'not on every seed'
    (seeds 0-29: 27 and 26 of 30): on average over the claim seeds (the tab shows each run's)."""
    seeds = claim_seeds(3)
    for remedy in ("more data", "simpler family"):
        drop = sum(remedies_of(s).loc["none", "val_loss"] - remedies_of(s).loc[remedy, "val_loss"] for s in seeds)
        margin(f"overfitting: {remedy} lowers the deepest val loss on average", -1, drop / len(seeds), 0)


@functools.cache
def remedies_of(seed: int):
    return run_remedies(RemedyConfig(seed=seed)).gaps.set_index("remedy")


@pytest.mark.parametrize("seed", claim_seeds(3))
def test_preset_stories_hold(seed):
    """Overfit: the deepest net's gap is large; just right (the best depth): a smaller gap; the presets
    'more data' (n_train=100) and 'weight decay' (0.01) shrink the deepest net's gap, and with 100 points the
    deepest net's training loss stays nearer the noise floor (more_data's note: it can no longer memorise)."""
    r = sweep_of(seed)
    gaps = r.models.set_index("depth").gap
    margin("overfitting preset 'just right': deepest gap - best depth's gap", seed, gaps.iloc[-1] - gaps[r.best_depth], 0)
    for name, kw in (("more data", dict(n_train=100)), ("weight decay", dict(weight_decay=0.01))):
        margin(f"overfitting preset '{name}' shrinks the deepest gap", seed,
               gaps.iloc[-1] - sweep_of(seed, **kw).models.gap.iloc[-1], 0)
    more = sweep_of(seed, n_train=100).models.train_loss.iloc[-1]
    margin("overfitting preset 'more data': deepest train loss (100 points) / (20 points) > 1", seed,
           more / r.models.train_loss.iloc[-1], 1)
    margin("overfitting preset 'more data': deepest train loss (100 points) < noise floor", seed, more, NOISE,
           above=False)


def test_cv_default_seed_tells_the_story_of_its_two_moments():
    """CVConfig's comment and the 'single split' / 'k-fold' moments on the default seed 0: k-fold picks the truly
    best depth, the first fold alone does not (margins: the runner-up's mean fold loss, and the single split's)."""
    r = run_cv(CVConfig())
    assert r.outcome == "hit" and r.single_outcome == "miss"
    cv = r.summary.set_index("depth").cv_mean
    margin("overfitting cv seed 0: runner-up's k-fold mean / the pick's", 0, cv.drop(r.selected_depth).min() / cv.min(), 1)
    one = r.folds[r.folds.fold == 0].set_index("depth").val_loss
    margin("overfitting cv seed 0: one split's runner-up / its pick", 0, one.drop(one.idxmin()).min() / one.min(), 1)
    test = r.summary.set_index("depth").test_loss
    margin("overfitting cv seed 0: runner-up's test loss / the best's", 0, test.drop(r.test_best_depth).min() / test.min(), 1)


def test_k_fold_picks_closer_to_the_best_depth_on_average():
    """Takeaway: k-fold is better on average: over the reliability tab's 20 data sets, the depth it picks scores
    closer to the best test loss than a single split's (averaged over the claim seeds; the tab shows each run's)."""
    diffs = []
    for s in claim_seeds(1):
        x = run_reliability(ReliabilityConfig(seed=s)).summary.set_index("method").excess
        diffs.append(x["single split"] - x["k-fold"])
    margin("overfitting: single split's mean excess test loss - k-fold's", -1, sum(diffs) / len(diffs), 0)


# --- the words the page shows ---
from tests.apptest import assert_clean, click_preset, open_page  # noqa: E402
from ui.lessons import OVERFITTING  # noqa: E402


def test_presets_show_their_story():
    """On the page: the deepest net's gap (val - train) shrinks under 'more data' and 'weight decay', and the
    best depth ('just right') has a smaller gap than the deepest ('overfit')."""
    at = open_page(OVERFITTING.page, query={"of_tab": "remedies"})
    at.button(key="preset_overfitting_overfit").click().run()
    assert_clean(at)
    gap = lambda: float(at.metric[2].value)            # noqa: E731 — the shown depth's gap (val - train)
    overfit = gap()
    for name in ("more_data", "weight_decay", "just_right"):
        click_preset(at, OVERFITTING, name)
        assert_clean(at)
        assert gap() < overfit, name


def test_show_offers_only_the_depths_the_ladder_has():
    """An old link asking for a net deeper than the ladder opens (no exception) on the deepest, and says so."""
    at = open_page(OVERFITTING.page, query={"of_show": "6", "of_max_depth": "3", "of_n_train": "8", "of_epochs": "50"})
    assert_clean(at)
    radio = at.radio(key="of_show")
    assert radio.value == "deepest" and list(radio.options) == ["best", "deepest", "0", "1", "2", "3"]
    assert any("6" in c.value and "3" in c.value for c in at.caption)  # the fallback is said on the page
    assert at.metric[0].label.startswith("Depth 3")


def test_remedy_metrics_are_validation_losses_coloured_by_their_change():
    """Each remedy's metric is its validation loss; the delta is the change against no remedy (down = good)."""
    query = {"of_tab": "remedies", "ofr_weight_decay": "0.1", "ofr_epochs": "100", "ofr_repeats": "1"}
    at = open_page(OVERFITTING.page, query=query)
    assert_clean(at)
    g = run_remedies(RemedyConfig(epochs=100, repeats=1, weight_decay=0.1)).gaps
    for m, x in zip(at.metric, g.iloc[1:].itertuples()):
        assert float(m.value) == pytest.approx(x.val_loss, abs=1e-3)
        assert float(m.delta) == pytest.approx(-x.val_drop, abs=1e-3)
        assert m.proto.color == (m.proto.RED if x.val_drop < 0 else m.proto.GREEN)  # a falling val loss is good


def test_cv_verdict_says_what_the_run_found():
    """The box names k-fold's pick and the truly best depth; a miss is a warning, a hit a success."""
    at = open_page(OVERFITTING.page, query={"of_tab": "cv", "ofc_epochs": "100"})
    assert_clean(at)
    r = run_cv(CVConfig(epochs=100))
    box = {"hit": at.success, "near": at.info, "miss": at.warning}[r.outcome]
    text = " ".join(b.value for b in box)
    assert f"**{r.selected_depth}**" in text and ", ".join(map(str, r.single_split_depths)) in text


def test_one_split_view_shows_the_first_fold_and_its_pick():
    """'One split only': the verdict names the first fold's pick (not k-fold's) and how many points it holds out."""
    at = open_page(OVERFITTING.page, query={"of_tab": "cv", "ofc_epochs": "100", "ofc_single": "true"})
    assert_clean(at)
    r = run_cv(CVConfig(epochs=100))
    box = {"hit": at.success, "near": at.info, "miss": at.warning}[r.single_outcome]
    text = " ".join(b.value for b in box)
    held = -(-CVConfig().n_train // r.k)  # the first fold holds ceil(n / k) points
    assert f"**{r.single_split_depths[0]}**" in text and f"({held} of the {CVConfig().n_train} points" in text
