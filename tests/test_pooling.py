"""Tests for core.pooling: determinism, bounds, the lesson's claims, extremes, divergence."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading

import pandas as pd
import pytest
import torch

import core.pooling as pooling
from core.lab import generator
from core.pooling import InvarianceConfig, PoolingConfig, run_invariance, run_pooling
from core.pooling_data import make_shapes, make_stones, warp

SMALL_POOL = PoolingConfig(n_train=200, epochs=2)
SMALL_INV = InvarianceConfig(n_train=200, epochs=2)
POOL_FRAMES = ("history", "shapes", "maps", "final")


def _assert_pooling_equal(a, b) -> None:
    for name in POOL_FRAMES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    # measured wall time is the one column that is not reproducible
    pd.testing.assert_frame_equal(a.costs.drop(columns="train_s"), b.costs.drop(columns="train_s"))
    assert a.sample_label == b.sample_label


def _assert_invariance_equal(a, b) -> None:
    for name in ("history", "curves", "samples"):
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


def test_invariance_same_seed_same_frames_other_seed_differs():
    a, b = run_invariance(SMALL_INV), run_invariance(SMALL_INV)
    _assert_invariance_equal(a, b)
    c = run_invariance(dataclasses.replace(SMALL_INV, seed=1))
    assert not a.curves.equals(c.curves)


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


# ---------------------------------------------------------------- bounds

@pytest.mark.parametrize("cls, field, value", [
    (PoolingConfig, "task", "when"), (PoolingConfig, "pool_a", "min"), (PoolingConfig, "pool_b", None),
    (PoolingConfig, "n_conv", 0), (PoolingConfig, "n_conv", 4), (PoolingConfig, "channels", 3),
    (PoolingConfig, "channels", 17), (PoolingConfig, "kernel", 4), (PoolingConfig, "kernel", 7),
    (PoolingConfig, "size", 10), (PoolingConfig, "size", 22), (PoolingConfig, "size", 15),
    (PoolingConfig, "n_train", 199), (PoolingConfig, "n_train", 1001), (PoolingConfig, "epochs", 0),
    (PoolingConfig, "epochs", 11), (PoolingConfig, "lr", 0.0), (PoolingConfig, "lr", float("nan")),
    (PoolingConfig, "seed", -1), (PoolingConfig, "seed", 10000), (PoolingConfig, "epochs", 2.5),
    (InvarianceConfig, "max_angle", 4.0), (InvarianceConfig, "max_angle", 181.0),
    (InvarianceConfig, "min_scale", 0.3), (InvarianceConfig, "min_scale", 1.1),
    (InvarianceConfig, "max_scale", 0.9), (InvarianceConfig, "max_scale", 2.1),
    (InvarianceConfig, "channels", 3), (InvarianceConfig, "channels", 17),
    (InvarianceConfig, "n_train", 100), (InvarianceConfig, "n_train", 1501),
    (InvarianceConfig, "epochs", 0), (InvarianceConfig, "epochs", 13), (InvarianceConfig, "seed", 10000),
])
def test_bad_config_raises_naming_the_field(cls, field, value):
    with pytest.raises(ValueError, match=field):
        cls(**{field: value})


# ---------------------------------------------------------------- the lesson's claims (defaults, 5 seeds)

def _final_test_accuracy(res) -> dict[str, float]:
    f = res.final[res.final["split"] == "test"]
    return dict(zip(f["model"], f["accuracy"]))


@pytest.mark.parametrize("seed", range(5))
def test_what_task_pooling_matches_no_pooling_for_a_fraction_of_the_compute(seed):
    res = run_pooling(PoolingConfig(task="what", seed=seed))
    acc = _final_test_accuracy(res)
    assert res.costs.set_index("model").loc[["A", "B"], "pool"].tolist() == ["max", "none"]
    assert abs(acc["A"] - acc["B"]) <= 5.0, acc
    late = res.costs.set_index("model")["macs_late"]
    assert late["B"] >= 4 * late["A"], late
    assert acc["A"] >= 85.0, acc  # both actually learned the task, not both at chance


@pytest.mark.parametrize("seed", range(5))
def test_where_task_no_pooling_beats_pooling_by_20_points(seed):
    acc = _final_test_accuracy(run_pooling(PoolingConfig(task="where", seed=seed)))
    assert acc["B"] - acc["A"] >= 20.0, acc


@pytest.mark.parametrize("seed", range(5))
def test_rotation_hurts_and_augmentation_lifts_large_angles(seed):
    res = run_invariance(InvarianceConfig(seed=seed))
    rot = res.curves[res.curves["warp"] == "rotation"].pivot(index="value", columns="model",
                                                                   values="accuracy").sort_index()
    plain = rot["plain"].to_numpy()
    # falls as the rotation grows: never rises by more than sampling noise, and ends far lower
    assert (plain[1:] <= plain[:-1] + 2.0).all(), plain
    assert plain[-1] <= plain[0] - 20.0, plain
    assert rot["augmented"].iloc[-1] - rot["plain"].iloc[-1] >= 15.0, rot


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
    inv = []
    run_invariance(SMALL_INV, lambda f, df: inv.append(f))
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
    for df in (p.history, p.final, i.history, i.curves):
        assert len(df) and df.select_dtypes("number").notna().all().all()


def test_divergence_is_a_result_not_a_crash(monkeypatch):
    real, calls = pooling._loss, {"n": 0}

    def exploding_loss(logits, y):
        calls["n"] += 1
        loss = real(logits, y)
        return loss * float("nan") if calls["n"] > 30 else loss

    monkeypatch.setattr(pooling, "_loss", exploding_loss)
    p = run_pooling(SMALL_POOL)
    assert p.costs["diverged"].all()
    assert p.history[["loss", "accuracy"]].notna().all().all()
    calls["n"] = 0
    i = run_invariance(SMALL_INV)
    assert set(i.diverged) == {"plain", "augmented"}
    assert i.history[["loss", "accuracy"]].notna().all().all()


def test_core_does_not_import_streamlit():
    code = "import sys, core.pooling, core.pooling_data; assert 'streamlit' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# --- page tests (added with the page) ---
from tests.apptest import assert_clean, open_at, open_page  # noqa: E402

PAGE = "3_pooling.py"
N_CHARTS = 8  # accuracy, loss, multiply-adds, shape flow, feature maps, rotation, zoom, warped samples


def _specs(at) -> str:
    return " ".join(c.proto.spec for c in at.get("vega_lite_chart"))


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("setting", ["defaults", "min", "max"])
def test_page(lang, setting):
    at = open_at(PAGE, lang, setting)
    assert len(at.get("vega_lite_chart")) == N_CHARTS
    assert len(at.metric) == 4 and len(at.dataframe) == 1


@pytest.mark.parametrize("name, query", [("what", {"cnn_task": "where"}), ("where", {}),
                                         ("rotated", {}), ("augmented", {"cnn_show_aug": "false"})])
def test_presets(name, query):
    at = open_page(PAGE, query=query)
    at.button(key=f"preset_pooling_{name}").click().run()
    assert_clean(at)
    assert at.radio(key="cnn_task").value == ("where" if name == "where" else "what")
    assert any(i.icon == "♟️" for i in at.info) == (name == "where")  # the AlphaGo note
    assert at.toggle(key="cnn_show_aug").value is (name != "rotated")
    assert ('"augmented"' in _specs(at)) is (name != "rotated")  # the augmented curve is drawn or not


def test_garbage_url_falls_back_with_notice():
    bad = {"cnn_task": "when", "cnn_convs": "9", "cnn_lr": "abc", "cnn_kernel": "4", "cnn_angle": "-1e309",
           "cnn_min_scale": "nan", "cnn_show_aug": "maybe", "cnn_pool_a": "<b>max</b>"}
    at = open_page(PAGE, query=bad)
    assert_clean(at)
    warnings = " ".join(w.value for w in at.warning)
    for key in bad:
        assert f"`{key}`" in warnings, key
    d = PoolingConfig()
    assert at.radio(key="cnn_task").value == d.task and at.slider(key="cnn_convs").value == d.n_conv
    assert at.select_slider(key="cnn_lr").value == d.lr and at.radio(key="cnn_kernel").value == d.kernel
    assert at.slider(key="cnn_angle").value == InvarianceConfig().max_angle
    assert at.toggle(key="cnn_show_aug").value is True


def test_url_values_are_adopted_and_shared():
    at = open_page(PAGE, query={"cnn_task": "where", "cnn_pool_a": "avg", "cnn_epochs": "2", "cnn_show_aug": "0",
                                "cnn_angle": "90"})
    assert_clean(at)
    assert at.radio(key="cnn_task").value == "where" and at.radio(key="cnn_pool_a").value == "avg"
    share = at.code[0].value
    for part in ("pooling?", "cnn_task=where", "cnn_pool_a=avg", "cnn_epochs=2", "cnn_show_aug=false", "cnn_angle=90"):
        assert part in share, part


def test_page_says_when_training_diverged(monkeypatch):
    real, calls = pooling._loss, {"n": 0}

    def exploding_loss(logits, y):
        calls["n"] += 1
        return real(logits, y) * (float("nan") if calls["n"] > 30 else 1.0)

    monkeypatch.setattr(pooling, "_loss", exploding_loss)
    at = open_page(PAGE, query={"seed": "4321", "cnn_epochs": "2", "cnn_inv_epochs": "2"})  # a config no other test caches
    assert_clean(at)
    assert sum(e.icon == "💥" for e in at.error) == 4  # nets A and B, plain and augmented
    assert len(at.get("vega_lite_chart")) == N_CHARTS
