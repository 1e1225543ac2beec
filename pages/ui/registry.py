"""The app's pages: key, title, script, URL path, icon, section and one-line description.

Used by streamlit_app.py for ``st.navigation``, by the home page and by the tests. URL paths
come from the pages' control declarations (lab.controls.registry, quizzes.pages), so that a
link built from a declaration always names a real page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from lab.validation import check_choice
from quizzes.pages import ALL_PAGES


@dataclass(frozen=True)
class PageInfo:
    """One page of the app: where it lives, where it is served and how it is shown."""

    key: str
    title: str
    file: str  # relative to the repository root (the folder of streamlit_app.py)
    icon: str  # a Material icon shortcode, ":material/name:"
    section: str
    description: str

    @property
    def path(self) -> Path:
        """Absolute path of the page script."""
        return REPO_ROOT / self.file

    @property
    def url_path(self) -> str:
        """Where the page is served: its declaration's URL path (the home page, served at the
        root, is named "home" for ``st.Page``; a page without controls, its key)."""
        spec = ALL_PAGES.get(self.key)
        return (spec.url_path if spec is not None else "") or self.key


#: The folder of streamlit_app.py; PageInfo.file is relative to it.
REPO_ROOT = Path(__file__).resolve().parents[2]
SECTIONS: tuple[str, ...] = ("Start", "Simulations", "Quizzes")
HOME_KEY = "home"
#: ``st.set_page_config`` of every script run of the app (streamlit_app.py).
PAGE_CONFIG = {
    "page_title": "Weight Initialization Lab",
    "page_icon": ":material/scatter_plot:",
    "layout": "wide",
}

PAGES: tuple[PageInfo, ...] = (
    PageInfo(
        "home",
        "Home",
        "pages/home_page.py",
        ":material/home:",
        "Start",
        "What the lab teaches, how to use it, and a map of every page.",
    ),
    PageInfo(
        "forward_pass",
        "Forward pass",
        "pages/forward_pass.py",
        ":material/east:",
        "Simulations",
        "Push a batch through a deep network and watch each layer's activations shrink, "
        "hold steady or blow up.",
    ),
    PageInfo(
        "weight_distribution",
        "Weight distribution",
        "pages/weight_distribution.py",
        ":material/bar_chart:",
        "Simulations",
        "Sample one layer's weights under each scheme and compare the histogram with the "
        "exact variance and bounds.",
    ),
    PageInfo(
        "signal_propagation",
        "Signal propagation",
        "pages/signal_propagation.py",
        ":material/ssid_chart:",
        "Simulations",
        "Follow the activation variance layer by layer and set the simulation against "
        "infinite-width theory.",
    ),
    PageInfo(
        "gradient_flow",
        "Gradient flow: rand vs randn",
        "pages/gradient_flow.py",
        ":material/trending_down:",
        "Simulations",
        "Uniform versus normal weights in a tanh network: gradient size per layer, and what "
        "changes once the variances match.",
    ),
    PageInfo(
        "quantization",
        "Quantization range",
        "pages/quantization_range.py",
        ":material/memory:",
        "Simulations",
        "See where activations land in float16, bfloat16, FP8 and INT8: overflow, underflow "
        "and rounding error.",
    ),
    PageInfo(
        "training",
        "Training",
        "pages/training.py",
        ":material/model_training:",
        "Simulations",
        "Train one network from each initialization: loss curves, wasted epochs, decision "
        "regions, gradients and the symmetry that zeros never break.",
    ),
    PageInfo(
        "phase_diagram",
        "Phase diagram",
        "pages/phase_diagram.py",
        ":material/blur_linear:",
        "Simulations",
        "Order, chaos and the edge between them in the (σ_w², σ_b²) plane, and how deep a "
        "network can be and still train.",
    ),
    PageInfo(
        "quiz_formulas",
        "Initialization formulas",
        "pages/quiz_formulas.py",
        ":material/function:",
        "Quizzes",
        "Compute Xavier and He variances, standard deviations and uniform bounds from a "
        "layer's fans.",
    ),
    PageInfo(
        "quiz_signal",
        "Signal propagation quiz",
        "pages/quiz_signal.py",
        ":material/quiz:",
        "Quizzes",
        "Predict how the signal grows or shrinks with depth for a scheme and an activation.",
    ),
    PageInfo(
        "quiz_quantization",
        "Quantization quiz",
        "pages/quiz_quantization.py",
        ":material/calculate:",
        "Quizzes",
        "Number-format ranges, overflow, underflow and INT8 quantization error.",
    ),
    PageInfo(
        "quiz_training",
        "Training quiz",
        "pages/quiz_training.py",
        ":material/psychology:",
        "Quizzes",
        "Predict which initialization trains first, why equal units stay equal, and how deep a "
        "network still trains.",
    ),
    PageInfo(
        "quiz_review",
        "Mixed review",
        "pages/quiz_review.py",
        ":material/shuffle:",
        "Quizzes",
        "A mixed set of questions drawn from every quiz topic.",
    ),
    PageInfo(
        "practice",
        "Practice",
        "pages/quiz_practice.py",
        ":material/fitness_center:",
        "Quizzes",
        "Practice questions with immediate feedback.",
    ),
)

#: Pages the shell adds to the menu only for some visitors (the home page does not list them):
#: the assignment a student follows (the default page while one is open), and the instructor's
#: page (only for instructors, pages/ui/instructor.py).
ASSIGNMENT_PAGE = PageInfo(
    "assignment",
    "Assignment",
    "pages/assignment_page.py",
    ":material/assignment:",
    "Start",
    "Your assignment: instructions, checklist, due date and its quizzes.",
)
INSTRUCTOR_PAGE = PageInfo(
    "instructor",
    "Instructor",
    "pages/instructor_page.py",
    ":material/school:",
    "Instructor",
    "Links for your class, the live gradebook, receipts and item analysis.",
)
SHELL_PAGES: tuple[PageInfo, ...] = (ASSIGNMENT_PAGE, INSTRUCTOR_PAGE)

_PAGES_BY_KEY: dict[str, PageInfo] = {info.key: info for info in (*PAGES, *SHELL_PAGES)}


def get_page(key: str) -> PageInfo:
    """The registry entry of page ``key``."""
    return _PAGES_BY_KEY[check_choice("page_key", key, _PAGES_BY_KEY)]


#: Metric labels and values and page-link labels wrap instead of ending in "…": a result card's
#: value such as "He/Kaiming normal" is wider than a third of the page at 800 px, and a link
#: such as "Explore this in Weight distribution" wider than a phone's line. Only <style>, so
#: Streamlit puts it in the page's event container, where it takes no space.
WRAPPING_TEXT_STYLE = (
    "<style>[data-testid='stMetricValue'], [data-testid='stMetricValue'] *, "
    "[data-testid='stMetricLabel'] p, [data-testid='stPageLink-NavLink'] * "
    "{white-space: normal !important; overflow: visible !important; "
    "overflow-wrap: break-word; text-overflow: clip !important;}</style>"
)


def wrapping_text() -> None:
    """Let long metric and page-link labels wrap on every page (``WRAPPING_TEXT_STYLE``)."""
    st.html(WRAPPING_TEXT_STYLE)


def page_header(page_key: str) -> PageInfo:
    """Draw a page's title and one-line description from the registry; return its entry.

    Every page starts with it, so that the menu, the home page and the heading agree.
    """
    info = get_page(page_key)
    st.title(info.title)
    st.caption(info.description)
    return info


def pages_in_section(section: str) -> tuple[PageInfo, ...]:
    """The pages of one navigation section, in menu order."""
    check_choice("section", section, SECTIONS)
    return tuple(info for info in PAGES if info.section == section)
