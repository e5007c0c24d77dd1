"""Predict, then reveal (ui/predict.py, the lesson specs' questions): hidden before Reveal (nothing charted or
sent), revealed after, and the highlighted answer is the one the run measured (core's run, several seeds)."""
import pytest

from tests.apptest import assert_clean, click_preset, open_page, share_query
from ui.i18n import catalogue
from ui.lessons import LESSONS
from ui.predict import MARK

ASKED = [(x, name) for x in LESSONS for name in x.questions]


def open_preset(lesson, name, lang="en", seed=0, predict="1"):
    """The lesson page with predict-first from the link, the preset clicked (its tab opened by the link too)."""
    tab = {lesson.tab_key: lesson.preset_section(name) or lesson.sections[0].name} if lesson.lazy else {}
    return click_preset(open_page(lesson.page, lang, {"predict": predict, "seed": str(seed), **tab}), lesson, name)


def expected(lesson, name, seed, q=None):
    """The answer the question's own measure (or q's) reads off core's run of the preset (no page involved)."""
    section = lesson.section(lesson.preset_section(name) or lesson.sections[0].name)
    values = section.defaults() | {k: v for k, v in lesson.presets[name].items() if k != lesson.tab_key}
    q = q or lesson.questions[name]
    return q.answers.index(q.measure(lesson.run(section.config_from(values, seed)))[0])


def highlighted(at) -> int | None:
    """The letter (as an index) the revealed box marks."""
    lines = [line for s in at.success for line in s.value.split("\n") if MARK in line]
    return "ABCD".index(lines[0].split(MARK + " ")[1][0]) if lines else None


def reveal(at, lesson):
    at.button(key=next(b.key for b in at.button if b.key.startswith(f"reveal_{lesson.name}_"))).click().run()
    assert_clean(at)
    return at


@pytest.mark.parametrize("lesson, name", ASKED, ids=[f"{x.name}-{n}" for x, n in ASKED])
def test_hidden_until_reveal_then_the_measured_answer(lesson, name):
    at = open_preset(lesson, name)
    assert_clean(at)
    q = lesson.questions[name]
    assert 2 <= len(q.answers) <= 4
    assert not at.get("vega_lite_chart") and not at.metric  # nothing of the result reaches the browser
    assert not [b for b in at.get("download_button") if "csv" in str(b.proto.label).lower()]
    text = " ".join(m.value for m in at.markdown)
    en = catalogue("en")
    assert en[f"{lesson.name}.ask.{q.key}.q"] in text and all(en[f"{lesson.name}.ask.{q.key}.{a}"] in text for a in q.answers)
    reveal(at, lesson)
    assert at.get("vega_lite_chart")
    assert highlighted(at) == expected(lesson, name, 0)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("lesson, name", [(LESSONS[0], "too_small"), (LESSONS[0], "diverges"),
                                          (next(x for x in LESSONS if x.name == "overfitting"), "just_right")])
def test_highlighted_answer_follows_the_run_on_several_seeds(lesson, name, seed):
    at = reveal(open_preset(lesson, name, seed=seed), lesson)
    assert highlighted(at) == expected(lesson, name, seed)


def test_answers_are_measured_not_fixed():
    """One question, three presets' runs, three different measured answers (converged, still above, diverges)."""
    gd = LESSONS[0]
    rate = gd.questions["too_small"]  # asked at one moment only; measured on the runs of the other two as well
    assert {expected(gd, name, 0, rate) for name in ("good", "too_small", "diverges")} == {0, 1, 2}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_question_in_the_page_language_and_the_link_keeps_predict_first(lang):
    gd = LESSONS[0]
    at = open_preset(gd, "too_small", lang=lang)
    text = " ".join(m.value for m in at.markdown)
    assert catalogue(lang)[f"{gd.name}.ask.rate.q"] in text and catalogue(lang)["predict.title"] in text
    assert share_query(at)["predict"] == "true"


def test_predict_off_or_settings_moved_show_the_result():
    gd = LESSONS[0]
    off = open_preset(gd, "too_small", predict="0")
    assert off.get("vega_lite_chart") and not [b for b in off.button if b.key.startswith("reveal_")]
    moved = open_preset(gd, "too_small")
    moved.select_slider(key="lr").set_value(0.002).run()  # no preset has these settings: nothing to predict
    assert_clean(moved)
    assert moved.get("vega_lite_chart") and not [b for b in moved.button if b.key.startswith("reveal_")]


def test_another_preset_asks_again_after_a_reveal():
    gd = LESSONS[0]
    at = reveal(open_preset(gd, "too_small"), gd)
    assert at.get("vega_lite_chart")
    click_preset(at, gd, "diverges")
    assert not at.get("vega_lite_chart") and [b for b in at.button if b.key.startswith("reveal_")]


def test_a_prepared_link_hides_on_its_first_run_and_keeps_every_setting():
    """/overfitting?predict=1 (its defaults are the 'overfit' preset): hidden on the very first run, no lesson
    takeaway under it (it states the answer), and the share link (and QR) still holds the tab's views."""
    of = next(x for x in LESSONS if x.name == "overfitting")
    at = open_page(of.page, "en", {"predict": "1"})
    assert_clean(at)
    assert not at.get("vega_lite_chart") and [b for b in at.button if b.key.startswith("reveal_")]
    assert not [s for s in at.subheader if s.value == catalogue("en")["common.notice"]]
    assert share_query(at)["of_show"] == "deepest" and share_query(at)["predict"] == "true"


def test_preset_labels_do_not_give_the_answer_away():
    gd = LESSONS[0]
    at = open_preset(gd, "diverges")
    labels = {b.key: b.label for b in at.button if b.key.startswith("preset_")}
    assert labels[f"preset_{gd.name}_diverges"] == catalogue("en")[f"{gd.name}.preset_ask.diverges"]
    off = open_preset(gd, "diverges", predict="0")
    assert {b.key: b.label for b in off.button}[f"preset_{gd.name}_diverges"] == catalogue("en")[f"{gd.name}.preset.diverges"]
