"""Keep Streamlit's legacy ``pages/`` folder mode off from the moment the server starts.

Streamlit 1.67 decides once per process whether an app uses its legacy page folder: the first
``PagesManager`` (built when the first browser session connects) sets the class attribute
``PagesManager.uses_pages_directory`` to ``(folder of the entry script / "pages").exists()``, and
only a call of ``st.navigation`` sets it back to False. While it is True, the script runner runs
``_mpa_v1`` (a navigation built from pages/*.py) instead of the entry script, which cannot find
a URL path such as ``/signal-propagation`` and sends "Page not found". Sources:
streamlit/runtime/pages_manager.py, streamlit/runtime/scriptrunner/script_runner.py and
streamlit/commands/navigation.py.

The entry script cannot fix this itself (the runner checks the attribute before executing it),
so streamlit_app.py declares an ``st.App`` whose ``lifespan`` startup hook
(``pages.ui.startup.server_startup``), which runs before the server accepts its first
connection, calls ``disable_legacy_page_folder``. tests/browser/test_deep_link.py checks that
Streamlit still behaves as described here.
"""

from __future__ import annotations

from streamlit.runtime.pages_manager import PagesManager


def disable_legacy_page_folder() -> None:
    """Record, as ``st.navigation`` does, that the app's pages come from ``st.navigation``.

    The one place the app touches Streamlit's internal ``PagesManager.uses_pages_directory``.
    Setting it before the first ``PagesManager`` exists keeps it False for the whole process (the
    constructor only fills it in while it is None). A Streamlit without the attribute has no
    legacy mode to switch off, so nothing is done then.
    """
    if hasattr(PagesManager, "uses_pages_directory"):
        PagesManager.uses_pages_directory = False
