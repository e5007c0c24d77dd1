"""Gradient descent lesson: determinism, validation, the page's claims, and the page itself."""
import math

import pandas as pd
import pytest

from core import gradient_descent as gd
from tests.apptest import assert_clean, open_at, open_page

SEEDS = range(5)


def test_same_seed_same_frames():
    a, b = gd.run(gd.GDConfig(seed=3)), gd.run(gd.GDConfig(seed=3))
    pd.testing.assert_frame_equal(a.path, b.path)
    pd.testing.assert_frame_equal(a.surface, b.surface)
    pd.testing.assert_frame_equal(a.data, b.data)


def test_concurrent_sessions_get_identical_frames():
    """Two sessions computing at once (threads, as in the server) get bit-identical results."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: gd.run(gd.GDConfig(seed=5, steps=300)), range(4)))
    for r in results[1:]:
        pd.testing.assert_frame_equal(results[0].path, r.path)


def test_other_seed_other_data():
    assert not gd.run(gd.GDConfig(seed=1)).data.equals(gd.run(gd.GDConfig(seed=2)).data)


@pytest.mark.parametrize("field, value", [("lr", 0.0), ("lr", 3.0), ("lr", float("nan")), ("steps", 0),
                                          ("steps", 1001), ("b0", 11.0), ("w0", -11.0), ("loss", "huber"),
                                          ("n", 4), ("noise", -1.0), ("seed", -1), ("steps", 2.5)])
def test_bad_config_names_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        gd.GDConfig(**{field: value})


@pytest.mark.parametrize("seed", SEEDS)
def test_mse_reaches_least_squares(seed):
    """Claim: on the defaults, MSE gradient descent ends within 1% of the closed-form least-squares loss."""
    r = gd.run(gd.GDConfig(seed=seed))
    assert not r.diverged
    assert r.path.loss.iloc[-1] <= 1.01 * r.best_loss


@pytest.mark.parametrize("seed", SEEDS)
def test_above_stability_limit_diverges_cleanly(seed):
    """Claim: a learning rate above the stability limit is reported diverged, with no NaN/inf in the chart data."""
    base = gd.run(gd.GDConfig(seed=seed))
    lr = min(x for x in gd.LR_CHOICES if x > base.lr_limit)
    r = gd.run(gd.GDConfig(seed=seed, lr=lr))
    assert r.diverged
    for frame in (r.path, r.surface):
        assert frame.select_dtypes("number").map(math.isfinite).all().all()


@pytest.mark.parametrize("seed", SEEDS)
def test_below_stability_limit_converges(seed):
    r = gd.run(gd.GDConfig(seed=seed, lr=0.4))
    assert r.lr_limit > 0.4 and not r.diverged


@pytest.mark.parametrize("seed", SEEDS)
def test_too_small_lr_crawls(seed):
    """Claim (preset 'too small'): lr=0.001 for 200 steps is still far from the minimum."""
    r = gd.run(gd.GDConfig(seed=seed, lr=0.001))
    assert r.path.loss.iloc[-1] > 10 * r.best_loss


@pytest.mark.parametrize("seed", SEEDS)
def test_outlier_pulls_mse_more_than_mae(seed):
    """Claim: adding the outlier moves the MSE fit more than the MAE fit (gradient-descent end points)."""
    def shift(loss):
        clean = gd.run(gd.GDConfig(seed=seed, loss=loss)).path.iloc[-1]
        dirty = gd.run(gd.GDConfig(seed=seed, loss=loss, outlier=True)).path.iloc[-1]
        # move of the fitted line, averaged over the data range x in [0, 2]
        return abs((dirty.b - clean.b) + (dirty.w - clean.w) * 1.0)
    assert shift("mse") > 3 * shift("mae")


def test_mae_best_fit_is_a_minimum():
    r = gd.run(gd.GDConfig(loss="mae", steps=1000))
    assert r.best_loss <= r.path.loss.min() + 1e-9


def test_extremes_run():
    gd.run(gd.GDConfig(lr=2.0, steps=1000, b0=10, w0=10, outlier=True, n=200, noise=3, seed=9999))
    gd.run(gd.GDConfig(lr=1e-4, steps=1, b0=-10, w0=-10, n=5, noise=0, seed=0))


def test_line_at_clamps_step():
    r = gd.run(gd.GDConfig(lr=0.5))
    assert gd.line_at(r, 10_000).step.iloc[0] == len(r.path) - 1


# --- page tests ---
PAGE = "1_gradient_descent.py"
PAGE_PRESETS = {  # what the page's preset buttons set (test_presets checks the widgets against it)
    "good": {"loss": "mse", "lr": 0.1, "outlier": False},
    "too_small": {"loss": "mse", "lr": 0.001, "outlier": False},
    "diverges": {"loss": "mse", "lr": 1.0, "outlier": False},
    "outlier_mse": {"loss": "mse", "lr": 0.1, "outlier": True},
    "outlier_mae": {"loss": "mae", "lr": 0.1, "outlier": True},
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("setting", ["defaults", "min", "max"])
def test_page(lang, setting):
    at = open_at(PAGE, lang, setting)
    assert len(at.get("vega_lite_chart")) == 3


@pytest.mark.parametrize("seed", SEEDS)
def test_preset_claims_hold_for_every_seed(seed):
    """The presets' stories hold on every seed: 'diverges' diverges, the others do not, 'too small' is far off."""
    runs = {name: gd.run(gd.GDConfig(seed=seed, **values)) for name, values in PAGE_PRESETS.items()}
    assert runs["diverges"].diverged and runs["diverges"].blew_up
    assert not any(r.diverged for name, r in runs.items() if name != "diverges")
    assert runs["too_small"].path.loss.iloc[-1] > 10 * runs["too_small"].best_loss
    assert runs["good"].path.loss.iloc[-1] <= 1.01 * runs["good"].best_loss


def test_slightly_too_large_lr_is_called_diverging():
    """A run that has not blown up yet but whose loss grows is still reported diverged."""
    r = gd.run(gd.GDConfig(lr=0.5, steps=30))
    assert r.diverged and not r.blew_up


@pytest.mark.parametrize("name", ["good", "too_small", "diverges", "outlier_mse", "outlier_mae"])
def test_presets(name):
    at = open_page(PAGE, query={"lr": "0.02", "at_step": "3"})  # every preset changes the run
    at.button(key=f"preset_gradient_descent_{name}").click().run()
    assert_clean(at)
    assert any("Diverg" in e.value for e in at.error) == (name == "diverges")
    p = PAGE_PRESETS[name]
    assert (at.radio(key="loss").value, at.select_slider(key="lr").value, at.toggle(key="outlier").value) == (
        p["loss"], p["lr"], p["outlier"])
    if name != "diverges":  # the replay follows the new run to its last step
        assert at.slider(key="at_step").value == at.slider(key="steps").value


def test_share_link_reopens_the_same_demo():
    at = open_page(PAGE)
    at.button(key="preset_gradient_descent_outlier_mae").click().run()
    at.slider(key="at_step").set_value(17).run()
    query = dict(p.split("=", 1) for p in at.code[0].value.split("?", 1)[1].split("&"))
    again = open_page(PAGE, lang=query.pop("lang"), query=query)
    assert_clean(again)
    assert [m.value for m in again.metric] == [m.value for m in at.metric]
    assert again.slider(key="at_step").value == 17 and again.code[0].value == at.code[0].value


def test_url_notice_is_never_markup():
    at = open_page(PAGE, query={"lr": "\n\n[Login here](https://evil.example) **bold**`x`"})
    notice = " ".join(w.value for w in at.warning)
    assert "\n" not in notice and "`" not in notice.split("`lr`")[1].split("`")[0]
    code_spans = notice.split("`")
    assert any("[Login here]" in part for part in code_spans[1::2])  # the value sits inside a code span


def test_garbage_url_falls_back_with_notice():
    at = open_page(PAGE, query={"lr": "abc", "steps": "-1e309", "b0": "<script>x</script>", "seed": "nan"})
    assert_clean(at)
    warnings = " ".join(w.value for w in at.warning)
    for key in ("lr", "steps", "b0"):  # (the seed's notice went to the first page AppTest opened: home)
        assert f"`{key}`" in warnings
    assert at.number_input(key="seed").value == 0
    assert at.select_slider(key="lr").value == gd.GDConfig().lr
    assert at.slider(key="steps").value == gd.GDConfig().steps


def test_url_values_are_adopted():
    at = open_page(PAGE, query={"lr": "0.5", "loss": "mae", "outlier": "1", "seed": "7"})
    assert_clean(at)
    assert at.select_slider(key="lr").value == 0.5
    assert at.radio(key="loss").value == "mae" and at.toggle(key="outlier").value is True
    share = at.code[0].value
    for part in ("lr=0.5", "loss=mae", "outlier=true", "seed=7", "gradient_descent?"):
        assert part in share


@pytest.mark.parametrize("name, icon", [("too_small", "🐢"), ("outlier_mae", "🏓")])
def test_verdict_says_why_a_run_is_not_at_the_minimum(name, icon):
    """Crawling (still falling: more steps) is told apart from MAE bouncing (stuck: smaller steps)."""
    at = open_page(PAGE)
    at.button(key=f"preset_gradient_descent_{name}").click().run()
    assert [w.icon for w in at.warning] == [icon]
