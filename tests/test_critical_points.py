"""Lesson: critical points — the Hessian at a point, escaping a saddle, near-critical points of a real network."""
import functools
import math

import pytest
import torch

from core.critical_points import (EPS_LADDER, ESCAPED, GRAD_TOL, NET_EIG_TOL, EscapeConfig, NetworkConfig, PointConfig,
                                  loss, run_escape, run_network, run_point)
from core.critical_points.network import data, derivatives, losses, n_params
from tests.apptest import assert_clean, click_preset, metric, open_page, page_text
from tests.results import assert_same_frames
from tests.claims import claim_seeds, margin
from ui.lessons import CRITICAL_POINTS
from ui.page import page_controls

SEEDS = claim_seeds()
PRESETS = CRITICAL_POINTS.presets
MINIMA_SHARE = 0.2  # the bound: at most this share of near-critical points may be local minima


@functools.cache
def escape(seed: int, **kw):
    return run_escape(EscapeConfig(seed=seed, **kw))


@functools.cache
def network(seed: int, **kw):
    return run_network(NetworkConfig(seed=seed, **kw))


# --- section 1: one point -------------------------------------------------------------------
def test_hessian_at_the_origin_is_a_saddle():
    r = run_point(PointConfig(w1=0.0, w2=0.0))
    assert r.grad == [0.0, 0.0]
    assert torch.allclose(torch.tensor(r.hessian), torch.tensor([[0.0, -2.0], [-2.0, 0.0]]), atol=1e-6)
    assert r.eigenvalues == pytest.approx([-2.0, 2.0], abs=1e-6) and r.kind == "saddle"
    u = torch.tensor(r.eigenvectors[0], dtype=torch.float64)  # the way down: (1, 1)/sqrt 2
    assert torch.allclose(u.abs(), torch.full((2,), 2 ** -0.5, dtype=torch.float64))


@pytest.mark.parametrize("w1,w2", [(1.0, 1.0), (0.5, 2.0), (2.0, 0.5), (-1.0, -1.0), (1.25, 0.8)])
def test_the_valley_is_a_minimum_with_a_flat_direction(w1, w2):
    """On w1 * w2 = 1: g = 0, eigenvalues 0 and 2(w1^2 + w2^2) (4 at (1, 1)), the flat one along the valley."""
    r = run_point(PointConfig(w1=w1, w2=w2))
    assert r.kind == "flat_minimum" and r.loss < 1e-12
    assert r.eigenvalues == pytest.approx([0.0, 2 * (w1 ** 2 + w2 ** 2)], abs=1e-6)
    d1, d2 = r.eigenvectors[0]  # along the valley: the tangent of w2 = 1/w1 is (w1, -w2) up to length
    assert abs(d1 * w2 + d2 * w1) < 1e-6


def test_every_point_the_sliders_offer_is_a_slope_the_saddle_or_a_minimum_on_the_valley():
    """The verdict 'Minimum with a flat direction' (and the valley text under it) names a minimum from the loss value,
    which the Hessian alone cannot: on every (w1, w2) the controls offer, a critical point is either the saddle at the
    origin or a point with L = 0 (a squared error's lowest). |g| = 2 |1 - w1 w2| |w| screens the grid; the page's own
    run_point judges every point near a critical one."""
    w1, w2 = (next(c for c in page_controls(CRITICAL_POINTS) if c.key == k) for k in ("cp_w1", "cp_w2"))
    grid = [w1.parse(f"{w1.lo + i * w1.step:.2f}") for i in range(round((w1.hi - w1.lo) / w1.step) + 1)]
    assert grid[0] == w1.lo and grid[-1] == w1.hi and w2.lo == w1.lo and w2.hi == w1.hi
    near = [(a, b) for a in grid for b in grid if 2 * abs(1 - a * b) * math.hypot(a, b) < 1e3 * GRAD_TOL]
    assert (0.0, 0.0) in near and (1.0, 1.0) in near and len(near) < 30
    for a, b in near:
        r = run_point(PointConfig(w1=a, w2=b))
        assert r.kind in ("saddle", "flat_minimum", "slope"), (a, b, r.kind)
        assert r.kind != "saddle" or (a, b) == (0.0, 0.0)
        assert r.kind != "flat_minimum" or r.loss < 1e-12, (a, b, r.loss)


def test_the_valley_question_grades_what_it_asks_and_the_reveal_says_both():
    """Asked what the Hessian alone says at (1, 1): it cannot tell (one eigenvalue 0); the reveal adds L = 0."""
    q = CRITICAL_POINTS.questions["valley"]
    answer, numbers = q.measure(run_point(PointConfig(w1=1.0, w2=1.0)))
    assert answer == "flat" and numbers["loss"] == "0" and float(numbers["e1"]) == pytest.approx(0, abs=1e-6)
    assert CRITICAL_POINTS.questions["saddle"].measure(run_point(PointConfig()))[0] == "saddle"


def test_off_the_critical_points_the_page_says_slope():
    r = run_point(PointConfig(w1=0.3, w2=0.2))
    assert r.kind == "slope" and math.hypot(*r.grad) > 0.1


def test_taylor_model_matches_near_the_point():
    """The quadratic model equals the loss at the point and is within the cubic remainder nearby."""
    r = run_point(PointConfig(w1=0.5, w2=-0.3))
    wide = r.taylor.pivot_table(index=["w1", "w2"], columns="surface", values="loss")
    gap = (wide["true"] - wide["taylor"]).abs()
    dist = (wide.index.get_level_values(0) - 0.5) ** 2 + (wide.index.get_level_values(1) + 0.3) ** 2
    assert gap[dist < 1e-12].max() < 1e-12 and gap[dist < 0.01].max() < 0.05 < gap.max()


# --- section 2: escaping ------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_escape_takes_longer_the_closer_the_start(seed):
    """Steps to escape grow strictly as eps shrinks (1e-1 .. 1e-6), for gradient descent and for momentum, and
    momentum escapes sooner from every eps (the page's defaults)."""
    e = escape(seed).escape.set_index(["method", "eps"]).steps
    for method in ("gd", "momentum"):
        s = [e[(method, eps)] for eps in EPS_LADDER]
        assert not any(map(math.isnan, s)), (method, s)
        margin(f"{method}: smallest extra steps per 10x closer start > 0", seed, min(b - a for a, b in zip(s, s[1:])), 0)
    margin("momentum: fewest steps saved against gradient descent > 0", seed,
           min(e[("gd", eps)] - e[("momentum", eps)] for eps in EPS_LADDER), 0)


@pytest.mark.parametrize("seed", claim_seeds(2))
@pytest.mark.parametrize("lr, steps", [(0.1, 400), (0.01, 1200)])
def test_closer_start_longer_plateau_at_every_learning_rate(seed, lr, steps):
    """The per-decade sentence ('the closer to the saddle, the longer the plateau') at the learning rates' ends: every
    eps escapes in this budget and each 10x closer start costs gradient descent more steps (measured over seeds
    0-9999 in a batched replica of this loop: at least 12 more steps per decade at lr 0.1, 116 at lr 0.01)."""
    e = escape(seed, lr=lr, steps=steps, momentum=0.0).escape.set_index(["method", "eps"]).steps["gd"]
    s = [e[eps] for eps in EPS_LADDER]
    assert not any(map(math.isnan, s)), s
    margin(f"gd at lr {lr}: smallest extra steps per 10x closer start > 0", seed, min(b - a for a, b in zip(s, s[1:])), 0)


@pytest.mark.parametrize("jump", [0.05, 0.5, 1.0, 1.5])
def test_one_step_along_the_negative_eigenvector_lowers_the_loss(jump):
    """L(eta * u) = (1 - eta^2 / 2)^2 < 1 = L(0) for every eta of the slider (0 < eta < 2)."""
    r = run_escape(EscapeConfig(jump=jump, steps=50))
    assert r.saddle_loss == 1.0 and r.jump_loss < r.saddle_loss
    assert r.jump_loss == pytest.approx((1 - jump ** 2 / 2) ** 2)


def test_with_much_momentum_a_run_can_climb_back_above_the_line():
    """The escape intro: 'escapes' is the first step below ESCAPED; with much momentum a run can overshoot and climb
    back above it (measured: at lr 0.1 most starts of momentum 0.9 and all of 0.95 do; at the defaults none)."""
    h = run_escape(EscapeConfig(lr=0.1, momentum=0.95, steps=300)).history
    m = h[h.method == "momentum"]
    below = m[m.loss < ESCAPED].groupby("eps").step.min()
    back = [m[(m.eps == e) & (m.step > s)].loss.max() for e, s in below.items()]
    assert len(below) == len(EPS_LADDER) and max(back) > ESCAPED


def test_escape_history_is_consistent():
    r = escape(0)
    h = r.history
    assert set(h.method) == {"gd", "momentum"} and set(h.eps) == set(EPS_LADDER) and h.step.min() == 1
    seen = h[h.loss < ESCAPED].groupby(["method", "eps"]).step.min().sort_index()  # every step to 100, then every 10th
    steps = r.escape.set_index(["method", "eps"]).steps.sort_index()
    assert ((steps <= seen) & ((seen <= 100) & (steps == seen) | (seen > 100) & (seen - 10 < steps))).all()
    long = run_escape(EscapeConfig(steps=2000, lr=0.01))
    assert len(long.history) <= 12 * (100 + 190) and long.escape.steps.notna().sum() >= 6
    assert abs(math.hypot(*r.direction) - 1) < 1e-12


# --- section 3: a real network -------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_near_critical_points_are_rarely_minima(seed):
    """At most MINIMA_SHARE of the points have minimum ratio 1, and most have negative eigenvalues; |g| is small."""
    p = network(seed).points
    assert len(p) == NetworkConfig().runs
    margin(f"network: share of local minima < {MINIMA_SHARE}", seed, (p.ratio == 1).mean(), MINIMA_SHARE, above=False)
    margin("network: share with negative eigenvalues > 0.5", seed, (p.negative > 0).mean(), 0.5)
    margin("network: largest |g| at a near-critical point < 0.05", seed, p.grad_norm.max(), 0.05, above=False)
    margin("network: negative eigenvalues per point ('a few') < half of P", seed, p.negative.max(), n_params(6) / 2,
           above=False)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_minima_question_is_read_off_the_run(seed):
    """The network preset's question grades the share of points with ratio 1: > 1/2 most, >= 1/4 some, else few."""
    r = network(seed)
    answer, numbers = CRITICAL_POINTS.questions["network"].measure(r)
    share = numbers["minima"] / numbers["n"]
    assert numbers["n"] == len(r.points) and numbers["minima"] == int((r.points.ratio == 1).sum())
    assert answer == ("most" if share > 0.5 else "some" if share >= 0.25 else "few")


@pytest.mark.parametrize("seed", SEEDS)
def test_phase_one_ends_with_the_loss_still_falling(seed):
    """The help text: the loss is usually still falling when phase 1 ends (its median over the networks fell over the
    last 100 steps; measured while writing it: 90-100% of the networks' own losses fell over those steps, for 2, 6
    and 10 hidden units and 200, 1000 and 3000 steps, 5 seeds each)."""
    h = network(seed).history.set_index(["phase", "step"]).value
    last = NetworkConfig().train_steps - 20  # the history keeps every 20th step
    margin("network: phase 1's median loss, last recorded / 100 steps earlier < 1", seed,
           h[("train", last)] / h[("train", last - 100)], 1.0, above=False)


@pytest.mark.parametrize("seed", SEEDS)
def test_with_few_parameters_most_near_critical_points_are_minima(seed):
    """The 'few dimensions' preset: 2 hidden units (7 parameters) — most near-critical points are minima
    (measured over seeds 0-29: 27 to 37 of 40; with 6 hidden units 0 of 40 on each of those seeds)."""
    p = network(seed, hidden=2).points
    margin("network, 2 hidden units: share of local minima > 0.5", seed, (p.ratio == 1).mean(), 0.5)


def test_network_hessian_is_the_exact_one():
    """The batched Hessians equal torch.autograd.functional.hessian of each network's loss alone (not Gauss-Newton:
    they have negative eigenvalues), and the batched gradients equal each network's own."""
    theta = 0.5 * torch.randn(3, n_params(6), generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    x, y = data()
    grad, hess = derivatives(theta, 6)
    for r in range(3):
        one = lambda th: losses(th.unsqueeze(0), x, y, 6)[0]  # noqa: E731
        assert torch.allclose(hess[r], torch.autograd.functional.hessian(one, theta[r]), atol=1e-10)
        assert torch.allclose(grad[r], torch.autograd.functional.jacobian(one, theta[r]), atol=1e-12)
    assert (torch.linalg.eigvalsh(hess) < -NET_EIG_TOL).any()


# --- behaviour --------------------------------------------------------------------------------
SMALL = [(run_point, PointConfig(w1=0.4, w2=-1.0)), (run_escape, EscapeConfig(steps=100)),
         (run_network, NetworkConfig(runs=5, train_steps=200, critical_steps=200))]


@pytest.mark.parametrize("run,cfg", SMALL)
def test_same_seed_sameframes(run, cfg):
    a = run(cfg)
    assert_same_frames(a, run(cfg))


def test_another_seed_starts_elsewhere():
    assert escape(0).direction != escape(1).direction
    assert not network(0, runs=5, train_steps=200, critical_steps=200).points.equals(
        network(1, runs=5, train_steps=200, critical_steps=200).points)


def test_progress_is_called_early_and_at_the_end():
    for run, cfg in SMALL[1:]:
        calls = []
        run(cfg, progress=lambda frac, frame: calls.append(frac))
        assert calls[0] == 0.0 and calls[-1] == 1.0 and len(calls) >= 2


def test_bad_config_is_refused():
    for cls, bad in ((PointConfig, dict(w1=2.5)), (EscapeConfig, dict(eps=0.5)), (EscapeConfig, dict(momentum=1.0)),
                     (EscapeConfig, dict(jump=2.0)), (NetworkConfig, dict(runs=101)), (NetworkConfig, dict(hidden=1))):
        with pytest.raises(ValueError):
            cls(**bad)


def test_extremes_run_without_nan():
    r = run_escape(EscapeConfig(lr=0.1, momentum=0.95, steps=300))
    assert not r.diverged and r.history.loss.map(math.isfinite).all()
    slow = run_escape(EscapeConfig(lr=0.01, momentum=0.0, steps=50))  # nobody escapes: NaN steps, said on the page
    assert slow.escape.steps.isna().all()


def test_loss_is_the_one_example_squared_error():
    w = torch.tensor([[0.0, 0.0], [1.0, 1.0], [2.0, -1.0]], dtype=torch.float64)
    assert loss(w).tolist() == [1.0, 0.0, 9.0]


# --- page -------------------------------------------------------------------------------------


def test_page_defaults_tell_the_story():
    at = open_page(CRITICAL_POINTS.page)
    assert_clean(at)
    assert "Saddle point" in page_text(at) and metric(at, "‖g‖") == "0" and metric(at, "Loss") == "1"


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_show_their_story(name):
    at = open_page(CRITICAL_POINTS.page)
    click_preset(at, CRITICAL_POINTS, name)
    assert_clean(at)
    text = page_text(at)
    if name == "saddle":
        assert "Saddle point" in text
    elif name == "valley":
        assert "Minimum with a flat direction" in text and "cannot tell" in text and "The loss settles" in text
    elif name == "stuck":  # the numbers in the verdict are the run's
        r = escape(0, eps=1e-6).escape.set_index(["method", "eps"]).steps
        assert f"**{int(r[('gd', 1e-6)])}** steps" in text and metric(at, "Steps to escape, gradient") == str(int(r[("gd", 1e-6)]))
    elif name == "eigenvector":
        assert metric(at, "L after one step") == "0.25"
    elif name == "few_dimensions":
        p = network(0, hidden=2).points
        assert metric(at, "Local minima") == f"{int((p.ratio == 1).sum())}/{len(p)}"
    elif name == "network":
        p = network(0).points
        assert metric(at, "Local minima") == f"{int((p.ratio == 1).sum())}/{len(p)}"
        assert f"Of **{len(p)}** near-critical points, **{int((p.ratio == 1).sum())}** are local minima" in text
