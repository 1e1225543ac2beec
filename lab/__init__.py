"""The Weight Initialization Lab engine: numpy, scipy and ml_dtypes only, no UI imports.

Modules, each with one job:

- ``validation``: argument checks with scikit-learn-style messages;
- ``initializers``: the variance-scaling family (Xavier, He, LeCun, ...) and fixed-scale schemes;
- ``activations``: activation functions, derivatives and PyTorch's gains;
- ``network``: the Monte-Carlo forward and backward pass, with overflow reporting;
- ``theory``: mean-field signal propagation (length map, chi1, phases, depth scale);
- ``health``: the one health model (overflow, dead, saturated, gradient, signal) and its
  thresholds;
- ``diagnosis``: recommendations and match verdicts derived from the theory;
- ``signal``: summaries of a simulation for the Signal propagation page;
- ``formats``: float16, bfloat16, FP8 and INT8 casts and quantization;
- ``weights``: sampled weights against their exact laws;
- ``presets``: the teaching experiments; ``gradient_flow``: rand vs randn;
- ``symmetry``: why constant initialization never breaks symmetry;
- ``cli``: ``python -m lab``.
"""

__version__ = "0.1.0"
