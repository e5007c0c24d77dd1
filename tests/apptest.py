"""AppTest helpers shared by the page tests: open a page through the router, set controls, check."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

TIMEOUT = 180


def first_visit(query: dict[str, str] | None = None) -> AppTest:
    """One run of the router on a link without a path: a browser's first visit lands on home."""
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def open_page(page: str, lang: str = "en", query: dict[str, str] | None = None) -> AppTest:
    """A link straight to `page` (a lesson spec's page, e.g. "pages/pooling.py") in the given language:
    the first run of the router is that page, as when a browser opens /pooling?lang=...&seed=..."""
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT)
    for k, v in {"lang": lang, **(query or {})}.items():
        at.query_params[k] = v
    at.switch_page(page)
    return at.run()


def open_link(page: str, link: str) -> AppTest:
    """Open a share link ("/pooling?lang=zh&seed=3&...") on its page."""
    query = dict(parse_qsl(urlsplit(link).query, keep_blank_values=True))
    return open_page(page, query.pop("lang", "en"), query)


def click_preset(at: AppTest, lesson, name: str) -> AppTest:
    """Click a lesson's preset button (ui.controls.presets draws it under this key) and run the page."""
    return at.button(key=f"preset_{lesson.name}_{name}").click().run()


def metric(at: AppTest, label_start: str) -> str:
    """The value of the first metric whose label starts with label_start."""
    return next(m.value for m in at.metric if m.label.startswith(label_start))


def page_text(at: AppTest) -> str:
    """Everything the page says in prose: markdown and the info, warning and success boxes."""
    return " ".join(x.value for x in [*at.markdown, *at.info, *at.warning, *at.success])


def set_all(at: AppTest, end: str) -> AppTest:
    """Move every slider/select-slider/number input/toggle/radio on the page to its 'min' or 'max' end."""
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


def share_link(at: AppTest) -> str:
    """The sidebar's share link (the code block in the sidebar; sections' code blocks are Python)."""
    return at.sidebar.code[0].value


def share_query(at: AppTest) -> dict[str, str]:
    """The share link's query as a dict."""
    return dict(parse_qsl(urlsplit(share_link(at)).query, keep_blank_values=True))
