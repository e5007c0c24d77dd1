"""AppTest helpers shared by every page test: open a page through the router, set controls, check."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

TIMEOUT = 120


def open_page(page_file: str, lang: str = "en", query: dict[str, str] | None = None) -> AppTest:
    """Run the router, switch to `pages/<page_file>` in the given language; returns the AppTest."""
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    at.switch_page(f"pages/{page_file}")
    at.run()
    return at


def set_all(at: AppTest, end: str) -> AppTest:
    """Move every slider/select-slider/number input/toggle/radio on the page to its min or max end ('min'/'max')."""
    for s in list(at.slider):
        s.set_value(s.min if end == "min" else s.max)
    for s in list(at.select_slider):
        s.set_value(s.options[0 if end == "min" else -1])
    for r in list(at.radio):
        if r.key != "lang":
            r.set_value(r.options[0 if end == "min" else -1])
    for tg in list(at.toggle):
        if tg.key != "present":
            tg.set_value(end == "max")
    for n in list(at.number_input):  # the sidebar seed: 0 and 9999
        n.set_value(n.min if end == "min" else n.max)
    return at.run()


def assert_clean(at: AppTest) -> None:
    """No exception element and no error box from the page guard."""
    assert not at.exception, [e.value for e in at.exception]
    guard_errors = [e.value for e in at.error if e.icon == "🚧"]  # the page guard's icon (ui.page.guard)
    assert not guard_errors, guard_errors


def open_at(page_file: str, lang: str, setting: str, query: dict[str, str] | None = None) -> AppTest:
    """The page in a language with every control at 'defaults', 'min' or 'max'; asserts no exception on the way."""
    at = open_page(page_file, lang, query)
    assert_clean(at)
    if setting != "defaults":
        set_all(at, setting)
        assert_clean(at)
    return at
