"""Real browser: every page in en and zh renders its charts and shows no exception; one hostile link per page.

Playwright (PyPI) drives Debian's Chromium against `streamlit run` on localhost. Without a Chromium
the test skips with the reason; under CI=true a missing browser is a failure (.ci/run installs it).
"""
import contextlib
import os

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser import ARGS, CHROMIUM, IDLE, open_page, streamlit_server
from ui.lessons import LESSONS

if CHROMIUM is None:
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but no Chromium found: .ci/run must `apt-get install chromium`", pytrace=False)
    pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium) — browser test skipped",
                allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
PATHS = [x.name for x in LESSONS]


@contextlib.contextmanager
def projector(browser_page):
    """(url, a page of its own at 1280 x 720): a sidebar opened in it is remembered by its browser context and would
    narrow the shared page's charts in later tests."""
    url, shared = browser_page
    context = shared.context.browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        yield url, context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="module")
def browser_page():
    with streamlit_server() as (url, _), sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        open_page(page, url)  # a fresh server runs its very first request in Streamlit's pages/-folder mode
        yield url, page
        browser.close()


def charts_drawn(page) -> int:
    """Charts whose Vega view actually drew something (a canvas or svg inside the element)."""
    return page.locator('[data-testid="stVegaLiteChart"]').filter(has=page.locator("canvas, svg")).count()


def open_clean(page, url: str) -> None:
    """Open url, wait until the script is idle; no exception box, no error page, no 'Page not found'."""
    open_page(page, url)
    page.wait_for_selector(IDLE, timeout=120_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("This app has encountered an error").count() == 0
    assert page.get_by_text("Page not found").count() == 0


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("path", ["", *PATHS, "run_sheet"])
def test_page_renders(browser_page, path, lang):
    url, page = browser_page
    open_clean(page, f"{url}/{path}?lang={lang}")
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_by_text("Language / 语言").count() == 1  # the page runs inside the router
    if path in PATHS:
        page.wait_for_function(
            "() => document.querySelectorAll('[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg').length > 0",
            timeout=60_000)
        assert charts_drawn(page) >= 1
    if os.environ.get("SCREENSHOTS"):
        page.screenshot(path=f"{os.environ['SCREENSHOTS']}/{path or 'home'}_{lang}.png", full_page=True)


@pytest.mark.parametrize("path", ["", *PATHS, "run_sheet"])
def test_hostile_link_is_a_notice(browser_page, path):
    """A link a student could send the class: numbers Streamlit's own parser chokes on, markup, an unknown key."""
    url, page = browser_page
    open_clean(page, f"{url}/{path}?seed=1e309&present=NaN&lang=zh&zzz=%3Cb%3Ex%3C/b%3E")
    alerts = page.locator('[data-testid="stAlertContainer"]')
    assert alerts.filter(has_text="1e309").count() == 1 and alerts.filter(has_text="zzz").count() == 1
    assert page.locator("main b").filter(has_text="x").count() == 0  # the markup is shown as text, never rendered


def test_unknown_path_lands_home_with_a_notice(browser_page):
    """/nope (a typo, an old bookmark) opens the home page with a notice in the page's language, never Streamlit's
    English "Page not found"; /home is the home page."""
    url, page = browser_page
    open_clean(page, f"{url}/nope?lang=zh")
    notices = page.locator('[data-testid="stAlertContainer"]').all_inner_texts()
    assert len(notices) == 1 and notices[0].strip("⚠️ \n").startswith("本应用没有 nope 这个页面"), notices
    assert page.locator("h1").first.inner_text().startswith("DL Live Lab")
    open_clean(page, f"{url}/home?present=1")
    assert page.locator('[data-testid="stAlertContainer"]').count() == 0
    assert page.locator("h1").first.inner_text().startswith("DL Live Lab")


def test_presenter_sidebar_shows_the_share_link_as_a_qr_code(browser_page):
    """Scan to join: on the projector, » opens the sidebar with the share link and its QR code drawn."""
    with projector(browser_page) as (url, page):
        open_clean(page, f"{url}/pooling?lang=zh&present=1&seed=4")
        page.locator('[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button').first.click()
        sidebar = page.locator('[data-testid="stSidebar"]')
        qr = sidebar.locator("img")
        qr.wait_for(timeout=30_000)
        assert qr.count() == 1 and qr.evaluate("img => img.complete && img.naturalWidth > 100")
        assert sidebar.get_by_text("扫码在手机上打开这个演示").count() == 1
        assert "seed=4" in sidebar.locator("code").inner_text().replace("\n", "")


def test_click_on_the_loss_surface_moves_the_point(browser_page):
    """Critical points: a click on the surface moves (w1, w2) there — the link and the page's numbers follow."""
    url, page = browser_page
    open_clean(page, f"{url}/critical_points?lang=en")
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    box = chart.locator("canvas, svg").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.3)  # right of and above the saddle
    page.wait_for_function("() => location.search.includes('cp_w1=')", timeout=60_000)
    page.wait_for_selector(IDLE, timeout=120_000)
    values = dict(kv.split("=") for kv in page.evaluate("location.search")[1:].split("&"))
    assert float(values["cp_w1"]) > 0.5 and float(values["cp_w2"]) > 0.2, values
    on_valley = abs(float(values["cp_w1"]) * float(values["cp_w2"]) - 1) < 1e-9  # the page judges the new point
    assert page.get_by_text("Minimum with a flat direction" if on_valley else "Not a critical point").count() == 1
    assert page.locator('[data-testid="stException"]').count() == 0


FIRST_CHART = """() => [...document.querySelectorAll('[data-testid=stVegaLiteChart]')].map(e => e.getBoundingClientRect())
  .sort((a, b) => a.top - b.top).map(r => [Math.round(r.top), Math.round(r.bottom)])[0]"""
# Text cut with "…" (a metric "2.50…" for 2.5e7; a slider label "Add one out…")
CUT = """() => [...document.querySelectorAll(
  '[data-testid=stMetricValue], [data-testid=stMetricLabel], [data-testid=stWidgetLabel] .stMarkdownEllipsis')]
  .filter(e => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1).map(e => e.innerText)"""
# Chart text (titles, legend entries, axis labels, value labels) that Vega cut with "…" or that lies outside the
# chart's box, where it is clipped (a title pushed off the top, a legend entry off the bottom). Charts Vega draws
# on a canvas (image grids, the larger heatmaps) have no text nodes and are not inspected.
CHART_TEXT = """() => [...document.querySelectorAll('[data-testid=stVegaLiteChart] svg')].flatMap(svg => {
  const box = svg.closest('[data-testid=stVegaLiteChart]').getBoundingClientRect();
  const cut = [...svg.querySelectorAll('tspan')].filter(x => x.textContent.trim().endsWith('…'));  // a wrapped line
  return [...cut.map(x => x.textContent), ...[...svg.querySelectorAll('text')].filter(x => x.textContent.trim()).flatMap(x => {
    const r = x.getBoundingClientRect(), slack = 0.35 * parseFloat(getComputedStyle(x).fontSize);  // the font's leading
    const out = r.top < box.top - slack || r.bottom > box.bottom + slack || r.left < box.left - slack
      || r.right > box.right + slack;
    return x.textContent.trim().endsWith('…') || out ? [x.textContent] : [];
  })];
})"""


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("lesson", LESSONS, ids=[x.name for x in LESSONS])
def test_presenter_mode_on_a_projector(browser_page, lesson, lang):
    """1280 x 720, presenter mode, every preset: no metric or label is cut ("2.50…" for 2.5e7 says the wrong
    thing), no chart title, legend entry or axis label is cut or clipped, a freshly opened lesson shows its
    first chart whole on the first screen, and a preset about a later section brings that section into view."""
    from ui.i18n import catalogue
    url, page = browser_page
    page.set_viewport_size({"width": 1280, "height": 720})
    try:
        open_clean(page, f"{url}/{lesson.name}?lang={lang}&present=1")
        for name in [None, *lesson.presets]:
            if name:
                page.get_by_role("button", name=catalogue(lang)[f"{lesson.name}.preset.{name}"], exact=True).click()
                page.wait_for_timeout(300)
                page.wait_for_selector(IDLE, timeout=120_000)
            target = name and lesson.preset_section(name)
            where = ("document.querySelector('[data-testid=stMain]').scrollTop" if not target else
                     f"document.getElementById('section-{lesson.name}-{target}')?.getBoundingClientRect().top")
            # a preset about the first section leaves the page at its top, where its button is; one about a later
            # section scrolls the page to it: wait for that state (the page may still be laying out), then assert it
            inside = "(v => v >= 0 && v < 100)" if not target else "(v => v >= 0 && v < 200)"
            with contextlib.suppress(PlaywrightTimeout):  # the assertion below says where it ended
                page.wait_for_function(f"() => {inside}({where})", timeout=60_000)
            top = page.evaluate(f"() => {where}")
            assert top is not None and 0 <= top < (100 if not target else 200), (name, target, top)
            page.wait_for_selector(IDLE, timeout=120_000)
            assert page.locator('[data-testid="stException"]').count() == 0
            assert page.evaluate(CUT) == [], (name, page.evaluate(CUT))
            assert page.evaluate(CHART_TEXT) == [], (name, page.evaluate(CHART_TEXT))
            if name is None:  # freshly opened: the first chart, title to legend, fits on the first screen
                top, bottom = page.evaluate(FIRST_CHART)
                assert 0 < top and bottom <= 720, (top, bottom)
            if os.environ.get("SCREENSHOTS"):
                page.screenshot(path=f"{os.environ['SCREENSHOTS']}/present_{lesson.name}_{lang}_{name or 'default'}.png")
    finally:
        page.set_viewport_size({"width": 1400, "height": 1600})


def test_run_sheet_walks_the_lecture_across_two_lessons(browser_page):
    """On the projector (1280 x 720, presenter mode, zh): the run-sheet's Open starts the walk; Next crosses from
    gradient descent to the next lesson with that preset's values in the link; Previous comes back."""
    from ui import sheet
    from ui.i18n import catalogue
    zh = catalogue("zh")
    k = max(i.number for i in sheet.ITEMS if i.lesson is LESSONS[0])  # the last gradient-descent moment
    here, nxt = sheet.ITEMS[k - 1], sheet.ITEMS[k]
    with projector(browser_page) as (url, page):
        open_clean(page, f"{url}/run_sheet?lang=zh&present=1&seed=3")
        assert page.get_by_text(zh[f"{nxt.lesson.name}.say.{nxt.preset}"]).count() == 1
        page.get_by_role("button", name=zh["sheet.open"], exact=True).nth(k - 1).click()
        page.wait_for_function(f"() => location.pathname.endsWith('/{here.lesson.name}')", timeout=60_000)
        page.wait_for_selector(IDLE, timeout=120_000)
        assert page.get_by_text(f"流程单 {k} / {len(sheet.ITEMS)}").count() == 1
        for step, item in (("next", nxt), ("previous", here)):
            name = zh[f"{item.lesson.name}.preset.{item.preset}"]
            page.get_by_role("button", name=f"{name} →" if step == "next" else f"← {name}", exact=True).click()
            page.wait_for_function(f"() => location.pathname.endsWith('/{item.lesson.name}') && "
                                   f"location.search.includes('sheet={item.number}')", timeout=60_000)
            page.wait_for_selector(IDLE, timeout=120_000)
            assert page.locator('[data-testid="stException"]').count() == 0
            assert page.get_by_text(f"流程单 {item.number} / {len(sheet.ITEMS)}").count() == 1
            assert page.locator("h1").first.inner_text().startswith(zh[f"{item.lesson.name}.title"])
            query = page.evaluate("location.search")
            assert "seed=3" in query and "present=true" in query, query
            if os.environ.get("SCREENSHOTS"):
                page.screenshot(path=f"{os.environ['SCREENSHOTS']}/sheet_{step}_{item.lesson.name}.png")


def test_own_data_upload_through_the_file_widget(browser_page):
    """Gradient descent on the projector (zh): a CSV uploaded through the widget trains, the page says the data is
    not in the share link; a binary file gets the bilingual error and the built-in data."""
    from ui.i18n import catalogue
    zh = catalogue("zh")
    with projector(browser_page) as (url, page):
        open_clean(page, f"{url}/gradient_descent?lang=zh&present=1")
        page.get_by_text(zh["data.title"]).first.click()
        csv = "x,y\n" + "".join(f"{i / 4:g},{1 + 2 * i / 4 + (-1) ** i * 0.3:g}\n" for i in range(12))
        upload = page.locator('[data-testid="stFileUploader"] input[type=file]')
        upload.set_input_files({"name": "my_points.csv", "mimeType": "text/csv", "buffer": csv.encode()})
        page.get_by_text(zh["data.using"].split("（")[0].format(n=12)).wait_for(timeout=60_000)
        page.wait_for_selector(IDLE, timeout=120_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.get_by_text(zh["data.not_in_link"]).count() == 1  # next to the share link, in the sidebar
        if os.environ.get("SCREENSHOTS"):
            page.screenshot(path=f"{os.environ['SCREENSHOTS']}/own_data_good.png")
        upload.set_input_files({"name": "picture.csv", "mimeType": "text/csv", "buffer": b"\x89PNG\r\n\x1a\n\x00\x00"})
        page.get_by_text(zh["data.error.binary"].split("：")[0]).first.wait_for(timeout=60_000)
        page.wait_for_selector(IDLE, timeout=120_000)
        assert page.get_by_text("This is not a text file").count() == 1  # both languages
        assert page.get_by_text(zh["data.not_in_link"]).count() == 0  # the built-in data again
        if os.environ.get("SCREENSHOTS"):
            page.screenshot(path=f"{os.environ['SCREENSHOTS']}/own_data_bad.png")


def test_predict_first_hides_the_charts_until_reveal(browser_page):
    """On the projector (zh), a prepared link with ?predict=1: the question and no chart; Reveal draws the charts
    and highlights the measured answer."""
    from ui.i18n import catalogue
    zh = catalogue("zh")
    with projector(browser_page) as (url, page):
        open_clean(page, f"{url}/gradient_descent?lang=zh&present=1&predict=1&lr=0.001")  # the "too small" preset
        assert page.get_by_text(zh["gradient_descent.ask.rate.q"]).count() == 1
        assert page.locator('[data-testid="stVegaLiteChart"]').count() == 0
        if os.environ.get("SCREENSHOTS"):
            page.screenshot(path=f"{os.environ['SCREENSHOTS']}/predict_hidden.png")
        page.get_by_role("button", name=zh["predict.reveal"]).click()
        page.wait_for_function("() => document.querySelectorAll('[data-testid=stVegaLiteChart] canvas, "
                               "[data-testid=stVegaLiteChart] svg').length > 0", timeout=60_000)
        page.wait_for_selector(IDLE, timeout=120_000)
        marked = page.locator('[data-testid="stAlertContentSuccess"] li strong').all_inner_texts()  # the measured answer
        assert len(marked) == 1 and marked[0].endswith("B. " + zh["gradient_descent.ask.rate.slow"]), marked
        assert page.locator('[data-testid="stException"]').count() == 0
        if os.environ.get("SCREENSHOTS"):
            page.screenshot(path=f"{os.environ['SCREENSHOTS']}/predict_revealed.png")


def test_reproduce_in_python_expander_shows_the_call(browser_page):
    """On the projector (zh): a section's 'Reproduce in Python' expander opens on the one core call for the
    settings on screen (seed included) and the result field each chart draws, with a copy button."""
    from ui.i18n import catalogue
    zh = catalogue("zh")
    with projector(browser_page) as (url, page):
        open_clean(page, f"{url}/overfitting?lang=zh&present=1&seed=11")
        page.get_by_text(zh["common.reproduce"]).first.click()
        code = page.locator('[data-testid="stExpander"] [data-testid="stCode"]').first
        code.wait_for(timeout=30_000)
        text = code.inner_text()
        assert "run_sweep(SweepConfig(" in text and "seed=11" in text and "r.history" in text, text
        code.hover()
        assert code.locator("button").count() >= 1  # copy
        if os.environ.get("SCREENSHOTS"):
            page.screenshot(path=f"{os.environ['SCREENSHOTS']}/reproduce_in_python.png")
