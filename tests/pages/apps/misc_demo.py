"""A declared link, an engine error and charts from pages/ui (tests/pages/test_widgets.py)."""

import math

import streamlit as st

from lab.controls.registry import SIMULATION_PAGES
from pages.ui.charts import histogram_chart, log_line_chart, show_chart
from pages.ui.registry import HOME_KEY, PAGES, get_page
from pages.ui.text import show_engine_error

# Register the app's pages without running one, so that st.page_link can resolve them.
st.navigation(
    [
        st.Page(info.path, title=info.title, url_path=info.url_path, default=info.key == HOME_KEY)
        for info in PAGES
    ],
    position="hidden",
)
query = SIMULATION_PAGES["signal_propagation"].query({"layers": 20, "activation": "tanh"})
st.page_link(get_page("signal_propagation").path, label="Deep tanh", query_params=query)
show_engine_error(ValueError("layers must be an integer in [1, 100]; got 0\nsecond line"))
show_engine_error(ValueError("see [this](http://example.com) ![x](http://example.com/x.png)"))
show_chart(histogram_chart([-3, -1, 1, 3], [5, 90, 5], "Weights", below=12, nonfinite=3))
rows = [{"layer": layer, "std": 0.5**layer, "net": "xavier"} for layer in range(1, 6)]
rows.append({"layer": 6, "std": 0.0, "net": "xavier"})
rows += [{"layer": layer, "std": 4.0**layer, "net": "large"} for layer in range(1, 4)]
rows += [{"layer": layer, "std": math.inf, "net": "large"} for layer in range(4, 7)]
show_chart(log_line_chart(rows, "layer", "std", "net", "Activation std", "std"))
