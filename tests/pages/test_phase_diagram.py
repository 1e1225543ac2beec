"""AppTest of pages/phase_diagram.py inside the app shell: the plane, the points and their links
to Signal propagation, the trainability grid. Expected numbers come from the engine
(lab.experiments.phase_diagram); apart from the default view, the trainability grid runs a few
steps (``steps`` in the URL) to keep the file fast."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import pages.ui.phase_charts as phase_charts
from lab.controls.phase_diagram import CONTROLS
from lab.controls.registry import SIMULATION_PAGES
from lab.experiments.phase_diagram import config_from_values, run
from lab.phase import TRAINABILITY_STEPS
from pages.ui.text_width import PHONE_WIDTH
from tests.pages.chart_readability import (
    chart_specs,
    charts_with_widths,
    readability_problems,
    rerun_without_building,
)
from tests.pages.deep_links import open_link, shown_values

TIMEOUT = 120  # the default view trains the trainability grid (56 networks) once
PAGE_FILE = "pages/phase_diagram.py"
PAGE_KEY = "phase_diagram"
FAST = {"steps": "2"}
CHARTS = 2  # the plane, the trainability grid


def open_page(**query: str) -> AppTest:
    """The app on the Phase diagram page with these URL parameters."""
    at = AppTest.from_file("../../streamlit_app.py", default_timeout=TIMEOUT).run()
    at.query_params.update(query)
    at.switch_page(PAGE_FILE).run()
    assert not at.exception
    return at


def warnings(at: AppTest) -> list[str]:
    return [re.sub(r"\\(.)", r"\1", warning.value) for warning in at.warning]


def plain_text(element) -> str:
    return re.sub(r"\\(.)", r"\1", element.value)


def signal_links(at: AppTest) -> list[dict[str, str]]:
    return [
        dict(parse_qsl(link.proto.query_string))
        for link in at.page_link
        if link.proto.page == "signal-propagation"
    ]


def plane_spec(at: AppTest) -> dict:
    return json.loads(at.get("vega_lite_chart")[0].proto.spec)


def test_default_view_shows_the_plane_the_points_and_the_trainability_grid():
    at = open_page()
    assert at.title[0].value == "Phase diagram"
    assert warnings(at) == [] and len(at.error) == 0 and len(at.info) == 0
    assert dict(at.query_params) == CONTROLS.query(CONTROLS.applied(CONTROLS.defaults()))
    result = run(config_from_values({}))
    assert at.subheader[0].value == result.heading
    assert len(at.get("vega_lite_chart")) == CHARTS
    (points,) = at.dataframe
    assert list(points.value["point"]) == [p.label for p in result.points]
    assert list(points.value["xi"]) == [p.xi_text for p in result.points]
    # Xavier at sigma_b^2 = 0 sits on the edge of chaos (reference.md: tanh, sb2 0 -> sw2 1).
    assert points.value["phase"][0] == "critical" and points.value["xi"][0] == "∞"
    assert signal_links(at) == [p.link for p in result.points]
    # The grid is trained once, by the page: its caption names what ran (the default steps) and
    # the edge of chaos at the grid's sigma_b^2 (reference.md: 0.05 -> 1.7610).
    (caption,) = [plain_text(c) for c in at.caption if plain_text(c).startswith("tanh networks")]
    assert f"trained for {TRAINABILITY_STEPS} SGD steps" in caption
    assert caption.endswith("the dashed rule is the edge of chaos, σ_w² = 1.761.")
    assert any(plain_text(m).startswith("Near the edge of chaos the deepest") for m in at.markdown)


def test_a_deep_link_shows_exactly_its_values_and_no_warning():
    query = {"activation": "sigmoid", "heatmap": "xi", "gain": "1.7", "bias_std": "0.5", **FAST}
    at = open_page(**query)
    assert warnings(at) == [] and len(at.error) == 0
    shown = shown_values(at, PAGE_KEY, query)
    assert shown == {
        "activation": "sigmoid",
        "heatmap": "xi",
        "gain": 1.7,
        "bias_std": 0.5,
        "steps": 2,
    }
    assert {name: at.query_params[name] for name in query} == query
    result = run(config_from_values(CONTROLS.parse_query(query).values))
    assert any(plain_text(m) == result.point_caption for m in at.markdown)
    # sigmoid's edge of chaos lies far beyond the plane: the page says so, and the chart's
    # subtitle promises no line.
    assert [info.value for info in at.info] == [result.plane.edge_outside]
    assert result.plane.edge_sw2.size == 0
    spec = plane_spec(at)
    assert spec["title"]["subtitle"] == "no edge of chaos inside this plane"
    colours = [layer["encoding"].get("color", {}) for layer in spec["layer"]]
    assert [colour["field"] for colour in colours if "field" in colour] == ["xi"]
    # The trainability grid keeps the paper's setting (tanh, sigma_b^2 = 0.05): the page names
    # it, so that its edge at 1.761 is not read as sigmoid's beside the plane's 'beyond 5'.
    assert any(
        plain_text(m)
        .replace("**", "")
        .startswith("This grid: tanh, σ_b² = 0.05, the paper's setting")
        for m in at.markdown
    )


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("gain", "2.5", "must be a finite number in [0.1, 2.2]"),
        ("activation", "relu", "must be one of tanh, sigmoid, gelu"),
        ("heatmap", "<b>q</b>", "must be one of chi1, xi"),
        ("steps", "0", "must be an integer in [1, 2000]"),
    ],
)
def test_a_bad_value_gives_one_warning_and_the_default(name, text, reason):
    at = open_page(**(FAST | {name: text}))
    (warning,) = warnings(at)
    default = CONTROLS[name].format(CONTROLS[name].default)
    assert warning.startswith(f"URL parameter {name}={text!r} ignored: it {reason}")
    assert warning.endswith(f"; using the default {default}.")
    assert shown_values(at, PAGE_KEY, [name]) == {name: CONTROLS[name].default}
    assert len(at.get("vega_lite_chart")) == CHARTS


def test_a_point_link_opens_signal_propagation_with_its_network():
    at = open_page(gain="1.3", bias_std="0.1", **FAST)
    result = run(config_from_values({"gain": 1.3, "bias_std": 0.1}))
    mine = result.points[-1]
    assert (
        signal_links(at)[-1]
        == mine.link
        == {
            "init": "xavier_normal",
            "gain": "1.3",
            "activation": "tanh",
            "bias_std": "0.1",
        }
    )
    target = open_link(mine.href)
    assert len(target.warning) == 0
    signal = SIMULATION_PAGES["signal_propagation"]
    expected = signal.parse_query(mine.link).values
    assert shown_values(target, "signal_propagation", mine.link) == {
        name: expected[name] for name in mine.link
    }
    # The chart's points carry the same links (Vega-Lite's href channel).
    spec = plane_spec(at)
    hrefs = [
        layer["encoding"]["href"]["field"]
        for layer in spec["layer"]
        if "href" in layer.get("encoding", {})
    ]
    assert hrefs == ["url"]


def test_the_heatmap_switch_redraws_the_plane_and_keeps_the_grid():
    at = open_page(**FAST)
    before = at.get("vega_lite_chart")[0].proto.spec
    trainability = at.get("vega_lite_chart")[1].proto.spec
    at.button_group(key=f"ctl:{PAGE_KEY}:heatmap").set_value("xi").run()
    assert not at.exception and at.query_params["heatmap"] == "xi"
    assert at.get("vega_lite_chart")[0].proto.spec != before
    assert at.get("vega_lite_chart")[1].proto.spec == trainability


@pytest.mark.parametrize(
    "query", [{}, {"heatmap": "xi", "activation": "gelu", **FAST}], ids=["chi1", "xi"]
)
def test_titles_and_legends_fit_a_phone(query):
    """Both charts are as wide as the page, a phone's column at the narrowest: every title and
    subtitle line fits it and the colour bars sit below the plot (the lab's text model)."""
    drawn = charts_with_widths(open_page(**query))
    assert [width for _, width in drawn] == [PHONE_WIDTH] * CHARTS
    assert readability_problems(drawn) == []


def test_a_rerun_sends_the_same_charts_without_building_them(monkeypatch):
    """The plane (per heatmap), the grid and the points' table are built once per result: a
    rerun builds nothing and sends the same specs."""
    at = open_page(**FAST)
    before = chart_specs(at)
    assert before and rerun_without_building(at, monkeypatch, phase_charts) == before


@pytest.mark.parametrize("activation", ["gelu", "tanh"])
def test_the_page_explains_a_dashed_boundary_only_where_chi1_jumps(activation):
    """GELU's line is dashed for small sigma_b^2, where chi1 jumps past 1: the chart's subtitle
    and a caption say so. tanh's line is the edge of chaos all along: neither does."""
    at = open_page(activation=activation, **FAST)
    result = run(config_from_values(CONTROLS.parse_query({"activation": activation}).values))
    jumps = bool(result.plane.edge_jump.any())
    assert jumps is (activation == "gelu")
    captions = [caption.value for caption in at.caption]
    assert (result.plane.jump_note in captions) is jumps
    if jumps:
        assert result.plane.jump_note.startswith("Dashed part of the line (σ_b² up to 0.17)")
    spec = plane_spec(at)
    subtitle = json.dumps(spec["title"]["subtitle"], ensure_ascii=False)
    assert ("dashed: χ₁ jumps past 1" in subtitle) is jumps
    rows = phase_charts._boundary_rows(result.plane)
    assert set(rows["kind"]) == set(phase_charts.BOUNDARY_KINDS[: 2 if jumps else 1])
    if jumps:  # the dashed and the solid part meet: one point is in both
        solid, dashed = (rows[rows["kind"] == kind] for kind in phase_charts.BOUNDARY_KINDS)
        assert dashed["order"].max() == solid["order"].min()
        assert len(rows) == len(result.plane.edge_sw2) + 1


@pytest.mark.parametrize("activation", ["tanh", "gelu"])
def test_the_chi1_colour_bar_labels_1_and_the_chaotic_end(activation):
    """The χ₁ bar labels 1 (the edge), a value above it where the plane is chaotic, and only
    values inside the plane's range (Vega's own labels stopped at 1 for tanh)."""
    at = open_page(activation=activation, **FAST)
    result = run(config_from_values(CONTROLS.parse_query({"activation": activation}).values))
    chi1 = result.plane.chi1[np.isfinite(result.plane.chi1)]
    spec = plane_spec(at)
    (legend,) = [
        layer["encoding"]["color"]["legend"]
        for layer in spec["layer"]
        if layer["encoding"].get("color", {}).get("field") == "chi1"
    ]
    labels = legend["values"]
    assert 1.0 in labels and max(labels) > 1.0
    assert chi1.min() <= min(labels) and max(labels) <= chi1.max()


def test_a_grid_that_trains_nothing_says_so():
    """One SGD step trains no network of the grid: the page promised a trainable region that
    'the caption gives' and the caption read '1 SGD steps'. The chi1 heatmap's caption also
    spoke of xi's cap in its colours."""
    at = open_page(steps="1", heatmap="chi1")
    assert len(at.error) == 0
    texts = [plain_text(m).replace("**", "") for m in at.markdown]
    assert any(t.startswith("No network of this grid reached") for t in texts)
    assert not any(t.startswith("Near the edge of chaos the deepest networks train") for t in texts)
    captions = [plain_text(c) for c in at.caption]
    assert any("trained for 1 SGD step with momentum" in c for c in captions)
    assert not any("ξ is capped" in c for c in captions)
    xi = open_page(heatmap="xi", **FAST)
    assert any("ξ is capped at" in plain_text(c) for c in xi.caption)


def test_each_label_above_the_first_row_has_a_leader_to_its_point():
    # The labels stack one row per point above the points; a leader from each point up to its
    # row keeps "yours", two rows up, from reading as a point at sigma_b^2 of about 0.2.
    at = open_page()
    marks = [layer["mark"] for layer in plane_spec(at)["layer"]]
    label_rows = {-(m["dy"] + 14) // 15 for m in marks if m["type"] == "text" and m["dy"] < 0}
    leader_rows = [-(m["y2Offset"] + 14) // 15 for m in marks if "y2Offset" in m]
    assert sorted(label_rows) == list(range(len(label_rows))) and len(label_rows) >= 3
    assert sorted(leader_rows) == sorted(label_rows)[1:]
