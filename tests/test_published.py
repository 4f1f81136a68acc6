"""Published figures, reproduced through the API and through the CLI from the same table.

Each case: an id, the inputs as a reader would type them (taken from the cited document), the output
checked, the published figure, a relative tolerance, and the citation (paper, table or section). The
inputs are glossary names, so the CLI argument vector is generated from them (``--name value``).
Figures a spec file derived with the code's own formula are not published figures and are not here
(e.g. the Llama 3.1 and Llama 2 "energy" entries: model-card GPU-hours x TDP).
"""

import json

import pytest

from computescale import Q_, estimate_training
from computescale.parameters import INPUTS

CASES = [
    # id, inputs, output, published, rel, citation
    ("gpt3-6ND", dict(params="174.6e9", tokens="300e9"), "compute", "3.14e23 FLOP", 0.005,
     "Brown et al. 2020, Table D.1: 3.14e23 FLOP from 6·N·D"),
    ("gpt3-pf-days", dict(params="174.6e9", tokens="300e9"), "compute", "3640 PF_day", 0.005,
     "Brown et al. 2020, Table D.1: 3.64e3 PF-days"),
    ("llama31-405b-6ND", dict(params="405e9", tokens="15.6e12"), "compute", "3.8e25 FLOP", 0.01,
     "Llama 3 Herd paper 2024, Section 1: 3.8e25 FLOPs"),
    ("megatron-gpt3-34days", dict(params="175e9", tokens="300e9", recomputation=True, cluster="1024 A100 SXM4 80GB",
                                  achieved="140 TFLOP/s"), "time_to_train", "34 day", 0.015,
     "Narayanan et al. 2021, Section 5.1, eq. (4): 1024 A100 at 140 TFLOP/s -> 34 days"),
    ("megatron-1t-84days", dict(params="1.008e12", tokens="450e9", recomputation=True, cluster="3072 A100 SXM4 80GB",
                                achieved="163 TFLOP/s"), "time_to_train", "84 day", 0.015,
     "Narayanan et al. 2021, Section 5.1 and Table 1: 3072 A100 at 163 TFLOP/s -> 84 days"),
    ("bloom-433MWh", dict(run="bloom", server_overhead="1", pue="1"), "energy", "433.196 MWh", 1e-4,
     "Luccioni et al. 2022, Table 1: 1,082,990 GPU-hours x 400 W = 433,196 kWh (dynamic energy, no PUE)"),
    ("gpt4-mfu-90days", dict(run="gpt-4", duration="90"), "implied_mfu", "0.36", 0.02,
     "SemiAnalysis 2023: 2.15e25 FLOP on ~25k A100 in 90-100 days = 32-36% MFU"),
    ("gpt4-mfu-100days", dict(run="gpt-4", duration="100"), "implied_mfu", "0.32", 0.02,
     "SemiAnalysis 2023: 2.15e25 FLOP on ~25k A100 in 90-100 days = 32-36% MFU"),
    ("gpt3-14.8days", dict(run="gpt-3", precision="fp16"), "time_to_train", "14.8 day", 0.01,
     "Patterson et al. 2021, Table 4: 10,000 V100 at 24.6 of 125 TFLOP/s, 14.8 days"),
    ("gpt3-1287MWh", dict(run="gpt-3", power="330 W", server_overhead="1", pue="1.10"), "energy", "1287 MWh", 0.005,
     "Patterson et al. 2021, Table 4: 1,287 MWh (330 W per accelerator incl. host, PUE 1.10)"),
    ("gpt3-552t", dict(run="gpt-3", power="330 W", server_overhead="1", pue="1.10", carbon_intensity="0.429"),
     "emissions", "552.1 tCO2e", 0.005, "Patterson et al. 2021, Table 4: 552.1 tCO2e at 0.429 kgCO2e/kWh"),
]
PARAMS = [pytest.param(inputs, output, published, rel, id=case_id) for case_id, inputs, output, published, rel, _ in CASES]


def _argv(inputs: dict) -> list[str]:
    argv = ["train", "--json"]
    for name, value in inputs.items():
        argv += [INPUTS[name].flag] if value is True else [INPUTS[name].flag, str(value)]
    return argv


@pytest.mark.parametrize("inputs, output, published, rel", PARAMS)
def test_published_figure_through_the_api(catalog, inputs, output, published, rel):
    ours = estimate_training(catalog=catalog, **inputs).results[output]
    expected = Q_(published)
    assert ours.m_as(expected.units) == pytest.approx(expected.magnitude, rel=rel)


@pytest.mark.parametrize("inputs, output, published, rel", PARAMS)
def test_published_figure_through_the_cli(cli, inputs, output, published, rel):
    result = json.loads(cli(*_argv(inputs)).stdout)["results"][output]
    expected = Q_(published)
    assert Q_(result["magnitude"], result["units"]).m_as(expected.units) == pytest.approx(expected.magnitude, rel=rel)


def test_every_case_cites_its_source():
    assert all(len(case) == 6 and case[5] for case in CASES)
