"""What a lesson spec is made of (ui/lessons.py holds the lessons): its sections, presets, questions for the class
and moments of the lecture. Read by the router, the page frame, the URL parser, the tests and the bench."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from core.lab import Param, defaults, params


@dataclass(frozen=True)
class Section:
    """One part of a lesson page: a config class, its core entry point, and the fields it shows."""

    name: str  # locale key "<lesson>.<name>.*"; the tab id in a tabbed lesson
    config: type  # a frozen dataclass whose fields are declared with core.lab.param
    run: Callable  # run(cfg, progress=None) -> result
    fields: tuple[str, ...]  # config fields drawn as controls, in order (the seed comes from the sidebar)
    prefix: str = ""  # URL key = prefix + field, unless `keys` names it (names kept from older links)
    keys: dict[str, str] = field(default_factory=dict)
    budget: tuple[str, ...] = ()  # more fields, drawn in a collapsed "training budget" expander
    views: dict[str, tuple[Any, Param]] = field(default_factory=dict)  # page-only controls: name -> (default, Param)
    own_data: tuple[str, ...] | None = None  # given: the section also trains on a visitor's own (x, y) points
                                             # (run(cfg, progress, points)); these fields then have no effect

    def key(self, name: str) -> str:
        """The URL (and session-state) key of a field or view."""
        return self.keys.get(name, self.prefix + name)

    def declared(self) -> dict[str, tuple[Any, Param]]:
        """Every control of the section: {field or view name: (default, Param)}, fields first."""
        p, d = params(self.config), defaults(self.config)
        return {**{n: (d[n], p[n]) for n in (*self.fields, *self.budget)}, **self.views}

    def defaults(self) -> dict[str, Any]:
        """{URL key: default} of every control of the section (a preset starts from these)."""
        return {self.key(n): d for n, (d, _) in self.declared().items()}

    def config_from(self, values: dict[str, Any], seed: int) -> Any:
        """The config these widget values ({URL key: value}) and the seed stand for."""
        return self.config(**{n: values[self.key(n)] for n in (*self.fields, *self.budget)}, seed=seed)


@dataclass(frozen=True)
class Question:
    """A question for the class before a preset's result is shown (ui/predict.py): 2-4 answer ids, and how to read
    the answer off the run on screen — measured every time, never stored. Strings: "<lesson>.ask.<key>.q", one per
    answer ".<answer>", and ".why" (the numbers that decide it, filled from measure's dict)."""

    key: str
    answers: tuple[str, ...]
    measure: Callable[[Any], tuple[str, dict]]  # result -> (answer id, numbers for ".why")


@dataclass(frozen=True)
class Moment:
    """A preset as a moment of the lecture (the run-sheet): the minutes to spend on it (asking, looking, talking;
    its training time is measured apart, bench/moments.py -> ui/moments.json) and whether the core walk, the one
    that fits a 50-minute lecture, keeps it."""

    talk: float  # suggested minutes around the moment, training not included
    core: bool = True  # False: optional, skipped by the core walk


@dataclass(frozen=True)
class Lesson:
    """One page of the course."""

    name: str  # core/<name>, pages/<name>.py, tests/test_<name>.py, locales/*/<name>.json, URL path /<name>
    chapter: str  # chapter(s) of the notes, e.g. "1–2" (the README's lesson table lists it)
    sections: tuple[Section, ...]
    presets: dict[str, dict[str, Any]]  # name -> {URL key: value}: the moments of the lecture, in order
    tab_key: str = ""  # given: the sections are tabs bound to this URL key, and only the open one trains
    questions: dict[str, Question] = field(default_factory=dict)  # preset -> its question (predict, then reveal)
    moments: dict[str, Moment] = field(default_factory=dict)  # preset -> its time and mark on the run-sheet (each one)
    retired: tuple[str, ...] = ()  # URL keys of controls removed since: an old link's value is dropped without notice

    @property
    def lazy(self) -> bool:
        """Sections are lazy tabs (only the open one trains)."""
        return bool(self.tab_key)

    @property
    def page(self) -> str:
        """The page script, relative to the repo root."""
        return f"pages/{self.name}.py"

    def run(self, cfg: Any, progress: Callable | None = None, points: tuple | None = None) -> Any:
        """Run the section whose config class cfg is (the core entry point, not cached); points: a visitor's own
        data, for a section that declares own_data."""
        run = next(s.run for s in self.sections if type(cfg) is s.config)
        return run(cfg, progress=progress) if points is None else run(cfg, progress=progress, points=points)

    def section(self, name: str) -> Section:
        """The section called name."""
        return next(s for s in self.sections if s.name == name)

    def section_about(self, keys) -> str | None:
        """The section some URL keys are about: the last one, in page order, that has one of them (None: the
        first section, or none)."""
        touched = [s.name for s in self.sections if set(keys) & s.defaults().keys()]
        return touched[-1] if touched and touched[-1] != self.sections[0].name else None

    def preset_section(self, name: str) -> str | None:
        """The section a preset is about: the last one, in page order, whose settings it sets (None: the first)."""
        return self.section_about(self.presets[name])

    def keys(self) -> list[str]:
        """Every URL key this page reads (besides the sidebar's)."""
        return [s.key(n) for s in self.sections for n in s.declared()] + ([self.tab_key] if self.tab_key else [])
