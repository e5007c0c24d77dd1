"""The one place that touches private Streamlit internals (pinned: streamlit==1.67.0).

Each function works around a verified trap; tests cover each (tests/test_urls.py, tests/test_pages.py and the
browser test). When Streamlit is upgraded, check these first.
"""
from __future__ import annotations

from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.script_run_context import get_run_yield_check
from streamlit.runtime.state import get_session_state


def leave_folder_mode() -> bool:
    """Leave Streamlit's legacy pages/-folder mode; True if it was on (the caller must rerun).

    Because a pages/ folder exists, Streamlit runs the first script of a fresh server process in its
    legacy folder mode, so a lesson link opened first would run the page *without* the router (no
    sidebar, no language). Clearing the class flag that st.navigation itself clears, then rerunning,
    hands the request to st.navigation. AppTest resets the flag on every run; the browser test
    opens a lesson first.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        return True
    return False


def set_url_seed(key: str, value: str | None) -> None:
    """Replace what a URL-bound widget will be seeded with from the link (None: nothing).

    Streamlit seeds a widget bound with bind="query-params" from its own snapshot of the link's
    query string, with its own parser, before our code sees the widget: `?seed=1e309` makes
    number_input run int(inf) and raise OverflowError. Our parser (ui.controls.own_url) checks
    every value first and hands Streamlit only the canonical text of a valid value, or nothing.
    """
    with get_session_state().query_params() as qp:
        if value is None:
            qp._initial_query_params.pop(key, None)
        else:
            qp._initial_query_params[key] = [value]


def requested_path() -> str:
    """The page path the browser asked for (`nope` for /nope; '' for the root or a click in the menu)."""
    ctx = get_script_run_ctx()
    return (ctx.pages_manager.intended_page_name or "") if ctx else ""


def forget_requested_path() -> None:
    """Run the default page for this request without Streamlit's English-only "Page not found" dialog.

    st.navigation resolves the asked-for path against the page list and, when nothing matches, sends the
    browser a dialog in English and runs the default page. With the intent cleared it resolves straight to the
    default page; the router shows its own notice in the page's language instead.
    """
    ctx = get_script_run_ctx()
    if ctx is not None:
        ctx.pages_manager.set_script_intent("", "")



def altair_spec(chart) -> dict:
    """An Altair chart as the Vega-Lite spec st.altair_chart would send: Streamlit's own conversion (theme "none",
    datasets as Arrow IPC bytes named by their content).

    st.vega_lite_chart passes datasets that are already bytes straight through (its _marshall_chart_data), so a
    memoised spec costs a later visitor neither Altair's validation nor a data conversion.
    """
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec
    return _convert_altair_to_vega_lite_spec(chart)


def stop_if_asked() -> None:
    """Let a waiting script run end now if its session asked for a rerun or a stop (a newer slider value, a closed
    tab): Streamlit's own check, the one its cache uses while waiting for another session's computation. Outside a
    script run (tests, bench) it does nothing."""
    check = get_run_yield_check()
    if check is not None:
        check()
