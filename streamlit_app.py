"""DL Live Lab — router only: the page list and the shared sidebar."""
import streamlit as st

from ui import page
from ui.i18n import t
from ui.lessons import available, page_file

st.set_page_config(page_title="DL Live Lab", page_icon="🧠", layout="wide")
page.start()
pages = [st.Page("pages/0_home.py", title=t("home.title"), icon="🏠", url_path="home", default=True)]
pages += [st.Page(page_file(name), title=t(f"{name}.title"), url_path=name) for name in available()]
current = st.navigation(pages)
share_slot = page.sidebar()
with page.guard():
    current.run()
page.share_box(share_slot, current.url_path)
