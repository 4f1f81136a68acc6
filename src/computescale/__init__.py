"""computescale: how much compute is this cluster, how does it compare, and what can it train?

Every figure is a pint quantity from one registry (:data:`ureg`) and every spec value carries
its source. Importing the package does no work beyond building the unit registry; spec tables
are read on first use (:func:`load_catalog`).
"""

from .cluster import Cluster, cluster
from .compare import ClaimCheck, Comparison, check_claim, compare, parse_claim
from .engines.sweep import Sweep, SweepResult, SweepSummary, sweep
from .errors import ComputescaleError, InputError, SpecFileError, UnitError, UnknownNameError
from .data.specs import Catalog, load_catalog
from .units import Q_, parse_quantity, ureg

__version__ = "0.1.0"

# Loaded on first use (PEP 562), so that a command that needs none of them does not pay for their
# import: name -> module. (cluster, compare and sweep are imported above: those module names are
# also function names, and a lazily imported submodule would shadow its function.)
_LAZY = {
    **dict.fromkeys(["Assumption", "ThresholdCheck", "TrainingEstimate", "compute_in_time", "devices_for_time",
                     "estimate",
    "estimate_training",
    "facility_power", "implied_mfu", "mfu_from_achieved", "time_to_train", "training_compute",
                     "facility_power"], "training"),
    **dict.fromkeys(["LogNormal", "MonteCarloResult", "Normal", "Triangular", "Uniform", "monte_carlo_claim",
                     "parse_uncertain"], "engines.montecarlo"),
    **dict.fromkeys(["TextClaim", "TextReport", "check_text"], "text"),
    **dict.fromkeys(["estimate_inference", "InferenceEstimate"], "inference"),
    "estimate": "engines.scenarios",
    "monte_carlo_training": "engines.scenarios",  # the engine dispatch: numpy (uncertainty.py) or dask (engine.py)
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'computescale' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))

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
    "estimate",
    "estimate_training",
    "estimate_inference",
    "InferenceEstimate",
    "facility_power",
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
