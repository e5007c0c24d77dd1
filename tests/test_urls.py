"""Every URL value is hostile until parsed: a property-based fuzz of every key of every page and of the
sidebar, today's preset links (they sit in instructors' slides) reopening the same configs, and a
handful of hostile links through the whole app (AppTest)."""
import dataclasses
import json
import math
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings, strategies as st_

from core.lab import defaults
from tests.apptest import assert_clean, first_visit, open_page
from tests.conftest import ROOT
from ui.controls import Control, TabControl, notice_text, read_link
from ui import sheet
from ui.lessons import LESSONS, lesson as lesson_named
from ui.page import SHARED, link_configs, page_controls

CONTROLS = [(x.name, c) for x in LESSONS for c in page_controls(x)] + [("sidebar", c) for c in SHARED]
CONTROLS += [("run-sheet", sheet.CONTROL), ("run-sheet", sheet.WALK), ("run-sheet", sheet.CORE)]
HOSTILE = ["1e309", "-1e309", "1e-400", "-0", "NaN", "nan", "inf", "-inf", "0x10", "１２", "٣", "1_000", " ", "",
           "\t5\n", "9" * 10_000, "%00", "\x00", "<b>x</b>", "<script>alert(1)</script>", "[a](https://evil.example)",
           "`x`", "**bold**", "1;drop", "true\nfalse", "zh-CN<", "Capacity ", "容量", "0.1.2", "--1", "+", "e5"]
text = st_.one_of(st_.sampled_from(HOSTILE), st_.text(max_size=60),
                  st_.from_regex(r"[+-]?\d{0,6}(\.\d{0,4})?([eE][+-]?\d{1,4})?", fullmatch=True),
                  st_.floats(allow_nan=True, allow_infinity=True).map(repr), st_.integers().map(str))


def valid(c: Control, value) -> bool:
    """The value is one the control could show."""
    if c.options:
        return value in c.options
    if c.kind == "toggle":
        return isinstance(value, bool)
    return isinstance(value, type(c.default)) and math.isfinite(value) and c.lo <= value <= c.hi


@pytest.mark.parametrize("where, c", CONTROLS, ids=[f"{w}-{c.key}" for w, c in CONTROLS])
@settings(max_examples=120, deadline=None)
@given(raws=st_.lists(text, min_size=1, max_size=3))
def test_any_url_value_is_a_valid_setting_or_the_default(where, c, raws):
    """Whatever a link holds (repeated keys too): never an exception; a valid value, or flagged bad."""
    values, bad, unknown = read_link([c], {c.key: raws, "zzz": raws}, known={c.key})
    assert set(values) | set(bad) == {c.key} and set(unknown) == {"zzz"}
    if not raws[-1].strip().isascii():  # full-width digits, Arabic-Indic digits, markup in any script
        assert c.key in bad or isinstance(c, TabControl) or c.key == "lang"
    if c.key in values:
        value = values[c.key]
        assert valid(c, value)
        assert c.parse(c.fmt(value)) == value  # what Streamlit is handed is canonical and reads back the same
        assert NUMBER_SAFE.fullmatch(c.fmt(value)) or c.kind in ("choice", "toggle")


NUMBER_SAFE = re.compile(r"-?\d+(\.\d+)?(e-?\d+)?")  # text Streamlit's own number parser takes without overflow


@settings(max_examples=200, deadline=None)
@given(key=text, raw=text, default=st_.one_of(st_.none(), st_.sampled_from(["0", "0.1", "mse"])))
def test_notice_is_bilingual_and_never_markup(key, raw, default):
    msg = notice_text(key, raw, default)
    spans = msg.split("`")
    assert len(spans) % 2 == 1  # backticks pair up: key and value always sit inside code spans
    assert all(ch.isprintable() for ch in msg)  # no newline could start a heading, list or link on its own line
    assert re.search(r"[\u4e00-\u9fff]", msg) and re.search(r"[A-Za-z]{4}", msg)  # both languages


LEGACY = json.loads((ROOT / "tests" / "legacy_links.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("entry", LEGACY, ids=[e["preset"] for e in LEGACY])
def test_todays_preset_links_open_the_same_configs(entry):
    """Links made by the app before the one-declaration refactor (every preset, both languages). A setting added
    since (e.g. the LSTM's recurrent scale) is not in an old link: it opens at that setting's default; a section added
    since (e.g. pooling's spatial transformer tab) opens at its defaults, with the link's seed."""
    url = urlsplit(entry["link"])
    lesson = lesson_named(url.path.strip("/"))
    configs = link_configs(lesson, parse_qs(url.query, keep_blank_values=True))
    for name, cfg in configs.items():
        seed = {"seed": next(iter(entry["configs"].values()))["seed"]}  # a section added since: the link's seed
        old, now, new = entry["configs"].get(name, seed), dataclasses.asdict(cfg), defaults(type(cfg))
        assert {k: now[k] for k in old} == old and {k: now[k] for k in now if k not in old} == {
            k: new[k] for k in now if k not in old}


BAD = {"seed": "1e309", "present": "NaN", "lang": "<b>x</b>", "zzz": "%00"}


@pytest.mark.parametrize("lesson", LESSONS, ids=[x.name for x in LESSONS])
def test_hostile_link_gives_defaults_and_notices(lesson):
    controls = [c for c in page_controls(lesson) if c.kind != "toggle"]
    bad = {**BAD, **{c.key: h for c, h in zip(controls, ["-1e309", "<script>x</script>", "１２", "0x10", "1_000"])}}
    at = open_page(lesson.page, "en", {k: v for k, v in bad.items() if k != "lang"})
    assert_clean(at)
    notices = " ".join(w.value for w in at.warning)
    for key in bad:
        if key != "lang":
            assert f"`{key}`" in notices, key
    for c in controls[:5]:
        assert at.session_state[c.key] == c.default, c.key
    assert at.number_input(key="seed").value == 0 and at.toggle(key="present").value is False


@pytest.mark.parametrize("query", [{"seed": "1e309"}, {"seed": "-1e309"}, {"seed": "1e-400"}, {"seed": "٣"}, {"seed": "1e3"},
                                   {"lang": "<b>x</b>", "present": "NaN"}, {"seed": "9" * 10_000}])
def test_hostile_shared_values_on_home(query):
    at = first_visit(query)
    assert_clean(at)
    assert len(at.warning) == len(query)
    assert at.number_input(key="seed").value == 0


def test_repeated_key_takes_the_last_value():
    at = open_page(LESSONS[0].page, query={"seed": ["1", "2"], "lr": ["0.5", "0.2"]})
    assert_clean(at)
    assert at.number_input(key="seed").value == 2 and at.select_slider(key="lr").value == 0.2


def test_unknown_tab_opens_the_first_with_a_notice():
    tabbed = next(x for x in LESSONS if x.lazy)
    at = open_page(tabbed.page, query={tabbed.tab_key: "<garbage>"})
    assert_clean(at)
    assert any(f"`{tabbed.tab_key}`" in w.value for w in at.warning)


def test_a_retired_control_in_an_old_link_is_dropped_without_a_notice():
    """The convolution sharing tab's old fully connected control (cvs_fc) left with its fully connected layer: the
    old AlphaGo preset's link opens the same tab and values, with no warning on the projector and no cvs_fc in the
    share link."""
    old = {"cv_tab": "sharing", "cvs_n": "19", "cvs_cin": "48", "cvs_filters": "192", "cvs_k": "5", "cvs_fc": "361"}
    at = open_page(lesson_named("convolution").page, "en", old)
    assert_clean(at)
    assert not at.warning and "cvs_fc" not in at.query_params
    assert all(at.session_state[k] == int(v) for k, v in old.items() if k not in ("cv_tab", "cvs_fc"))
    assert "cvs_fc" not in at.sidebar.code[0].value
