"""The frame every lesson stands on: core boundary, locales, URL-bound controls, home page, router."""
import importlib
import pkgutil
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

import core
from tests.apptest import TIMEOUT, assert_clean, open_page
from tests.conftest import ROOT
from ui.controls import Control
from ui.i18n import catalogue
from ui.lessons import LESSONS, ROOT as LESSON_ROOT, available, page_file


def test_core_never_imports_streamlit():
    names = [f"core.{m.name}" for m in pkgutil.iter_modules(core.__path__)]
    code = f"import sys, importlib\nfor n in {names!r}: importlib.import_module(n)\nprint('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_lesson_has_its_three_files():
    assert available() == LESSONS
    for name in LESSONS:
        for path in (f"core/{name}.py", page_file(name), f"tests/test_{name}.py"):
            assert (LESSON_ROOT / path).exists(), path


def test_core_modules_import():
    for m in pkgutil.iter_modules(core.__path__):
        importlib.import_module(f"core.{m.name}")


def test_locales_have_the_same_non_empty_keys():
    en, zh = catalogue("en"), catalogue("zh")
    assert set(en) == set(zh), set(en) ^ set(zh)
    empty = [k for k in en if not str(en[k]).strip() or not str(zh[k]).strip()]
    assert not empty, empty


def test_every_lesson_page_has_its_strings():
    en = catalogue("en")
    for name in available():
        for part in ("title", "chapter", "intro", "card", "takeaway"):
            assert f"{name}.{part}" in en, f"{name}.{part}"


@pytest.mark.parametrize("raw", ["abc", "", "nan", "inf", "-1e309", "1e309", "11", "<b>1</b>", "2.5"])
def test_slider_rejects_garbage(raw):
    with pytest.raises(ValueError):
        Control("steps", "slider", 5, lo=1, hi=10).parse(raw)


def test_parse_accepts_valid_values():
    assert Control("steps", "slider", 5, lo=1, hi=10).parse(" 7 ") == 7
    assert Control("lr", "select", 0.1, options=(0.01, 0.1)).parse("1e-2") == 0.01
    assert Control("on", "toggle", False).parse("1") is True
    assert Control("on", "toggle", False).parse("False") is False
    assert Control("loss", "choice", "mse", options=("mse", "mae")).parse("mae") == "mae"
    with pytest.raises(ValueError):
        Control("loss", "choice", "mse", options=("mse", "mae")).parse("MSE; drop")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_home_page(lang):
    at = first_visit({"lang": lang})
    assert_clean(at)
    assert at.radio(key="lang").value == lang
    assert len(at.dataframe) == 1  # the glossary
    text = " ".join(m.value for m in at.markdown)
    assert ("课程" in text) == (lang == "zh")
    at.switch_page("pages/0_home.py").run()  # the same page reached from the navigation
    assert_clean(at)
    assert len(at.dataframe) == 1


def first_visit(query: dict[str, str]) -> AppTest:
    """One run of the router on a link, as a browser's first visit (lands on home)."""
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def test_garbage_in_shared_params():
    at = first_visit({"lang": "xx<script>", "present": "maybe", "seed": "1e9"})
    assert_clean(at)
    assert at.number_input(key="seed").value == 0 and at.toggle(key="present").value is False
    assert len(at.warning) == 3


@pytest.mark.parametrize("raw, lang", [("zh-CN", "zh"), ("ZH", "zh"), ("en-US", "en"), ("EN", "en")])
def test_lang_accepts_region_codes_and_presenter_flag(raw, lang):
    at = open_page("1_gradient_descent.py", lang=raw, query={"present": "1"})
    assert_clean(at)
    assert at.radio(key="lang").value == lang and at.toggle(key="present").value is True
    assert not at.warning


def test_home_share_link_and_notices_belong_to_home():
    at = open_page("1_gradient_descent.py", query={"lr": "0.5"})
    at.switch_page("pages/0_home.py").run()
    assert "lr=" not in at.code[0].value
    home = first_visit({"seed": "abc"})
    assert any("`seed`" in w.value for w in home.warning)


def test_reset_restores_defaults():
    at = open_page("1_gradient_descent.py", query={"lr": "0.5", "seed": "42"})
    at.button(key="reset").click().run()
    assert_clean(at)
    assert at.select_slider(key="lr").value == 0.1 and at.number_input(key="seed").value == 0


def test_language_switch_translates_the_page():
    at = open_page("1_gradient_descent.py")
    assert at.title[0].value == "Gradient descent"
    at.radio(key="lang").set_value("zh").run()
    assert_clean(at)
    assert at.title[0].value == "梯度下降"
