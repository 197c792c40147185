"""The simulation study's report (bench/mse_simulation.py) survives failed methods."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "bench" / "mse_simulation.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("mse_simulation", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_it_reports_a_method_whose_every_run_failed(bench):
    nan = float("nan")
    stats = bench.summarize([(nan, nan, nan), (nan, nan, nan)], truth=2000)
    assert stats["coverage"] is None
    row = bench.format_row("loglinear stepwise (bootstrap BCa)", stats)
    assert row.split()[-5:] == ["n/a", "n/a", "n/a", "n/a", "2"]


def test_it_formats_a_method_that_ran(bench):
    stats = bench.summarize([(2100.0, 1800.0, 2400.0), (1900.0, 1700.0, 1950.0)], truth=2000)
    row = bench.format_row("LCMCR K=10 (posterior)", stats)
    assert row.split()[-5:] == ["0.50", "+0.0%", "5.0%", "0.21", "0"]
