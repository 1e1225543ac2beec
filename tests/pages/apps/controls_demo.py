"""A tiny page using every deep-link control, driven by tests/test_app_home.py."""

import streamlit as st

from pages.common import (
    bool_control,
    choice_control,
    float_control,
    int_control,
    multi_choice_control,
)

ACTIVATIONS = {"relu": "ReLU", "tanh": "tanh", "linear": "linear"}
SCHEMES = {"xavier": "Xavier/Glorot", "he": "He/Kaiming", "lecun": "LeCun"}

values = {
    "layers": int_control("Layers", "layers", 10, 1, 100),
    "width": int_control("Width", "width", 256, 1, 4096, widget="number"),
    "std": float_control("Input std", "std", 1.0, 0.1, 10.0, step=0.1),
    "sigma": float_control("Weight std", "sigma", 0.01, 1e-5, 1.0, log=True),
    "act": choice_control("Activation", "act", ACTIVATIONS, "relu"),
    "mode": choice_control("Mode", "mode", {"in": "fan_in", "out": "fan_out"}, "in", "segmented"),
    "bias": bool_control("Bias", "bias", False),
    "schemes": multi_choice_control("Schemes", "schemes", SCHEMES, ["xavier", "he"]),
}
st.session_state["demo_values"] = values
