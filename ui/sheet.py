"""The lecture run-sheet: every preset of every lesson in course order, and the Next / Previous bar that walks it.

A lesson page opened from the run-sheet carries `?sheet=k` (item k, from 1): its top shows where the lecture is,
the item's "what to say" note (folded: the projector shows the class the demo, not the script) and Next /
Previous, which set the next item's preset values and open its page in the same session, without the sidebar.
The share link never carries `sheet`: a student's link opens the demo, not the instructor's walk.

Each moment has its time — the minutes to spend on it (its `Moment` in the lesson spec) plus its measured training
time (ui/moments.json, written by bench/moments.py) — and a core/optional mark. The run-sheet page's toggle
(`?sheet_core=true`) lists only the core moments, which fit a 50-minute lecture, and Open starts the core walk
(`?walk=core` on the lesson pages): Previous / Next skip the optional moments.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from ui.controls import SCROLL_TO, Control, _apply, app_url, preset_label, section_controls
from ui.i18n import t
from ui.lessons import LESSONS, Lesson, Moment

SECONDS: dict[str, float] = json.loads((Path(__file__).parent / "moments.json").read_text(encoding="utf-8"))
LECTURE = 50  # minutes: the core walk must fit one lecture


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

    @property
    def moment(self) -> Moment:
        return self.lesson.moments[self.preset]

    def minutes(self) -> float:
        """Talk plus measured training time (a cold run on one core, bench/moments.py), in minutes."""
        return self.moment.talk + SECONDS.get(f"{self.lesson.name}.{self.preset}", 0.0) / 60

    def label(self) -> str:
        return preset_label(self.lesson, self.preset)

    def time(self) -> str:
        """'2 min talk + 0.4 s training · core' in the page's language."""
        seconds = SECONDS.get(f"{self.lesson.name}.{self.preset}", 0.0)
        mark = t("sheet.core_mark" if self.moment.core else "sheet.optional_mark")
        return t("sheet.time", talk=f"{self.moment.talk:g}", train=f"{seconds:.1f}", mark=mark)

    def say(self) -> str:
        return t(f"{self.lesson.name}.say.{self.preset}")

    def question(self) -> str:
        """The preset's question for the class (predict, then reveal), or ''."""
        q = self.lesson.questions.get(self.preset)
        return t("sheet.ask", q=t(f"{self.lesson.name}.ask.{q.key}.q")) if q else ""

    def line(self, link: str) -> str:
        """One Markdown line: number, the label as a link, the note, the question and the time."""
        return f"{self.number}. **[{self.label()}]({link})** — {self.say()}{self.question()} · *{self.time()}*"


ITEMS: tuple[Item, ...] = tuple(Item(i, x, p) for i, (x, p) in
                                enumerate(((x, p) for x in LESSONS for p in x.presets), start=1))
KEY = "sheet"
CONTROL = Control(KEY, "slider", 0, lo=0, hi=len(ITEMS), step=1)  # 0: not walking the run-sheet
CORE = Control("sheet_core", "toggle", False, label="sheet.core_only")  # the run-sheet page: list the core moments
WALK = Control("walk", "choice", "all", options=("all", "core"))  # the walk's kind (never a widget: kept across pages)


def current() -> Item | None:
    """The run-sheet item this session is at (None: not walking it)."""
    k = int(st.session_state.get(KEY, 0) or 0)
    return ITEMS[k - 1] if 1 <= k <= len(ITEMS) else None


def core_only() -> bool:
    """The walk keeps to the core moments."""
    return st.session_state.get(WALK.key) == "core"


def walk(core: bool) -> list[Item]:
    """The items a walk visits, in order: every one, or the core ones."""
    return [i for i in ITEMS if i.moment.core or not core]


def total(items: list[Item]) -> int:
    """Their time in whole minutes (rounded up)."""
    return -int(-sum(i.minutes() for i in items) // 1)




def _go(k: int, core: bool | None) -> None:
    """Button callback: item k's preset values into the session, then (in the script, see follow) its page; core:
    the kind of walk an Open button starts (None: Previous / Next keep the walk's)."""
    if core is not None:
        st.session_state[WALK.key] = "core" if core else "all"
    item = ITEMS[k - 1]
    _apply(item.values | {SCROLL_TO: item.lesson.preset_section(item.preset)})
    st.session_state[KEY] = k
    st.session_state["_sheet_go"] = k


def follow() -> None:
    """In the router, before the page runs: a Next / Previous / Open click opens its item's page."""
    k = st.session_state.pop("_sheet_go", None)
    if k:
        st.switch_page(ITEMS[k - 1].lesson.page, query_params={KEY: str(k)} | mode())


def mode() -> dict[str, str]:
    """The walk's kind as link values: {} for the whole run-sheet."""
    return {WALK.key: "core"} if core_only() else {}


def button(k: int, label: str, where: Any = st, core: bool | None = None, **kw) -> None:
    """A button that opens run-sheet item k (core: an Open button's kind of walk)."""
    where.button(label, key=f"sheet_go_{k}_{kw.pop('tag', '')}", on_click=_go, args=(k, core), width="stretch", **kw)


def bar(here: Lesson) -> None:
    """On a lesson page walked from the run-sheet: where the lecture is, the note, Previous / Next. Opening
    another lesson's page (the sidebar's page list) ends the walk; home and the run-sheet page keep it."""
    item = current()
    if item is None:
        return
    if item.lesson is not here:
        st.session_state[KEY], st.session_state[WALK.key] = 0, WALK.default
        st.query_params.pop(KEY, None)
        st.query_params.pop(WALK.key, None)
        return
    st.query_params.update({KEY: str(item.number)} | mode())  # a reload stays on the walk
    route = walk(core_only())
    before = [i for i in route if i.number < item.number]
    after = [i for i in route if i.number > item.number]
    prev, mid, say, nxt = st.columns([3, 4, 2, 3], vertical_alignment="center")  # one row: the chart stays in view
    if before:
        button(before[-1].number, f"← {before[-1].label()}", prev, tag="prev", help=t("sheet.previous"))
    at = t("sheet.at_core", i=len(before) + 1, m=len(route), k=item.number) if core_only() else ""
    mid.markdown(t("sheet.at", k=item.number, n=len(ITEMS), label=item.label()) + at)
    say.popover(t("sheet.say"), icon=":material/speaker_notes:", width="stretch").markdown(
        f"{item.say()}\n\n*{item.time()}*")
    if after:
        button(after[0].number, f"{after[0].label()} →", nxt, tag="next", type="primary", help=t("sheet.next"))


def link(item: Item, shared: list[Control], core: bool = False) -> str:
    """The item's link: its page with the preset's values, this session's language, presenter mode and seed,
    and sheet=k (opened in a fresh browser it starts the walk there; core: the core walk)."""
    by_key = {c.key: c for s in item.lesson.sections for c in section_controls(item.lesson.name, s)}
    query = {c.key: c.fmt(st.session_state.get(c.key, c.default)) for c in shared}
    query |= {k: by_key[k].fmt(v) if k in by_key else str(v) for k, v in item.values.items()}  # else: a tab id
    return app_url(item.lesson.name, query | {KEY: item.number} | ({WALK.key: "core"} if core else {}))


def markdown(links: dict[int, str]) -> str:
    """The run-sheet as Markdown for the slides: per lesson, each item with its link ({number: link}) and note."""
    out = [f"# {t('sheet.title')}", "", totals(), ""]
    for x in LESSONS:
        out += [f"## {t(f'{x.name}.title')}", f"*{t(f'{x.name}.chapter')}*", ""]
        out += [i.line(links[i.number]) for i in ITEMS if i.lesson is x]
        out.append("")
    return "\n".join(out)


def totals() -> str:
    """The lecture's time in one sentence: every moment, and the core walk."""
    core = [i for i in ITEMS if i.moment.core]
    return t("sheet.totals", n=len(ITEMS), all=total(list(ITEMS)), k=len(core), core=total(core), lecture=LECTURE)
