"""The lecture run-sheet: every preset of every lesson in course order, what to say at each, its time and link; Open
starts the walk (Previous / Next on the lesson pages, ui/sheet.py); the core toggle keeps to a 50-minute walk."""
import streamlit as st

from ui import page, sheet
from ui.controls import render_all
from ui.i18n import t
from ui.lessons import LESSONS

page.enter()
st.title(t("sheet.title"))
st.markdown(t("sheet.intro"))
st.markdown(sheet.totals())
st.session_state.setdefault(sheet.CORE.key, sheet.core_only())  # back from a core walk: still the core list
core = render_all([sheet.CORE])[sheet.CORE.key]
# made once, here in the script (a download callable runs later without this session's language, seed, address)
links = {i.number: sheet.link(i, page.SHARED, core) for i in sheet.ITEMS}
st.download_button(t("sheet.download"), sheet.markdown(links).encode("utf-8"), file_name="run-sheet.md",
                   mime="text/markdown", icon=":material/download:")
here, route = sheet.current(), sheet.walk(core)
for x in LESSONS:
    st.subheader(t(f"{x.name}.title"))
    st.caption(t(f"{x.name}.chapter"))
    for item in (i for i in route if i.lesson is x):
        left, right = st.columns([6, 1], vertical_alignment="center")
        left.markdown(item.line(links[item.number]) + (f" · *{t('sheet.here')}*" if item == here else ""))
        sheet.button(item.number, t("sheet.open"), right, core=core, tag="open")
