"""Shared test configuration: hypothesis profiles and the shared reference data."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=30,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev", deadline=None, max_examples=20, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"


def _read_csv(name: str) -> dict[str, list[str]]:
    path = DATA_DIR / name
    if not path.exists():
        pytest.skip(f"shared data file {path} is not available")
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {k: [r[k] for r in rows] for k in rows[0]}


@pytest.fixture(scope="session")
def epoch_all() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All 245 points of Epoch AI's reconstruction: N, D = C / (6 N), loss."""
    cols = _read_csv("chinchilla_epoch_reconstruction.csv")
    n = np.array(cols["Model Size"], dtype=float)
    c = np.array(cols["Training FLOP"], dtype=float)
    loss = np.array(cols["loss"], dtype=float)
    return n, c / (6.0 * n), loss


@pytest.fixture(scope="session")
def epoch240(
    epoch_all: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 240-point set of Besiroglu et al.: the 5 highest-loss points dropped."""
    n, d, loss = epoch_all
    keep = loss < np.sort(loss)[-5]
    assert keep.sum() == 240
    return n[keep], d[keep], loss[keep]
