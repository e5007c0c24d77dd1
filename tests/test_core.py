"""The core layer, for every lesson at once: the boundary (no Streamlit), parameters declared once and
enforced by validate(), the one divergence rule."""
import dataclasses
import importlib
import math
import pkgutil
import subprocess
import sys

import pytest
import torch

import core
from core.lab import BLOWUP, defaults, diverged, params
from tests.conftest import ROOT
from ui.lessons import LESSONS

CONFIGS = list(dict.fromkeys(s.config for x in LESSONS for s in x.sections))
FIELDS = [(cls, name, p) for cls in CONFIGS for name, p in params(cls).items()]


def core_modules() -> list[str]:
    """Every module under core/, packages included."""
    return [m.name for m in pkgutil.walk_packages(core.__path__, "core.")]


def test_core_never_imports_streamlit():
    code = f"import sys, importlib\nfor n in {core_modules()!r}: importlib.import_module(n)\nprint('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_module_imports():
    for name in core_modules():
        importlib.import_module(name)


@pytest.mark.parametrize("cls", CONFIGS, ids=[c.__name__ for c in CONFIGS])
def test_every_field_is_declared_and_defaults_are_valid(cls):
    assert set(params(cls)) == {f.name for f in dataclasses.fields(cls)}
    cls()  # the defaults pass their own checks


def bad_values(name, p, default):
    """Values just outside a declaration, of the wrong type, or not a number."""
    if p.options:
        return [object(), "nope", *([max(p.options) * 10] if not isinstance(default, (str, bool)) else [])]
    if isinstance(default, bool):
        return [1, 0.0, "true", None]
    step = p.step or 1
    out = [p.lo - step, p.hi + step, float("nan"), float("inf"), "1", None, True]
    return out + ([p.lo + 0.5] if isinstance(default, int) else [])


@pytest.mark.parametrize("cls, name, p", FIELDS, ids=[f"{c.__name__}.{n}" for c, n, _ in FIELDS])
def test_bad_value_raises_naming_the_field(cls, name, p):
    for value in bad_values(name, p, defaults(cls)[name]):
        with pytest.raises(ValueError, match=rf"\b{name}\b"):
            cls(**{name: value})


@pytest.mark.parametrize("cls, name, p", FIELDS, ids=[f"{c.__name__}.{n}" for c, n, _ in FIELDS])
def test_bounds_and_options_are_accepted(cls, name, p):
    ends = p.options or ((p.lo, p.hi) if p.lo is not None else (True, False))
    for value in ends:
        try:
            cls(**{name: value})
        except ValueError as e:  # only a cross-field check (e.g. an even image size) may still object
            assert name not in str(e).split(" must ")[0] or "even" in str(e), e


def test_one_divergence_rule():
    assert diverged(float("nan")) and diverged(float("inf")) and diverged(-math.inf) and diverged(2 * BLOWUP)
    assert not diverged(0.0) and not diverged(BLOWUP)
    t = diverged(torch.tensor([0.5, float("nan"), float("inf"), 2 * BLOWUP]))
    assert t.tolist() == [False, True, True, True]


def test_no_lesson_keeps_its_own_divergence_rule():
    """Losses are judged by core.lab.diverged alone: no module compares with its own blow-up constant."""
    hits = [p for p in (ROOT / "core").rglob("*.py") if p.name != "lab.py" and "1e8" in p.read_text()]
    assert not hits, hits
