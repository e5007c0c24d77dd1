"""Reproduce in Python (ui/code.py): every section's snippet, executed, gives the run the page charts — for the
defaults and for one preset of every lesson — and the page shows it, naming the fields its charts draw."""
import re
from urllib.parse import parse_qs

import pytest

from tests.apptest import assert_clean, open_page
from tests.results import assert_same_frames
from ui.code import snippet
from ui.lessons import LESSONS
from ui.page import link_configs

# (lesson, section name, query): every section on its defaults (seed 0), and each lesson's last preset's section
CASES = [(x, s.name, "") for x in LESSONS for s in x.sections]
CASES += [(x, x.preset_section(name) or x.sections[0].name, f"preset={name}")
          for x in LESSONS for name in list(x.presets)[-1:]]


@pytest.mark.parametrize("lesson, section, how", CASES, ids=[f"{x.name}-{s}-{h or 'defaults'}" for x, s, h in CASES])
def test_snippet_runs_the_config_the_page_runs(lesson, section, how):
    query = {k: [str(v)] for k, v in lesson.presets[how.split("=")[1]].items()} if how else {}
    cfg = link_configs(lesson, parse_qs("&".join(f"{k}={v[0]}" for k, v in query.items())))[section]
    code = snippet(lesson, cfg)
    scope: dict = {}
    exec(code, scope)  # what an instructor pastes at the repository's root
    assert scope["r"] is not None
    assert_same_frames(scope["r"], lesson.run(cfg))  # the page runs lesson.run(cfg) (plus a progress callback)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("lesson", LESSONS, ids=[x.name for x in LESSONS])
def test_page_shows_the_snippet_and_the_fields_its_charts_draw(lesson, lang):
    at = open_page(lesson.page, lang, {"seed": "3"})
    assert_clean(at)
    shown = [c.value for c in at.code if c.value.startswith("from core.")]
    first = link_configs(lesson, {"seed": ["3"]})[lesson.sections[0].name]
    assert shown and shown[0].startswith(snippet(lesson, first).rstrip())  # the open (first) section's, for seed 3
    assert re.search(r"^r\.\w+ +# .+$", shown[0], re.M)  # at least one chart names the field it draws
    assert any(e.label.startswith(("Reproduce in Python", "用 Python 复现")) for e in at.expander)
    scopes = [{} for _ in shown]
    for block, scope in zip(shown, scopes):  # pasted exactly as displayed, every block runs (no r.curves[...])
        exec(block, scope)
    assert_same_frames(scopes[0]["r"], lesson.run(first))
