"""The Streamlit/Altair kit every page shares: i18n, URL-bound controls, charts, live progress, page frame."""
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

# Trap: because a pages/ folder exists, Streamlit runs the *first* script of a fresh server process
# in its legacy folder mode, and a lesson link opened first would run that page without the router
# (no sidebar, no language). Leaving that mode and rerunning hands the request to st.navigation.
if PagesManager.uses_pages_directory and get_script_run_ctx() is not None:
    PagesManager.uses_pages_directory = False
    st.rerun()
