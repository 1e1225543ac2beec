"""Signal propagation's controls: the shared network group, nothing else."""

from lab.controls.core import PageControls
from lab.controls.network import NETWORK_GROUP

CONTROLS = PageControls("signal_propagation", "signal-propagation", NETWORK_GROUP)
