"""computescale: how much compute is this cluster, how does it compare, and what can it train?

Every figure is a pint quantity from one registry (:data:`ureg`) and every spec value carries
its source. Importing the package does no work beyond building the unit registry; spec tables
are read on first use (:func:`load_catalog`).
"""

from .cluster import Cluster, cluster
from .compare import ClaimCheck, Comparison, check_claim, compare, parse_claim
from .training import (
    Assumption,
    ThresholdCheck,
    TrainingEstimate,
    compute_in_time,
    devices_for_time,
    estimate_training,
    implied_mfu,
    mfu_from_achieved,
    time_to_train,
    training_compute,
)
from .text import TextClaim, TextReport, check_text
from .sweep import Sweep, SweepResult, SweepSummary, sweep
from .uncertainty import (
    LogNormal,
    MonteCarloResult,
    Normal,
    Triangular,
    Uniform,
    monte_carlo_claim,
    monte_carlo_training,
    parse_uncertain,
)
from .errors import ComputescaleError, InputError, SpecFileError, UnitError, UnknownNameError
from .specs import Catalog, load_catalog
from .units import Q_, parse_quantity, ureg

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "ureg",
    "Q_",
    "parse_quantity",
    "load_catalog",
    "Catalog",
    "cluster",
    "Cluster",
    "compare",
    "Comparison",
    "check_claim",
    "ClaimCheck",
    "parse_claim",
    "check_text",
    "TextReport",
    "TextClaim",
    "estimate_training",
    "TrainingEstimate",
    "Assumption",
    "ThresholdCheck",
    "training_compute",
    "time_to_train",
    "compute_in_time",
    "devices_for_time",
    "implied_mfu",
    "mfu_from_achieved",
    "sweep",
    "Sweep",
    "SweepResult",
    "SweepSummary",
    "monte_carlo_training",
    "monte_carlo_claim",
    "MonteCarloResult",
    "parse_uncertain",
    "Uniform",
    "Normal",
    "Triangular",
    "LogNormal",
    "ComputescaleError",
    "InputError",
    "SpecFileError",
    "UnitError",
    "UnknownNameError",
]
