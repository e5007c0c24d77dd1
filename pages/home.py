"""Home: the course map, how to use the lab in a lecture, and the bilingual glossary."""
import pandas as pd
import streamlit as st

from ui import page
from ui.i18n import catalogue, t
from ui.lessons import LESSONS

page.enter()
st.title(t("home.headline"))
st.markdown(t("home.intro"))

st.header(t("home.map"))
cols = st.columns(2)
for i, lesson in enumerate(LESSONS):
    with cols[i % 2].container(border=True):
        st.subheader(t(f"{lesson.name}.title"))
        st.caption(t(f"{lesson.name}.chapter"))
        st.write(t(f"{lesson.name}.card"))
        st.page_link(lesson.page, label=t("home.open"), icon="▶️")

st.header(t("home.lecture"))
st.markdown(t("home.lecture_body"))

st.header(t("home.glossary"))
en, zh = catalogue("en"), catalogue("zh")
keys = sorted({k.split(".")[1] for k in en if k.startswith("glossary.")}, key=lambda k: en[f"glossary.{k}.term"])
st.dataframe(pd.DataFrame({
    t("home.col_en"): [en[f"glossary.{k}.term"] for k in keys],
    t("home.col_zh"): [zh[f"glossary.{k}.term"] for k in keys],
    t("home.col_meaning"): [t(f"glossary.{k}.meaning") for k in keys],
}), hide_index=True, width="stretch", height=35 * (len(keys) + 1) + 3)
