"""The Weight Initialization Lab engine: numpy/scipy only, no UI imports.

Modules: ``initializers`` (variance-scaling family), ``activations``, ``validation``; the
simulation, theory, diagnosis, number formats, presets and command line build on them.
"""

__version__ = "0.1.0"
