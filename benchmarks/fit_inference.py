"""Fit the calibrated inference estimate on published measurements and print its errors.

    python benchmarks/fit_inference.py

Prints the two efficiencies (prefill, decode), the 10-90% band of measured / estimate, and the
error on the fit rows (even) and the held-out rows (odd), overall and per device. The values in
specs/defaults.toml (inference_*) come from this output; tests/test_inference_validation.py checks
that they still equal a refit.
"""

import json
from pathlib import Path

from computescale.calibration import describe, fit

ROWS = Path(__file__).resolve().parent.parent / "tests" / "data" / "inference_measurements.csv"

if __name__ == "__main__":
    print(json.dumps(describe(fit(ROWS)), indent=2))
