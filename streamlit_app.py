"""Router only: the page list (from the lesson specs), the link's values, the shared sidebar."""
import streamlit as st

from ui import page, sheet
from ui.i18n import t
from ui.lessons import LESSONS, lesson

st.set_page_config(page_title="DL Live Lab", page_icon="🧠", layout="wide")
page.start()
pages = [st.Page("pages/home.py", title=t("home.title"), icon="🏠", url_path="home", default=True)]
pages += [st.Page(x.page, title=t(f"{x.name}.title"), url_path=x.name) for x in LESSONS]
pages.append(st.Page("pages/run_sheet.py", title=t("sheet.title"), icon=":material/checklist:", url_path="run_sheet"))
page.own_path({p.url_path for p in pages})
current = st.navigation(pages)
sheet.follow()  # a run-sheet Next / Previous / Open click: its page
page.own_page_url(lesson(current.url_path))
share_slot = page.sidebar()
with page.guard():
    current.run()
    page.finish()
page.share_box(share_slot, current.url_path)
