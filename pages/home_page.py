"""Home: what the lab teaches, how to use it, and a link to every page."""

import streamlit as st

from lab.controls.registry import HOME
from pages.ui.memo import page_of
from pages.ui.registry import HOME_KEY, SECTIONS, pages_in_section
from pages.ui.widgets import draw_controls

st.title("Weight Initialization Lab")
# Home declares no controls: a URL parameter other than the shell's (a link meant for another
# page, a typo) gets the one-line warning every page gives, and leaves the address.
draw_controls(HOME)
st.markdown(
    "A deep network multiplies its input by one random matrix per layer. Unless the weights "
    "have the right variance, the signal shrinks or grows by a constant factor at every layer, "
    "so after a few dozen layers it has vanished or overflowed. This lab lets you watch that "
    "happen and fix it."
)

objectives, usage = st.columns(2, gap="large")
with objectives:
    st.subheader("You will be able to")
    st.markdown(
        "- explain why the variance of activations and gradients changes geometrically "
        "with depth;\n"
        "- pick a weight variance from a layer's fan-in and fan-out, and recognise Xavier/Glorot "
        "and He/Kaiming as two settings of one rule;\n"
        "- match the initializer to the activation function (tanh vs ReLU);\n"
        "- compare uniform and normal weights by their variance rather than their shape;\n"
        "- predict when activations overflow or underflow low-precision number formats;\n"
        "- tell from a network's health at initialization whether, and how fast, it trains, and "
        "why equal weights never break their symmetry;\n"
        "- place a scheme in the ordered or chaotic phase and read off how deep it still trains."
    )
with usage:
    st.subheader("How to use it")
    st.markdown(
        "- **Links:** every control is stored in the page address; copy it to share or "
        "revisit an exact configuration.\n"
        "- **Quizzes:** type your name or student ID in the sidebar first; answers are checked "
        "against the lab's own computations.\n"
        "- **Receipts:** a finished quiz gives a receipt with your name and score to hand in."
    )

st.subheader("One rule behind the named schemes")
st.latex(  # one piece per line: KaTeX does not wrap, and a phone shows about 350 px
    r"\begin{gathered}\operatorname{Var}(W) = \frac{\text{scale}}{n},\\ "
    r"n \in \left\{\, n_\text{in},\; n_\text{out},\; \tfrac{n_\text{in}+n_\text{out}}{2} \right\}"
    r"\end{gathered}"
)
st.markdown(
    "Xavier/Glorot uses scale 1 with the average of the fans; He/Kaiming uses scale 2 with the "
    "fan-in, compensating for ReLU zeroing half of its inputs. A uniform distribution "
    "U(−b, b) has variance b²/3, so it reaches the same variance with "
    "b = √(3 · scale / n)."
)

st.divider()
linked = {
    section: [info for info in pages_in_section(section) if info.key != HOME_KEY]
    for section in SECTIONS
}
linked = {section: pages for section, pages in linked.items() if pages}
for column, (section, pages) in zip(
    st.columns(len(linked), gap="large"), linked.items(), strict=True
):
    with column:
        st.subheader(section)
        for info in pages:
            st.page_link(page_of(info), label=info.title, icon=info.icon)
            st.caption(info.description)
