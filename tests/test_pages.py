"""Every page through Streamlit's AppTest, from the lesson specs: languages x settings, every tab and preset,
share links, the home page and the shared sidebar. Lesson test files keep only their lesson's claims."""
import pytest

from tests.apptest import (assert_clean, click_preset, first_visit, open_link, open_page, set_all, share_link,
                           share_query)
from ui.lessons import LESSONS

# (lesson, open tab or None): a tabbed (lazy) lesson is swept once per tab
PAGES = [(x, s.name if x.lazy else None) for x in LESSONS for s in (x.sections if x.lazy else x.sections[:1])]
PRESETS = [(x, name) for x in LESSONS for name in x.presets]


def section_keys(lesson, name):
    """URL keys of one section's fields (the controls only that section draws)."""
    sec = lesson.section(name)
    return {sec.key(f) for f in sec.fields}


def drawn(at) -> set[str]:
    """Keys of every widget on the page."""
    widgets = [*at.slider, *at.select_slider, *at.radio, *at.toggle, *at.number_input]
    return {w.key for w in widgets}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("setting", ["defaults", "min", "max"])
@pytest.mark.parametrize("lesson, tab", PAGES, ids=[f"{x.name}-{tab or 'all'}" for x, tab in PAGES])
def test_page(lesson, tab, setting, lang):
    at = open_page(lesson.page, lang, {lesson.tab_key: tab} if tab else {})
    assert_clean(at)
    if setting != "defaults":
        set_all(at, setting)
        assert_clean(at)
    assert len(at.get("vega_lite_chart")) >= 1
    shown = [s.name for s in lesson.sections if section_keys(lesson, s.name) <= drawn(at)]
    assert shown == ([tab] if tab else [s.name for s in lesson.sections])  # lazy: only the open tab's controls


@pytest.mark.parametrize("lesson, name", PRESETS, ids=[f"{x.name}-{n}" for x, n in PRESETS])
def test_preset_sets_its_values(lesson, name):
    other = {lesson.tab_key: lesson.sections[-1].name} if lesson.lazy else {}  # a preset also opens its tab
    at = open_page(lesson.page, query=other)
    click_preset(at, lesson, name)
    assert_clean(at)
    for key, value in lesson.presets[name].items():
        if key == lesson.tab_key:  # the tab is held by its label: the preset's section is the one drawn
            assert section_keys(lesson, value) <= drawn(at)
        else:
            assert at.session_state[key] == value, key


@pytest.mark.parametrize("lesson", LESSONS, ids=[x.name for x in LESSONS])
def test_share_link_reopens_the_same_demo(lesson):
    at = open_page(lesson.page, "zh", {"seed": "5"})
    click_preset(at, lesson, list(lesson.presets)[-1])
    link = share_link(at)
    again = open_link(lesson.page, link.split("8501", 1)[-1])
    assert_clean(again)
    assert [m.value for m in again.metric] == [m.value for m in at.metric]
    assert share_link(again) == link


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_home_page(lang):
    at = first_visit({"lang": lang})
    assert_clean(at)
    assert at.radio(key="lang").value == lang
    assert len(at.dataframe) == 1  # the glossary
    text = " ".join(m.value for m in at.markdown)
    assert ("课程" in text) == (lang == "zh")
    at.switch_page("pages/home.py").run()  # the same page reached from the navigation
    assert_clean(at)
    assert len(at.dataframe) == 1


@pytest.mark.parametrize("raw, lang", [("zh-CN", "zh"), ("ZH", "zh"), ("en-US", "en"), ("EN", "en"), ("zh_tw", "zh")])
def test_lang_accepts_region_codes_and_presenter_flag(raw, lang):
    at = open_page(LESSONS[0].page, lang=raw, query={"present": "1"})
    assert_clean(at)
    assert at.radio(key="lang").value == lang and at.toggle(key="present").value is True
    assert not at.warning


def test_home_share_link_and_notices_belong_to_home():
    at = open_page(LESSONS[0].page, query={"lr": "0.5"})
    at.switch_page("pages/home.py").run()
    assert "lr=" not in share_link(at)
    home = first_visit({"seed": "abc"})
    assert any("`seed`" in w.value for w in home.warning)


def test_reset_restores_defaults():
    at = open_page(LESSONS[0].page, query={"lr": "0.5", "seed": "42"})
    at.button(key="reset").click().run()
    assert_clean(at)
    assert at.select_slider(key="lr").value == 0.1 and at.number_input(key="seed").value == 0


def test_language_switch_translates_the_page():
    at = open_page(LESSONS[0].page)
    assert at.title[0].value == "Gradient descent"
    at.radio(key="lang").set_value("zh").run()
    assert_clean(at)
    assert at.title[0].value == "梯度下降"


def test_url_values_are_adopted_and_shared():
    at = open_page(LESSONS[0].page, query={"lr": "0.5", "loss": "mae", "outlier": "1", "seed": "7"})
    assert_clean(at)
    assert at.select_slider(key="lr").value == 0.5
    assert at.radio(key="loss").value == "mae" and at.toggle(key="outlier").value is True
    assert {"lr": "0.5", "loss": "mae", "outlier": "true", "seed": "7"}.items() <= share_query(at).items()
