"""The load benchmark's sessions (benchmarks/load.py) behave as the browser does: a rerun lists
the messages the session holds, and the server then sends references instead of resending them.
A client that skipped this would measure every rerun with every large chart sent again."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from benchmarks.load import main, sessions
from benchmarks.pages import _server

#: A page with one element above Streamlit's cacheable size (10 kB) and one below it.
PAGE = """import streamlit as st

st.markdown("large " * 4000)
st.markdown("small")
"""


def test_reruns_get_references_to_the_large_element_the_session_holds(tmp_path):
    script = tmp_path / "page" / "app.py"
    script.parent.mkdir()
    script.write_text(PAGE)
    with _server(script, tmp_path) as (url, _):
        ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
        # In a thread of its own: the browser tests' Playwright keeps an event loop running in
        # this one, and asyncio.run refuses to start a second.
        with ThreadPoolExecutor(max_workers=1) as pool:
            runs = pool.submit(sessions, ws_url, "./", count=2, runs=3, timeout=30).result()
    assert runs.errors == []
    assert len(runs.seconds) == 6
    # Each session's first run sends the large element; its two reruns refer to it.
    assert runs.references == 2 * 2


def test_a_bad_count_is_one_line_naming_the_range(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["--runs", "200"])
    assert caught.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.endswith(": error: runs must be an integer in [1, 50]; got 200")
