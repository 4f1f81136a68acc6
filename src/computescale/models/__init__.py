"""Models: each a chain of declared stages on the one estimate pipeline (:mod:`.pipeline`).

:mod:`.stages` holds the stages every chain may reuse (power, energy, costs, emissions,
thresholds); :mod:`.training` the training chain.
"""

from .pipeline import Chain, Estimate, Model, Resolved, Stage, estimate, stage

__all__ = ["Chain", "Estimate", "Model", "Resolved", "Stage", "estimate", "stage"]
