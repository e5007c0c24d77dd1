"""Predict, then reveal: with "predict first" on (sidebar, ?predict=1), a section whose settings are a preset with
a question (ui/lessons.Question) shows the question and its answers but keeps its result hidden — nothing is
trained or sent to the browser — until **Reveal**; then the answer this run measured is highlighted, with the
numbers that decide it. Any other settings show the section as usual.
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from ui.controls import PREDICT as KEY  # the sidebar toggle (ui.page.SHARED)
from ui.controls import section_controls
from ui.i18n import t
from ui.lessons import Lesson, Question

_REVEALED = "_revealed"  # session: the (lesson, preset, config) a Reveal click opened
HIDING = "_hiding"  # session: this page run hides a result (ui.page.takeaway then holds the lesson's box back)
MARK = ":material/check_circle:"  # the measured answer (an icon font: no emoji font needed on the projector's PC)


def asked(lesson: Lesson, section: str) -> tuple[str, Question] | None:
    """The preset (and its question) the section's settings are, if predict-first is on and it has one."""
    if not st.session_state.get(KEY):
        return None
    now = {k: st.session_state.get(k, d) for s in lesson.sections for k, d in s.defaults().items()}  # a view drawn
    for name, q in lesson.questions.items():                                        # later is at its default
        if (lesson.preset_section(name) or lesson.sections[0].name) != section:
            continue
        if all(k == lesson.tab_key or now.get(k) == v for k, v in lesson.presets[name].items()):
            return name, q
    return None


def _id(lesson: Lesson, name: str, cfg: Any) -> str:
    return f"{lesson.name}:{name}:{cfg!r}"


def _answers(lesson: Lesson, q: Question, mark: str | None = None) -> str:
    """The answers as a lettered list; `mark`: the measured one, highlighted."""
    rows = []
    for letter, a in zip("ABCD", q.answers):
        text = f"{letter}. {t(f'{lesson.name}.ask.{q.key}.{a}')}"
        rows.append(f"- **{MARK} {text}**" if a == mark else f"- {text}")
    return "\n".join(rows)


def hidden(lesson: Lesson, section: str, cfg: Any, where: Any = st) -> bool:
    """Draw the question and Reveal in `where` and return True while the section's result must stay hidden."""
    found = asked(lesson, section)
    if found is None:
        return False
    name, q = found
    if st.session_state.get(_REVEALED) == _id(lesson, name, cfg):
        return False
    views = [c for c in section_controls(lesson.name, lesson.section(section)) if c.key not in
             st.session_state.get("_page_controls", {})]  # not drawn while hidden: the share link still holds them
    st.session_state.setdefault("_page_controls", {}).update({c.key: c for c in views})
    st.session_state[HIDING] = True
    box = where.container(border=True)
    box.markdown(f"**{t('predict.title')}** · {t(f'{lesson.name}.ask.{q.key}.q')}\n\n{_answers(lesson, q)}")
    box.caption(t("predict.note"))
    box.button(t("predict.reveal"), key=f"reveal_{lesson.name}_{section}", type="primary", icon=":material/visibility:",
               on_click=st.session_state.__setitem__, args=(_REVEALED, _id(lesson, name, cfg)))
    return True


def answer(lesson: Lesson, section: str, result: Any, where: Any = st) -> str | None:
    """After Reveal: the answer this run measured, highlighted among the others, and why; returns its id."""
    found = asked(lesson, section)
    if found is None:
        return None
    _, q = found
    measured, fmt = q.measure(result)
    where.success(f"**{t('predict.measured')}** · {t(f'{lesson.name}.ask.{q.key}.q')}\n\n{_answers(lesson, q, measured)}"
                  f"\n\n{t(f'{lesson.name}.ask.{q.key}.why', **fmt)}", icon=":material/lightbulb:")
    return measured
