"""Fixtures for the estimation engine: the published capture-history tables.

The CSVs in tests/engines/data/mse/ are copies of shared/data/mse/ (see the
README there for the source of each table and its published figures).
"""

import warnings
from pathlib import Path

import pytest

from memoria.mse import read_capture_table

DATA = Path(__file__).resolve().parents[1] / "data" / "mse"


def load(name):
    """The unstratified table in ``tests/engines/data/mse/<name>.csv``."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the published tables must load cleanly
        return read_capture_table(DATA / f"{name}.csv")[None]


@pytest.fixture
def data_dir():
    return DATA
