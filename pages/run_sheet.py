"""The lecture run-sheet: every preset of every lesson in course order, what to say at each, its link; Open starts
the walk (Previous / Next on the lesson pages, ui/sheet.py)."""
import streamlit as st

from ui import page, sheet
from ui.i18n import t
from ui.lessons import LESSONS

page.enter()
st.title(t("sheet.title"))
st.markdown(t("sheet.intro"))
# made once, here in the script (a download callable runs later without this session's language, seed, address)
links = {i.number: sheet.link(i, page.SHARED) for i in sheet.ITEMS}
st.download_button(t("sheet.download"), sheet.markdown(links).encode("utf-8"), file_name="run-sheet.md",
                   mime="text/markdown", icon=":material/download:")
here = sheet.current()
for x in LESSONS:
    st.subheader(t(f"{x.name}.title"))
    st.caption(t(f"{x.name}.chapter"))
    for item in (i for i in sheet.ITEMS if i.lesson is x):
        left, right = st.columns([6, 1], vertical_alignment="center")
        left.markdown(item.line(links[item.number]) + (f" · *{t('sheet.here')}*" if item == here else ""))
        sheet.button(item.number, t("sheet.open"), right, tag="open")
