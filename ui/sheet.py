"""The lecture run-sheet: every preset of every lesson in course order, and the Next / Previous bar that walks it.

A lesson page opened from the run-sheet carries `?sheet=k` (item k, from 1): its top shows where the lecture is,
the item's "what to say" note (folded: the projector shows the class the demo, not the script) and Next /
Previous, which set the next item's preset values and open its page in the same session, without the sidebar.
The share link never carries `sheet`: a student's link opens the demo, not the instructor's walk.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
import streamlit as st

from ui.controls import SCROLL_TO, Control, _apply, app_url, preset_label, section_controls
from ui.i18n import t
from ui.lessons import LESSONS, Lesson


@dataclass(frozen=True)
class Item:
    """One moment of the lecture: a lesson's preset."""
    number: int  # 1..N in course order
    lesson: Lesson
    preset: str

    @property
    def values(self) -> dict[str, Any]:
        """The preset's URL values ({key: value}), as its button applies them."""
        return self.lesson.presets[self.preset]

    def label(self) -> str:
        return preset_label(self.lesson, self.preset)

    def say(self) -> str:
        return t(f"{self.lesson.name}.say.{self.preset}")

    def question(self) -> str:
        """The preset's question for the class (predict, then reveal), or ''."""
        q = self.lesson.questions.get(self.preset)
        return t("sheet.ask", q=t(f"{self.lesson.name}.ask.{q.key}.q")) if q else ""

    def line(self, link: str) -> str:
        """One Markdown line: number, the label as a link, the note and the question."""
        return f"{self.number}. **[{self.label()}]({link})** — {self.say()}{self.question()}"


ITEMS: tuple[Item, ...] = tuple(Item(i, x, p) for i, (x, p) in
                                enumerate(((x, p) for x in LESSONS for p in x.presets), start=1))
KEY = "sheet"
CONTROL = Control(KEY, "slider", 0, lo=0, hi=len(ITEMS), step=1)  # 0: not walking the run-sheet


def current() -> Item | None:
    """The run-sheet item this session is at (None: not walking it)."""
    k = int(st.session_state.get(KEY, 0) or 0)
    return ITEMS[k - 1] if 1 <= k <= len(ITEMS) else None


def _go(k: int) -> None:
    """Button callback: item k's preset values into the session, then (in the script, see follow) its page."""
    item = ITEMS[k - 1]
    _apply(item.values | {SCROLL_TO: item.lesson.preset_section(item.preset)})
    st.session_state[KEY] = k
    st.session_state["_sheet_go"] = k


def follow() -> None:
    """In the router, before the page runs: a Next / Previous / Open click opens its item's page."""
    k = st.session_state.pop("_sheet_go", None)
    if k:
        st.switch_page(ITEMS[k - 1].lesson.page, query_params={KEY: str(k)})


def button(k: int, label: str, where: Any = st, **kw) -> None:
    """A button that opens run-sheet item k."""
    where.button(label, key=f"sheet_go_{k}_{kw.pop('tag', '')}", on_click=_go, args=(k,), width="stretch", **kw)


def bar(here: Lesson) -> None:
    """On a lesson page walked from the run-sheet: where the lecture is, the note, Previous / Next. Opening
    another lesson's page (the sidebar's page list) ends the walk; home and the run-sheet page keep it."""
    item = current()
    if item is None:
        return
    if item.lesson is not here:
        st.session_state[KEY] = 0
        st.query_params.pop(KEY, None)
        return
    st.query_params[KEY] = str(item.number)  # a reload stays on the walk
    prev, mid, say, nxt = st.columns([3, 4, 2, 3], vertical_alignment="center")  # one row: the chart stays in view
    if item.number > 1:
        button(item.number - 1, f"← {ITEMS[item.number - 2].label()}", prev, tag="prev", help=t("sheet.previous"))
    mid.markdown(t("sheet.at", k=item.number, n=len(ITEMS), label=item.label()))
    say.popover(t("sheet.say"), icon=":material/speaker_notes:", width="stretch").markdown(item.say())
    if item.number < len(ITEMS):
        button(item.number + 1, f"{ITEMS[item.number].label()} →", nxt, tag="next", type="primary",
               help=t("sheet.next"))


def link(item: Item, shared: list[Control]) -> str:
    """The item's link: its page with the preset's values, this session's language, presenter mode and seed,
    and sheet=k (opened in a fresh browser it starts the walk there)."""
    by_key = {c.key: c for s in item.lesson.sections for c in section_controls(item.lesson.name, s)}
    query = {c.key: c.fmt(st.session_state.get(c.key, c.default)) for c in shared}
    query |= {k: by_key[k].fmt(v) if k in by_key else str(v) for k, v in item.values.items()}  # else: a tab id
    return app_url(item.lesson.name, query | {KEY: item.number})


def markdown(links: dict[int, str]) -> str:
    """The run-sheet as Markdown for the slides: per lesson, each item with its link ({number: link}) and note."""
    out = [f"# {t('sheet.title')}", ""]
    for x in LESSONS:
        out += [f"## {t(f'{x.name}.title')}", f"*{t(f'{x.name}.chapter')}*", ""]
        out += [i.line(links[i.number]) for i in ITEMS if i.lesson is x]
        out.append("")
    return "\n".join(out)
