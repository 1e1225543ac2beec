"""Quiz: number formats, overflow, underflow and INT8 quantization."""

import streamlit as st

from pages.ui.quiz import render_quiz

st.title("Quantization quiz")
st.markdown(
    "Low-precision formats have a narrow window of representable magnitudes. These questions "
    "ask where that window ends in FP16 and FP8, what happens to values outside it, and how "
    "INT8 maps a tensor onto 255 levels."
)
st.latex(  # one piece per line: KaTeX does not wrap, and a phone shows about 350 px
    r"\begin{gathered}\text{scale} = \frac{\max |x|}{127},\quad q = \operatorname{round}"
    r"\!\left(\frac{x}{\text{scale}}\right),\\ "
    r"\text{SQNR} = 10 \log_{10} \frac{\sum x^2}{\sum (x - q\,\text{scale})^2}"
    r"\end{gathered}"
)
render_quiz("quantization")
