"""Weight Initialization Lab: the app shell.

Run with ``streamlit run streamlit_app.py``. Pages come from the registry in pages/ui/registry.py
(``st.navigation`` does not discover the pages/ folder by itself); the sidebar's student box is
drawn here so that it appears on every page.

``streamlit run`` finds ``app`` below, imports this file to serve it, and runs its startup hook
before the first visitor arrives: the hook keeps Streamlit's legacy pages/ folder mode off, so a
deep link opened first on a fresh server shows no "Page not found" (pages/ui/page_folder.py,
docs/DEVELOPING.md). Every script run executes this file as ``__main__`` and draws the shell.
"""

import streamlit as st

from pages.ui.page_folder import without_legacy_page_folder
from pages.ui.registry import HOME_KEY, PAGES, SECTIONS
from pages.ui.student import student_sidebar
from pages.ui.widgets import deep_link_scope

if __name__ != "__main__":
    app = st.App(__file__, lifespan=without_legacy_page_folder)
else:
    st.set_page_config(
        page_title="Weight Initialization Lab",
        page_icon=":material/scatter_plot:",
        layout="wide",
    )

    st_pages = {
        info.key: st.Page(
            info.path,
            title=info.title,
            icon=info.icon,
            url_path=info.url_path,
            default=info.key == HOME_KEY,
        )
        for info in PAGES
    }
    current = st.navigation(
        {section: [st_pages[i.key] for i in PAGES if i.section == section] for section in SECTIONS}
    )
    current_key = next(key for key, page in st_pages.items() if page.url_path == current.url_path)

    student_sidebar()
    with deep_link_scope(current_key):
        current.run()
