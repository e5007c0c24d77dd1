"""Tests for core.pooling: determinism, bounds, the lesson's claims, extremes, divergence."""
from __future__ import annotations

import dataclasses
import functools
import threading

import pandas as pd
import pytest
import torch

import core.pooling.cnn as pooling_cnn
from core.lab import generator
from core.pooling import (STN, InvarianceConfig, PoolingConfig, TransformerConfig, run_invariance, run_pooling,
                          run_transformer)
from core.pooling.augmentation import start
from core.pooling.data import make_shapes, make_stones, warp
from tests.claims import claim_seeds, margin

SMALL_POOL = PoolingConfig(n_train=200, epochs=2)
SMALL_INV = InvarianceConfig(n_train=200, epochs=2)
SMALL_STN = TransformerConfig(n_train=200, epochs=2)
POOL_FRAMES = ("history", "shapes", "maps", "final")


def _assert_pooling_equal(a, b) -> None:
    for name in POOL_FRAMES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    # measured wall time is the one column that is not reproducible
    pd.testing.assert_frame_equal(a.costs.drop(columns="train_s"), b.costs.drop(columns="train_s"))
    assert a.sample_label == b.sample_label


def _assert_invariance_equal(a, b) -> None:
    for name in ("history", "curves", "samples") + (("undo",) if hasattr(a, "undo") else ()):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.diverged == b.diverged


# ---------------------------------------------------------------- determinism

@pytest.mark.parametrize("task", ["what", "where"])
def test_pooling_same_seed_same_frames_other_seed_differs(task):
    cfg = dataclasses.replace(SMALL_POOL, task=task)
    a, b = run_pooling(cfg), run_pooling(cfg)
    _assert_pooling_equal(a, b)
    c = run_pooling(dataclasses.replace(cfg, seed=1))
    assert not a.history.equals(c.history)


@pytest.mark.parametrize("run, cfg", [(run_invariance, SMALL_INV), (run_transformer, SMALL_STN)])
def test_invariance_and_transformer_same_seed_same_frames_other_seed_differs(run, cfg):
    a, b = run(cfg), run(cfg)
    _assert_invariance_equal(a, b)
    c = run(dataclasses.replace(cfg, seed=1))
    assert not a.curves.equals(c.curves)


def test_transformer_trains_on_the_invariance_tabs_data_and_starts_as_the_identity():
    """Same images, same initial CNN, same warped copies as run_invariance's nets; the transformer adds nothing at first."""
    cfg = dataclasses.replace(SMALL_STN, seed=3)
    assert cfg.invariance() == dataclasses.replace(SMALL_INV, seed=3)
    g1, d1, n1, aug1 = start(cfg.invariance(), ("plain", "augmented"))
    g2, d2, n2, aug2 = start(cfg, ("stn",))
    assert all(torch.equal(a, b) for a, b in zip(d1, d2))
    assert all(torch.equal(p, q) for p, q in zip(n1["augmented"].parameters(), n2["stn"].parameters()))
    assert torch.equal(aug1(d1[0][:32]), aug2(d2[0][:32]))  # the augmented net's first batch of warped copies
    assert torch.equal(torch.randperm(10, generator=g1), torch.randperm(10, generator=g2))  # then the same batches
    stn = STN(n2["stn"], d2[0].shape[-1], generator(0))
    with torch.no_grad():
        assert torch.allclose(stn.straighten(d2[2][:50]), d2[2][:50], atol=1e-5)


def test_deterministic_when_two_threads_run_at_once():
    cfg_p, cfg_i = SMALL_POOL, SMALL_INV
    ref_p, ref_i = run_pooling(cfg_p), run_invariance(cfg_i)
    out = {}
    threads = [threading.Thread(target=lambda: out.__setitem__("p", run_pooling(cfg_p))),
               threading.Thread(target=lambda: out.__setitem__("i", run_invariance(cfg_i)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _assert_pooling_equal(ref_p, out["p"])
    _assert_invariance_equal(ref_i, out["i"])


# ---------------------------------------------------------------- the lesson's claims (defaults, fixed + random seeds)

def _final_test_accuracy(res) -> dict[str, float]:
    f = res.final[res.final["split"] == "test"]
    return dict(zip(f["model"], f["accuracy"]))


@pytest.mark.parametrize("seed", claim_seeds(3))
def test_what_task_both_learn_and_end_within_a_few_points(seed):
    """Takeaway: both nets learn "what" far above chance and end within a few points of each other, either one ahead
    (40 seeds: at most 4.2 points apart), and the pooled net does about a quarter of the multiply-adds after the first
    pooling point."""
    res = run_pooling(PoolingConfig(task="what", seed=seed))
    acc = _final_test_accuracy(res)
    assert res.costs.set_index("model").loc[["A", "B"], "pool"].tolist() == ["max", "none"]
    for net in ("A", "B"):
        margin(f"pooling what: net {net} test accuracy > 75% (chance 25%)", seed, acc[net], 75.0)
    margin("pooling what: pooled A and unpooled B within 7 points", seed, abs(acc["B"] - acc["A"]), 7.0, above=False)
    late = res.costs.set_index("model")["macs_late"]
    assert 0.2 <= late["A"] / late["B"] <= 0.3, late  # "about a quarter"
    total = res.costs.set_index("model")["macs"]
    assert 0.28 <= total["A"] / total["B"] <= 0.38, total  # the intro: "saves about two thirds"


@functools.cache
def _accuracy(seed: int, task: str, pool_b: str) -> dict[str, float]:
    return _final_test_accuracy(run_pooling(PoolingConfig(task=task, pool_b=pool_b, seed=seed)))


def test_max_pooling_usually_a_few_points_above_average_on_what():
    """'Usually a few points higher' (40 seeds: max ahead by more than 2 points on 37, never behind): the median over
    the claim seeds, and both far above chance on each."""
    gaps = []
    for seed in claim_seeds(3):
        acc = _accuracy(seed, "what", "avg")
        margin("pooling max vs avg: both > 75% on what (chance 25%)", seed, min(acc.values()), 75.0)
        gaps.append(acc["A"] - acc["B"])
    margin("pooling max vs avg: median max - avg > 2 points", -1, sorted(gaps)[len(gaps) // 2], 2.0)


@pytest.mark.parametrize("seed", claim_seeds(3))
def test_where_task_the_full_size_net_learns_it(seed):
    margin("pooling where: unpooled B test accuracy > 85%", seed, _accuracy(seed, "where", "none")["B"], 85.0)


def test_where_task_the_pooled_net_usually_falls_far_behind_below_65():
    """'Usually far behind, in most runs below 65%; now and then it learns where after all' (40 seeds: below 65% on
    35, B - A above 27 points on 39; seed 35's pooled net reached 94%): medians over the claim seeds."""
    accs = [_accuracy(s, "where", "none") for s in claim_seeds(3)]
    median = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    margin("pooling where: median pooled A accuracy < 65%", -1, median([a["A"] for a in accs]), 65.0, above=False)
    margin("pooling where: median B - A > 20 points", -1, median([a["B"] - a["A"] for a in accs]), 20.0)


def test_where_task_a_pooled_net_can_learn_it_anyway_and_usually_does_at_lr_001():
    """The where note: 'now and then a pooled net learns where anyway' (seed 35 is one), 'and with a learning rate of
    0.01 it usually does' (20 seeds: above 84% on 16, median 96.6%; of the fixed seeds only seed 3 does not, so the
    median over the claim seeds is a learner whatever the random ones do)."""
    margin("pooling where: seed 35's pooled A > 85%", 35, _accuracy(35, "where", "none")["A"], 85.0)
    accs = sorted(_final_test_accuracy(run_pooling(PoolingConfig(task="where", lr=0.01, seed=s)))["A"]
                  for s in claim_seeds(3))
    margin("pooling where, lr 0.01: median pooled A accuracy > 80%", -1, accs[len(accs) // 2], 80.0)


@functools.cache
def _inv(seed: int, max_angle: float = 45.0):
    return run_invariance(InvarianceConfig(seed=seed, max_angle=max_angle))


def _at(curves, model: str, warp: str) -> pd.Series:
    """One model's accuracy against one warp's values."""
    c = curves[(curves.model == model) & (curves.warp == warp)]
    return c.set_index("value").accuracy.sort_index()


@pytest.mark.parametrize("seed", claim_seeds(3))
def test_rotation_and_zoom_hurt_and_augmentation_lifts_them(seed):
    res = _inv(seed)
    plain = _at(res.curves, "plain", "rotation").to_numpy()
    # falls as the rotation grows: never rises by more than sampling noise (500 test images), and ends far lower
    margin("pooling invariance: plain accuracy never rises by 5+ points with the angle", seed,
           float((plain[1:] - plain[:-1]).max()), 5.0, above=False)
    margin("pooling invariance: plain loses 20+ points at the largest angle", seed, plain[0] - plain[-1], 20.0)
    zoom = _at(res.curves, "plain", "scale")
    margin("pooling invariance: plain loses 20+ points at both ends of the zoom", seed,
           float(zoom[1.0] - max(zoom.iloc[0], zoom.iloc[-1])), 20.0)
    margin("pooling invariance: augmented beats plain by 15+ at the largest angle", seed,
           _at(res.curves, "augmented", "rotation").iloc[-1] - plain[-1], 15.0)
    aug = res.curves[res.curves.model == "augmented"].accuracy
    margin("pooling invariance: augmented stays above 40% (chance 25%) at every angle and zoom", seed,
           float(aug.min()), 40.0)


@pytest.mark.parametrize("seed", claim_seeds(1))
def test_plain_curve_climbs_back_at_quarter_third_and_half_turns(seed):
    """max_angle's help: a square, a cross and a ring look the same after a quarter turn, a triangle after a third
    (20 seeds: 90 deg at least 22 points above 60 deg; 120 and 180 above 150 by 20+)."""
    plain = _at(_inv(seed, 180.0).curves, "plain", "rotation")  # 0, 30, ..., 180 degrees
    margin("pooling 180: plain at 90 deg > at 60 deg + 10", seed, plain[90.0] - plain[60.0], 10.0)
    margin("pooling 180: plain at 120 deg > at 150 deg + 5", seed, plain[120.0] - plain[150.0], 5.0)
    margin("pooling 180: plain at 180 deg > at 150 deg + 10", seed, plain[180.0] - plain[150.0], 10.0)


@functools.cache
def _stn(seed: int, train_on: str):
    return run_transformer(TransformerConfig(seed=seed, train_on=train_on))


@pytest.mark.parametrize("seed", claim_seeds(2))
def test_transformer_on_warped_copies_takes_back_much_of_the_zoom_little_of_the_turn(seed):
    """30 seeds: zoom 0.45-0.91 taken back, turn 0.07-0.22: the question's answer is "zoom" on every one."""
    r = _stn(seed, "warped")
    margin("pooling stn warped: share of the zoom taken back > 0.35", seed, r.undone["scale"], 0.35)
    margin("pooling stn warped: share of the turn taken back < 0.3", seed, r.undone["rotation"], 0.3, above=False)
    assert POOLING.questions["stn"].measure(r)[0] == "zoom"


@pytest.mark.parametrize("seed", claim_seeds(2))
def test_transformer_on_upright_shapes_has_nothing_to_undo(seed):
    """Trained on upright shapes it never saw a turn or a zoom: it takes back none of the turn (75 seeds: within
    +-0.02) and fails on turned shapes as the plain net does (at 45 deg 23-50% against the plain net's 23-49%). What
    it does to a zoom was never trained: usually nothing useful (74 of 75 seeds zoom the wrong way, -0.05 to -1.2;
    seed 8999 took back 0.45 by accident): the page words it "usually", this test holds the median."""
    r = _stn(seed, "upright")
    margin("pooling stn upright: |share of the turn taken back| < 0.1", seed, abs(r.undone["rotation"]), 0.1, above=False)
    gap = _at(r.curves, "stn", "rotation").iloc[-1] - _at(_inv(seed).curves, "plain", "rotation").iloc[-1]
    margin("pooling stn upright: within 30 points of the plain net at the largest angle", seed, abs(gap), 30.0,
           above=False)


def test_transformer_on_upright_shapes_usually_takes_back_no_zoom():
    """The median over the claim seeds of the zoom share taken back is below a third (the question's "neither")."""
    shares = sorted(_stn(seed, "upright").undone["scale"] for seed in claim_seeds(2))
    margin("pooling stn upright: median share of the zoom taken back < 1/3", -1, shares[len(shares) // 2], 1 / 3,
           above=False)


def test_transformer_on_warped_copies_usually_at_least_as_high_as_augmented():
    """30 seeds: its mean accuracy over the tested turns and zooms minus the augmented net's is -1.2 to +21.7 points,
    above 0 on 28: the median over the claim seeds."""
    gaps = []
    for seed in claim_seeds(2):
        stn, aug = _stn(seed, "warped").curves, _inv(seed).curves
        gaps.append(float(stn.accuracy.mean() - aug[aug.model == "augmented"].accuracy.mean()))
    margin("pooling stn warped: median mean gap to augmented > 0", -1, sorted(gaps)[len(gaps) // 2], 0.0)


# ---------------------------------------------------------------- structure of the outputs

def test_shape_flow_pooling_halves_hw_and_keeps_channels():
    res = run_pooling(SMALL_POOL)
    a = res.shapes[res.shapes["model"] == "A"].set_index("layer")["shape"]
    b = res.shapes[res.shapes["model"] == "B"].set_index("layer")["shape"]
    assert a.to_dict() == {"input": "1×16×16", "conv1": "8×16×16", "pool1": "8×8×8", "conv2": "8×8×8",
                           "pool2": "8×4×4", "flatten": "128", "fc": "4"}
    assert b.to_dict() == {"input": "1×16×16", "conv1": "8×16×16", "conv2": "8×16×16",
                           "flatten": "2048", "fc": "4"}
    costs = res.costs.set_index("model")
    assert costs.loc["A", "params"] < costs.loc["B", "params"]
    assert costs.loc["A", "activation_kb"] < costs.loc["B", "activation_kb"]
    stages = res.maps.groupby(["model", "stage"]).size()
    assert set(stages.index) == {("A", "input"), ("A", "conv"), ("A", "pool"), ("B", "input"), ("B", "conv")}


def test_progress_starts_early_and_ends_at_one():
    calls = []
    run_pooling(SMALL_POOL, lambda f, df: calls.append((f, df)))
    fracs = [f for f, _ in calls]
    assert fracs[0] == 0.0 and fracs[-1] == 1.0 and fracs == sorted(fracs)
    assert list(calls[0][1].columns) == ["model", "pool", "epoch", "split", "loss", "accuracy"]
    for run, cfg in ((run_invariance, SMALL_INV), (run_transformer, SMALL_STN)):
        inv = []
        run(cfg, lambda f, df: inv.append(f))
        assert inv[0] == 0.0 and inv[-1] == 1.0 and inv == sorted(inv)


def test_data_makers():
    g = generator(0)
    x, y = make_shapes(400, 16, g)
    assert x.shape == (400, 1, 16, 16) and set(y.tolist()) == {0, 1, 2, 3}
    x, y = make_stones(400, 16, g, noise=0.0)
    black = (x[:, 0] == 1).flatten(1).float().argmax(1)  # (N,) flat index of the black stone
    assert torch.equal(y, (black // 16 + black % 16) % 2)
    assert torch.allclose(warp(x, torch.zeros(400), torch.ones(400)), x, atol=1e-5)  # identity warp


# ---------------------------------------------------------------- extremes and divergence

def _bound_configs(cls, pick):
    """The config with every numeric field at its min (pick=0) or max (pick=1)."""
    lows = dict(PoolingConfig=dict(n_conv=1, channels=4, kernel=3, size=12, n_train=200, epochs=1, lr=1e-4,
                                   seed=0, pool_a="avg", pool_b="none", task="where"),
                InvarianceConfig=dict(max_angle=5.0, min_scale=0.4, max_scale=1.0, channels=4, n_train=200,
                                      epochs=1, seed=0))
    highs = dict(PoolingConfig=dict(n_conv=3, channels=16, kernel=5, size=20, n_train=1000, epochs=10,
                                    lr=0.05, seed=9999, pool_a="none", pool_b="none", task="what"),
                 InvarianceConfig=dict(max_angle=180.0, min_scale=1.0, max_scale=2.0, channels=16,
                                       n_train=1500, epochs=12, seed=9999))
    return cls(**(lows, highs)[pick][cls.__name__])


@pytest.mark.parametrize("pick", [0, 1])
def test_extreme_configs_run(pick):
    p = run_pooling(_bound_configs(PoolingConfig, pick))
    i = run_invariance(_bound_configs(InvarianceConfig, pick))
    bounds = dataclasses.asdict(_bound_configs(InvarianceConfig, pick))
    s = run_transformer(TransformerConfig(**bounds, train_on=("warped", "upright")[pick]))
    for df in (p.history, p.final, i.history, i.curves, s.history, s.curves, s.undo, s.samples):
        assert len(df) and df.select_dtypes("number").notna().all().all()


def test_divergence_is_a_result_not_a_crash(monkeypatch):
    real, calls = pooling_cnn._loss, {"n": 0}

    def exploding_loss(logits, y):
        calls["n"] += 1
        loss = real(logits, y)
        return loss * float("nan") if calls["n"] > 30 else loss

    monkeypatch.setattr(pooling_cnn, "_loss", exploding_loss)  # the module whose _loss training reads
    p = run_pooling(SMALL_POOL)
    assert p.costs["diverged"].all()
    assert p.history[["loss", "accuracy"]].notna().all().all()
    calls["n"] = 0
    i = run_invariance(SMALL_INV)
    assert set(i.diverged) == {"plain", "augmented"}
    assert i.history[["loss", "accuracy"]].notna().all().all()
    calls["n"] = 15  # one net: half the loss calls of two
    s = run_transformer(SMALL_STN)
    assert s.diverged == ("stn",) and s.curves.empty and s.undo.empty and s.undone == {}
    assert set(s.samples.stage) == {"input"} and s.history[["loss", "accuracy"]].notna().all().all()


# --- the words the page shows ---
from tests.apptest import assert_clean, click_preset, open_page  # noqa: E402
from ui.lessons import POOLING  # noqa: E402


def _specs(at) -> str:
    return " ".join(c.proto.spec for c in at.get("vega_lite_chart"))


@pytest.mark.parametrize("name, query", [("what", {"cnn_task": "where", "cnn_pool_b": "avg"}), ("max_avg", {}),
                                         ("where", {"cnn_pool_b": "avg"}), ("rotated", {}),
                                         ("augmented", {"cnn_show_aug": "false"}), ("stn_upright", {}),
                                         ("stn", {"stn_train_on": "upright"})])
def test_presets_show_their_story(name, query):
    at = open_page(POOLING.page, query=query)
    click_preset(at, POOLING, name)
    assert_clean(at)
    if name in ("what", "max_avg", "where"):  # the preset opened the pooling tab
        assert at.radio(key="cnn_task").value == ("where" if name == "where" else "what")
        assert at.radio(key="cnn_pool_b").value == ("avg" if name == "max_avg" else "none")
        assert any(i.icon == "♟️" for i in at.info) == (name == "where")  # the AlphaGo note
    elif name in ("rotated", "augmented"):  # ... or the augmentation tab
        assert at.toggle(key="cnn_show_aug").value is (name != "rotated")
        assert ('"augmented"' in _specs(at)) is (name != "rotated")  # the augmented curve is drawn or not
    else:  # ... or the transformer's, with the rotation tab's plain and augmented nets beside it
        assert at.radio(key="stn_train_on").value == ("upright" if name == "stn_upright" else "warped")
        specs = _specs(at)
        assert '"plain"' in specs and '"augmented"' in specs and '"transformer"' in specs


def test_page_says_when_training_diverged(monkeypatch, fresh_cache):
    real, calls = pooling_cnn._loss, {"n": 0}

    def exploding_loss(logits, y):
        calls["n"] += 1
        return real(logits, y) * (float("nan") if calls["n"] > 30 else 1.0)

    monkeypatch.setattr(pooling_cnn, "_loss", exploding_loss)  # the module whose _loss training reads
    # nets A and B | plain and augmented | plain, augmented and the transformer
    for tab, charts, dead in (("pool", 5, 2), ("inv", 3, 2), ("stn", 5, 3)):
        at = open_page(POOLING.page, query={"cnn_epochs": "2", "cnn_inv_epochs": "2", "cnn_tab": tab})
        assert_clean(at)
        assert sum(e.icon == "💥" for e in at.error) == dead
        # accuracy, loss, costs, shapes, maps | rotation, zoom, samples | rotation, zoom, turned / zoomed back, samples
        assert len(at.get("vega_lite_chart")) == charts
