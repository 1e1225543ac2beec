"""Every Vega-Lite spec the pages render is valid against the Vega-Lite schema Altair ships.

The pages build their specs with Altair's validation off (``pages.ui.charts.vega_spec``: it
cost as much as building the chart, on every run), so this test validates what they actually
send: each page is opened through the app shell at its default URL and, for the simulation
pages, at one other view; every rendered spec (the proto's JSON, after Streamlit's own changes)
must pass the schema, and every dataset it names must have been sent with it.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import altair as alt
import jsonschema
import pandas as pd
import pyarrow as pa
import pytest

from lab.controls.registry import SIMULATION_PAGES
from pages.ui.charts import SUBTITLE_COLOR, vega_spec
from pages.ui.gradient_charts import TABS_KEY as GRADIENT_TABS_KEY
from pages.ui.registry import HOME_KEY, PAGES
from pages.ui.training_charts import TABS_KEY as TRAINING_TABS_KEY
from pages.ui.weight_charts import TABS_KEY as WEIGHT_TABS_KEY
from tests.pages.chart_readability import BACKGROUNDS, contrast
from tests.pages.deep_links import every_tab, open_link
from tests.pages.test_instructor import (
    PASSWORD,
    app,
    open_instructor_page,
    record_attempts,
    type_password,
)

#: The schema Altair validates against, shipped in its package.
SCHEMA = (
    Path(alt.__file__).parent
    / "vegalite"
    / alt.SCHEMA_VERSION.split(".")[0]
    / "schema"
    / "vega-lite-schema.json"
)
#: Pages with lazy tabs: the session-state key of the open tab.
LAZY_TABS = {
    "training": TRAINING_TABS_KEY,
    "gradient_flow": GRADIENT_TABS_KEY,
    "weight_distribution": WEIGHT_TABS_KEY,
}
#: One other view per simulation page: the other kinds of charts it draws (overflowing
#: signals, other views, collected runs), kept small so that the test stays fast.
OTHER_VIEWS: dict[str, dict[str, object]] = {
    "forward_pass": {"view": "network", "init": "large_random", "layers": 6},
    "weight_distribution": {"layer": "conv"},
    "signal_propagation": {"init": "large_random", "activation": "tanh", "layers": 8},
    "gradient_flow": {"uniform": "matched", "runs": 3},
    "quantization": {"init": "large_random", "calibration": "first_layer", "layers": 40},
    "training": {"dataset": "circles", "epochs": 10, "samples": 100},
    "phase_diagram": {"heatmap": "xi", "steps": 20},
}


@functools.cache
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text())
    return jsonschema.validators.validator_for(schema)(schema)


def named_data(spec: object) -> set[str]:
    """Names of every ``{"data": {"name": ...}}`` anywhere in the spec."""
    names: set[str] = set()
    if isinstance(spec, dict):
        data = spec.get("data")
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            names.add(data["name"])
        for value in spec.values():
            names |= named_data(value)
    elif isinstance(spec, list):
        for value in spec:
            names |= named_data(value)
    return names


#: Least contrast (WCAG's ratio) a subtitle keeps on both backgrounds.
SUBTITLE_CONTRAST = 3.0


def titles_with_subtitles(spec: object) -> list[dict]:
    """Every title object with a non-empty subtitle, anywhere in the spec."""
    found = []
    if isinstance(spec, dict):
        title = spec.get("title")
        if isinstance(title, dict) and title.get("subtitle"):
            found.append(title)
        for key, value in spec.items():
            if key != "title":
                found += titles_with_subtitles(value)
    elif isinstance(spec, list):
        for value in spec:
            found += titles_with_subtitles(value)
    return found


def subtitle_problems(spec: dict, where: str) -> list[str]:
    """Subtitles drawn in Vega's default black (hidden on the dark theme) or in a colour with
    too little contrast on either theme's background."""
    default = spec.get("config", {}).get("title", {}).get("subtitleColor")
    problems = []
    for title in titles_with_subtitles(spec):
        color = title.get("subtitleColor", default)
        if not isinstance(color, str):
            problems.append(f"{where}: subtitle {title['subtitle']!r} has Vega's default black")
            continue
        worst = min(contrast(color, background) for background in BACKGROUNDS)
        if worst < SUBTITLE_CONTRAST:
            problems.append(f"{where}: subtitle colour {color} has contrast {worst:.2f}")
    return problems


def spec_problems(at) -> list[str]:
    """Schema errors and missing datasets of every chart the app rendered (empty: all valid)."""
    problems = []
    for index, chart in enumerate(at.get("vega_lite_chart")):
        spec = json.loads(chart.proto.spec)
        title = spec.get("title", {})
        where = f"chart {index} ({title.get('text') if isinstance(title, dict) else title})"
        for error in validator().iter_errors(spec):
            path = "/".join(str(part) for part in error.absolute_path) or "(top)"
            problems.append(f"{where} at {path}: {error.message[:300]}")
        problems += subtitle_problems(spec, where)
        sent = {dataset.name for dataset in chart.proto.datasets} | set(spec.get("datasets", {}))
        for name in sorted(named_data(spec) - sent):
            problems.append(f"{where}: dataset {name!r} is named but not sent")
    return problems


def _cases() -> list:
    cases = []
    for info in PAGES:
        if not info.path.is_file():
            continue
        default = "./" if info.key == HOME_KEY else f"./{info.url_path}"
        cases.append(pytest.param(info.key, default, id=f"{info.key}-default"))
        if info.key in SIMULATION_PAGES:
            controls = SIMULATION_PAGES[info.key]
            values = controls.defaults() | OTHER_VIEWS[info.key]
            link = controls.link(controls.applied(values))
            cases.append(pytest.param(info.key, link, id=f"{info.key}-other"))
    return cases


@pytest.mark.parametrize(("page_key", "link"), _cases())
def test_every_rendered_spec_is_valid_vega_lite(page_key, link):
    at = open_link(link)
    assert not at.exception, [e.message for e in at.exception]
    if page_key in SIMULATION_PAGES:
        assert len(at.get("vega_lite_chart")) > 0, f"{link} rendered no chart"
    assert spec_problems(at) == []
    if page_key in LAZY_TABS:  # only the open tab is drawn: open each
        for label in every_tab(at, LAZY_TABS[page_key]):
            assert spec_problems(at) == [], label


def test_instructor_charts_are_valid_vega_lite(tmp_path):
    record_attempts(tmp_path)
    at = open_instructor_page(
        type_password(app(tmp_path, instructor_password=PASSWORD).run(), PASSWORD)
    )
    assert not at.exception
    assert len(at.get("vega_lite_chart")) >= 2
    assert spec_problems(at) == []


def test_an_invalid_spec_is_reported():
    """The check itself can fail: a mark Vega-Lite does not know and an unsent dataset."""

    class Chart:
        class proto:  # noqa: N801 - mimics the element's proto
            spec = json.dumps(
                {
                    "mark": "blob",
                    "data": {"name": "missing"},
                    "title": {"text": "t", "subtitle": "s"},
                    "layer": [
                        {"title": {"text": "u", "subtitle": "v", "subtitleColor": "#222222"}}
                    ],
                }
            )
            datasets = ()

    class App:
        def get(self, kind):
            return [Chart()] if kind == "vega_lite_chart" else []

    problems = spec_problems(App())
    assert any("at (top)" in p or "mark" in p for p in problems)
    assert any("'missing' is named but not sent" in p for p in problems)
    assert any("subtitle 's' has Vega's default black" in p for p in problems)
    assert any("subtitle colour #222222 has contrast 1." in p for p in problems)


def test_vega_spec_keeps_view_settings_and_ships_the_rows_as_arrow():
    """Only Altair's default 300 x 300 view size is dropped; the rows arrive intact."""
    frame = pd.DataFrame({"a": [1.0, 2.5], "b": ["x", "y"]})
    plain = alt.Chart(frame).mark_point().encode(x="a:Q", y="b:N")
    subtitles = {"title": {"subtitleColor": SUBTITLE_COLOR}}
    assert vega_spec(plain)["config"] == subtitles
    spec = vega_spec(plain.configure_view(strokeWidth=0))
    assert spec["config"] == {"view": {"strokeWidth": 0}, **subtitles}
    own = vega_spec(plain.configure_title(subtitleColor="#e8590c"))
    assert own["config"]["title"] == {"subtitleColor": "#e8590c"}
    (data,) = spec["datasets"].values()
    assert pa.ipc.open_stream(data).read_all().to_pydict() == {"a": [1.0, 2.5], "b": ["x", "y"]}
