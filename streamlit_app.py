"""Weight Initialization Lab: the app shell.

Run with ``streamlit run streamlit_app.py``. Pages come from the registry in pages/ui/registry.py
(``st.navigation`` does not discover the pages/ folder by itself); the sidebar's student box is
drawn here so that it appears on every page. An assignment link (``?assignment=ID``,
pages/ui/assignment.py) adds the assignment's page, makes it the default one, and runs every page
under the assignment (presets, locked controls, a banner); instructors (pages/ui/instructor.py)
also get the Instructor page.

``streamlit run`` finds ``app`` below, imports this file to serve it, and runs its startup hook
(pages/ui/startup.py) before the first visitor arrives: the hook keeps Streamlit's legacy pages/
folder mode off, so a deep link opened first on a fresh server shows no "Page not found"
(pages/ui/page_folder.py, docs/DEVELOPING.md), limits the allocator's arenas and starts computing
every simulation page's default result in the background. Every script run executes this file as
``__main__`` and draws the shell.
"""

import streamlit as st

from pages.ui.assignment import assignment_scope, follow_assignment
from pages.ui.instructor import instructor_sidebar, is_instructor
from pages.ui.memo import navigation_pages
from pages.ui.registry import (
    ASSIGNMENT_PAGE,
    HOME_KEY,
    INSTRUCTOR_PAGE,
    PAGE_CONFIG,
    PAGES,
    SECTIONS,
    wrapping_text,
)
from pages.ui.startup import server_startup
from pages.ui.student import student_sidebar
from pages.ui.widgets import deep_link_scope

if __name__ != "__main__":
    app = st.App(__file__, lifespan=server_startup)
else:
    st.set_page_config(**PAGE_CONFIG)

    # An assignment (?assignment=ID) adds its page, then the default one; instructors get theirs.
    assignment = follow_assignment()
    shown = list(PAGES)
    if assignment is not None:
        shown.insert(1, ASSIGNMENT_PAGE)
    if is_instructor():
        shown.append(INSTRUCTOR_PAGE)
    default_key = ASSIGNMENT_PAGE.key if assignment is not None else HOME_KEY
    st_pages = navigation_pages(shown, default_key)
    sections = dict.fromkeys([*SECTIONS, *(info.section for info in shown)])
    current = st.navigation(
        {section: [st_pages[i.key] for i in shown if i.section == section] for section in sections}
    )
    current_key = next(key for key, page in st_pages.items() if page.url_path == current.url_path)

    wrapping_text()
    student_sidebar()
    instructor_sidebar()
    with deep_link_scope(current_key), assignment_scope(assignment, current_key):
        current.run()
