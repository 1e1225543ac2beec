"""The load benchmark's sessions (benchmarks/load.py) behave as the browser does: a rerun lists
the messages the session holds, and the server then sends references instead of resending them.
A client that skipped this would measure every rerun with every large chart sent again."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from benchmarks.load import PageLoad, Runs, main, print_load_table, sessions
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


def test_the_table_reads_each_round_against_its_own_home(capsys):
    # Three rounds in which Home's speed changes: each page figure is taken against its own
    # round's Home, then the median over the rounds (not the mean, nor a ratio of medians).
    def round_of(home_seconds, page_seconds, home_cpu, page_cpu):
        return [
            PageLoad("home", Runs(seconds=[home_seconds] * 20), home_cpu),
            PageLoad("training", Runs(seconds=[page_seconds] * 20, references=40), page_cpu),
        ]

    rounds = [
        round_of(1.0, 1.8, 0.010, 0.017),  # p95 ratio 1.80, CPU ratio 1.70
        round_of(2.0, 5.0, 0.020, 0.050),  # 2.50, 2.50
        round_of(1.0, 2.1, 0.010, 0.041),  # 2.10, 4.10
    ]
    print_load_table(rounds, 3, 2)
    lines = capsys.readouterr().out.splitlines()
    home = next(line for line in lines if line.strip().startswith("home")).split()
    page = next(line for line in lines if line.strip().startswith("training")).split()
    # page p50 p95 p95/Home status errors status CPU CPU/Home refs/run ratio-per-round...
    assert home[3] == "1.00" and home[8] == "1.00"
    assert page[3] == "2.10" and page[4] == "MISSED"
    assert page[7] == "0.041" and page[8] == "2.50"
    assert page[9] == "2.0" and page[10:] == ["1.80", "2.50", "2.10"]


def test_a_home_without_cpu_time_gives_no_cpu_ratio(capsys):
    # Every Home run failed (or took less than a clock tick): the table still prints.
    rounds = [
        [
            PageLoad("home", Runs(errors=["lost connection"]), 0.0),
            PageLoad("training", Runs(seconds=[1.0] * 5), 0.02),
        ]
    ]
    print_load_table(rounds, 1, 5)
    page = next(line for line in capsys.readouterr().out.splitlines() if "training" in line).split()
    assert page[8] == "nan"
