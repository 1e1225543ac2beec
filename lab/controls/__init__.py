"""Declared controls of every page: the mechanism (``core``), the network's shared group
(``network``), one module per simulation page, and the registry of URL paths (``registry``)."""

from lab.controls.core import (
    BoolControl,
    ChoiceControl,
    Control,
    FloatControl,
    IntControl,
    MultiChoiceControl,
    PageControls,
    ParsedQuery,
)

__all__ = [
    "BoolControl",
    "ChoiceControl",
    "Control",
    "FloatControl",
    "IntControl",
    "MultiChoiceControl",
    "PageControls",
    "ParsedQuery",
]
