"""Fit the calibrated inference estimate on published measurements and print its errors.

    python benchmarks/fit_inference.py          # the fit and its errors, as JSON
    python benchmarks/fit_inference.py --toml   # the [[default]] entries of specs/defaults.toml

Prints the efficiencies (prefill and decode compute per device generation, memory, link, and the
mixture-of-experts factors), the 10-90% band of measured / estimate, and the error on the fit rows
(even), the held-out rows (odd), per device and per model, leaving each model out, on the
prefill-dominated rows and on the H200/H100 ratio, and, out of sample, the rows that state their batch
(at the stored efficiencies). The values in specs/defaults.toml (inference_*)
come from this output; tests/test_inference_validation.py checks that they still equal a refit.
Needs scipy (pip install 'computescale[calibrate]').
"""

import json
import sys
from pathlib import Path

from computescale.calibration import describe, fit, stated_batch, toml_entries

ROWS = Path(__file__).resolve().parent.parent / "tests" / "data" / "inference_measurements.csv"

if __name__ == "__main__":
    result = fit(ROWS)
    if "--toml" in sys.argv[1:]:
        print(toml_entries(result))
    else:
        print(json.dumps(describe(result) | {"stated_batch_out_of_sample": stated_batch(ROWS)}, indent=2))
