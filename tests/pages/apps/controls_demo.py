"""A tiny page drawing one control of every kind from declarations (tests/pages/test_widgets.py)."""

import streamlit as st

from lab.controls.core import (
    BoolControl,
    ChoiceControl,
    FloatControl,
    IntControl,
    MultiChoiceControl,
    PageControls,
)
from pages.ui.widgets import Section, draw_controls

DEMO = PageControls(
    "app",
    "demo",
    (
        IntControl(name="layers", label="Layers", default=10, low=1, high=100),
        IntControl(name="width", label="Width", default=256, low=1, high=4096, widget="number"),
        FloatControl(name="std", label="Input std", default=1.0, low=0.1, high=10.0, step=0.1),
        FloatControl(
            name="sigma",
            label="Weight std",
            default=0.01,
            low=1e-5,
            high=1.0,
            options=(1e-5, 5e-5, 1e-4, 2e-4, 0.001, 0.01, 0.1, 0.5, 1.0),
        ),
        ChoiceControl(
            name="act",
            label="Activation",
            default="relu",
            options=(("relu", "ReLU"), ("tanh", "tanh"), ("linear", "linear")),
        ),
        ChoiceControl(
            name="mode",
            label="Mode",
            default="in",
            options=(("in", "fan_in"), ("out", "fan_out")),
            widget="segmented",
            when=(("act", ("relu",)),),
        ),
        BoolControl(name="bias", label="Bias", default=False),
        MultiChoiceControl(
            name="schemes",
            label="Schemes",
            default=("xavier", "he"),
            options=(("xavier", "Xavier/Glorot"), ("he", "He/Kaiming"), ("lecun", "LeCun")),
        ),
    ),
)
locked = st.session_state.get("demo_locked")
st.session_state["demo_values"] = draw_controls(
    DEMO,
    [
        Section("Network", ("layers", "width", "std", "sigma", "act", "mode")),
        Section("More", ("bias", "schemes"), expander=True),
    ],
    locked=locked,
)
