"""The lecture run-sheet (ui/sheet.py, pages/run_sheet.py): every preset in course order with its note and link,
the Markdown for the slides, and the Previous / Next walk across lessons (AppTest; the browser test walks it too)."""
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import TIMEOUT, assert_clean, open_link, open_page, page_text, share_link
from ui import sheet
from ui.i18n import catalogue
from ui.lessons import LESSONS
from ui.page import link_configs

SHEET = "pages/run_sheet.py"
LINK = re.compile(r"\]\((http[^)\s]+)\)")


def expected_configs(item: sheet.Item, seed: int = 0) -> dict:
    """What opening the item's preset on a fresh page stands for: each section's config, the preset over defaults."""
    values = {k: d for s in item.lesson.sections for k, d in s.defaults().items()} | item.values
    return {s.name: s.config_from(values, seed) for s in item.lesson.sections}


def test_items_are_every_preset_in_course_order():
    assert [(i.lesson.name, i.preset) for i in sheet.ITEMS] == [(x.name, p) for x in LESSONS for p in x.presets]
    assert [i.number for i in sheet.ITEMS] == list(range(1, len(sheet.ITEMS) + 1))
    for lang in ("en", "zh"):  # every moment has its "what to say" note in both languages
        cat = catalogue(lang)
        assert all(cat.get(f"{i.lesson.name}.say.{i.preset}", "").strip() for i in sheet.ITEMS), lang


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_run_sheet_page_lists_every_item_with_its_note_and_link(lang):
    at = open_page(SHEET, lang, {"seed": "7", "present": "1"})
    assert_clean(at)
    cat = catalogue(lang)
    rows = [m.value for m in at.markdown if LINK.search(m.value)]
    assert len(rows) == len(sheet.ITEMS)
    for row, item in zip(rows, sheet.ITEMS):  # in course order, each with its label, note and its own link
        assert cat[f"{item.lesson.name}.preset.{item.preset}"] in row and cat[f"{item.lesson.name}.say.{item.preset}"] in row
        link = LINK.search(row).group(1)
        query = {k: v for k, v in parse_qs(urlsplit(link).query).items()}
        assert urlsplit(link).path == f"/{item.lesson.name}" and query["sheet"] == [str(item.number)]
        assert query["lang"] == [lang] and query["seed"] == ["7"] and query["present"] == ["true"]
        assert link_configs(item.lesson, query) == expected_configs(item, seed=7)  # the link is the preset
    assert len([b for b in at.button if b.key.endswith("_open")]) == len(sheet.ITEMS)


def test_markdown_for_the_slides_has_every_link_and_note():
    def script():
        from ui import page, sheet
        import streamlit as st
        st.session_state.setdefault("lang", "zh")
        st.text(sheet.markdown({i.number: sheet.link(i, page.SHARED) for i in sheet.ITEMS}))

    at = AppTest.from_function(script, default_timeout=TIMEOUT).run()
    md = at.text[0].value
    cat = catalogue("zh")
    assert md.startswith(f"# {cat['sheet.title']}")
    links = LINK.findall(md)
    assert len(links) == len(sheet.ITEMS)
    for link, item in zip(links, sheet.ITEMS):
        assert f"sheet={item.number}" in link and cat[f"{item.lesson.name}.say.{item.preset}"] in md
        assert link_configs(item.lesson, parse_qs(urlsplit(link).query)) == expected_configs(item)
    assert all(cat[f"{x.name}.title"] in md for x in LESSONS)


def holds(at, item: sheet.Item) -> bool:
    """The page's session holds the item's preset values; a tab id is held by its label (in English here)."""
    tab = item.lesson.tab_key
    return all(at.session_state[k] == (catalogue("en")[f"{item.lesson.name}.tab.{v}"] if k == tab else v)
               for k, v in item.values.items())


def test_walk_across_two_lessons_with_next_and_previous():
    last_gd = max(i.number for i in sheet.ITEMS if i.lesson is LESSONS[0])
    at = open_page(SHEET, "en")
    at.button(key=f"sheet_go_{last_gd}_open").click().run()  # Open: the last gradient-descent moment
    assert_clean(at)
    item = sheet.ITEMS[last_gd - 1]
    assert at.title[0].value == "Gradient descent" and at.query_params["sheet"] == str(last_gd)
    assert f"Run-sheet {last_gd} / {len(sheet.ITEMS)}" in page_text(at)
    assert holds(at, item)
    at.button(key=f"sheet_go_{last_gd + 1}_next").click().run()  # Next: the first moment of the next lesson
    assert_clean(at)
    nxt = sheet.ITEMS[last_gd]
    assert nxt.lesson is LESSONS[1] and at.title[0].value == catalogue("en")[f"{LESSONS[1].name}.title"]
    assert holds(at, nxt)
    assert at.query_params["sheet"] == str(last_gd + 1) and "sheet=" not in share_link(at)  # students get the demo
    at.button(key=f"sheet_go_{last_gd}_prev").click().run()  # Previous: back, with that moment's values
    assert_clean(at)
    assert at.title[0].value == "Gradient descent" and holds(at, item)


def test_first_and_last_items_have_one_way_only():
    first = open_link(LESSONS[0].page, f"/{LESSONS[0].name}?sheet=1")
    assert_clean(first)
    assert [b.key for b in first.button if b.key.startswith("sheet_go")] == ["sheet_go_2_next"]
    n, last = len(sheet.ITEMS), sheet.ITEMS[-1]
    end = open_link(last.lesson.page, f"/{last.lesson.name}?sheet={n}&{urlencode(last.values)}")
    assert_clean(end)
    assert [b.key for b in end.button if b.key.startswith("sheet_go")] == [f"sheet_go_{n - 1}_prev"]


def test_leaving_the_walk_by_the_page_list_ends_it():
    at = open_link(LESSONS[0].page, f"/{LESSONS[0].name}?sheet=1")
    at.switch_page(LESSONS[2].page).run()  # the sidebar's page list, not Next
    assert_clean(at)
    assert not [b for b in at.button if b.key.startswith("sheet_go")] and "sheet" not in at.query_params
    at.switch_page(LESSONS[0].page).run()
    assert not [b for b in at.button if b.key.startswith("sheet_go")]


@pytest.mark.parametrize("raw", ["0", "-1", str(len(sheet.ITEMS) + 1), "1e309", "abc", "", "2.5", "<b>1</b>"])
def test_hostile_sheet_value_is_ignored(raw):
    at = open_link(LESSONS[0].page, f"/{LESSONS[0].name}?sheet={raw}")
    assert_clean(at)
    assert not [b for b in at.button if b.key.startswith("sheet_go")]  # no walk, the page as usual
    assert bool(at.warning) == (raw != "0")  # 0 is "not walking": no notice


def test_every_moment_has_its_time_and_a_core_walk_fits_a_lecture():
    for x in LESSONS:
        assert set(x.moments) == set(x.presets), x.name  # each preset is a moment with its minutes and mark
        assert all(0 < m.talk <= 10 for m in x.moments.values()), x.name
    missing = [f"{i.lesson.name}.{i.preset}" for i in sheet.ITEMS if f"{i.lesson.name}.{i.preset}" not in sheet.SECONDS]
    assert not missing, f"run `python bench/moments.py` to measure {missing}"
    core = [i for i in sheet.ITEMS if i.moment.core]
    assert {i.lesson.name for i in core} == {x.name for x in LESSONS}  # every lesson has a core moment
    assert sheet.total(core) <= sheet.LECTURE < sheet.total(list(sheet.ITEMS))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_core_walk_lists_and_walks_only_core_moments(lang):
    cat = catalogue(lang)
    at = open_page(SHEET, lang, {"sheet_core": "true"})
    assert_clean(at)
    assert not at.warning and at.toggle(key=sheet.CORE.key).value
    core = [i for i in sheet.ITEMS if i.moment.core]
    rows = [m.value for m in at.markdown if LINK.search(m.value)]
    assert len(rows) == len(core) and all(cat["sheet.core_mark"] in r for r in rows)
    assert all("walk=core" in LINK.search(r).group(1) for r in rows)  # a link opened alone walks the core too
    optional = next(i for i in sheet.ITEMS if not i.moment.core and 1 < i.number)
    before = max(i.number for i in core if i.number < optional.number)
    after = min(i.number for i in core if i.number > optional.number)
    at.button(key=f"sheet_go_{before}_open").click().run()
    assert_clean(at)
    assert at.query_params["walk"] == "core"
    assert [b.key for b in at.button if b.key.endswith("_next")] == [f"sheet_go_{after}_next"]  # the optional skipped
    at.button(key=f"sheet_go_{after}_next").click().run()
    assert_clean(at)
    assert at.query_params["sheet"] == str(after) and [b.key for b in at.button if b.key.endswith("_prev")] == [
        f"sheet_go_{before}_prev"]
    text = page_text(at)
    assert cat["sheet.at_core"].split("{")[0].strip(" ·") in text


def test_the_run_sheet_states_the_lecture_time_and_every_moments_time():
    at = open_page(SHEET, "en")
    assert_clean(at)
    core = [i for i in sheet.ITEMS if i.moment.core]
    assert f"about **{sheet.total(core)} min**" in page_text(at)
    rows = [m.value for m in at.markdown if LINK.search(m.value)]
    assert len(rows) == len(sheet.ITEMS)
    for row, item in zip(rows, sheet.ITEMS):
        assert f"{item.moment.talk:g} min + " in row and ("core" if item.moment.core else "optional") in row


def test_readme_counts_follow_the_specs():
    """The README's run-sheet and predict-first numbers are the specs' (a new preset or question updates them)."""
    import re

    from tests.conftest import ROOT
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    core = [i for i in sheet.ITEMS if i.moment.core]
    questions = sum(len(x.questions) for x in LESSONS)
    assert re.search(rf"\({questions} of them, e\.g\.", text)
    assert f"in course order ({len(sheet.ITEMS)} moments)" in text and f"*Run-sheet k / {len(sheet.ITEMS)}*" in text
    assert f"about {sheet.total(list(sheet.ITEMS))} minutes" in text
    assert f"`?sheet_core=true`: {len(core)} moments) about {sheet.total(core)}, within" in text
