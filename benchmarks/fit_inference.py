"""Fit the calibrated inference estimate on published measurements and print its errors.

    python benchmarks/fit_inference.py          # the fit and its errors, as JSON
    python benchmarks/fit_inference.py --toml   # the [[default]] entries of specs/defaults.toml

Prints the fitted values (prefill and decode compute per device generation, memory, link, the
mixture-of-experts factors, the latencies per layer and per all-reduce), the 10-90% band of measured /
estimated speed, and the errors: on the fit rows, on the held-out rows (maximum-load and stated-batch,
per metric, device and model), leaving each model out, on the prefill-dominated rows, on the H200/H100
ratio, and on the rows of generations outside the fit. The values in specs/defaults.toml (inference_*)
come from this output; tests/test_inference_validation.py checks that they still equal a refit.
Needs scipy (pip install 'computescale[calibrate]').
"""

import json
import sys
from pathlib import Path

from computescale.calibration import fit
from computescale.calibration_report import describe, toml_entries

ROWS = Path(__file__).resolve().parent.parent / "tests" / "data" / "inference_measurements.csv"

if __name__ == "__main__":
    result = fit(ROWS)
    print(toml_entries(result) if "--toml" in sys.argv[1:] else json.dumps(describe(result), indent=2))
