"""The shared Luo et al. (2025) loss curves, as LossCurve objects (test helper)."""

from __future__ import annotations

import csv
from collections import defaultdict
from functools import cache
from pathlib import Path

import numpy as np
import pytest

import chinchilla_laws as cl
from chinchilla_laws.schedules import luo2025_schedule

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "luo2025_lr_schedule_curves.csv"

# REFERENCE.md §7: mean PredE and R² over the six test schedules, published parameters
PUBLISHED_TEST_SCORES = {
    "25M": (0.00110, 0.9988),
    "100M": (0.00142, 0.9983),
    "400M": (0.00168, 0.9978),
}
PUBLISHED = {"25M": cl.LUO_2025_25M, "100M": cl.LUO_2025_100M, "400M": cl.LUO_2025_400M}


@cache
def rows() -> tuple[dict[str, str], ...]:
    if not DATA.exists():
        pytest.skip(f"shared data file {DATA} is not available")
    with DATA.open(newline="", encoding="utf-8") as fh:
        return tuple(csv.DictReader(fh))


@cache
def curves(size: str, split: str) -> tuple[cl.LossCurve, ...]:
    """The curves of one model size and split, with rebuilt schedules."""
    groups: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for r in rows():
        if r["model_size"] == size and r["split"] == split:
            groups[r["schedule"]].append((int(r["step"]), float(r["loss"])))
    out = []
    for name in sorted(groups):
        pts = np.array(groups[name])
        out.append(
            cl.LossCurve(
                name=name, steps=pts[:, 0], loss=pts[:, 1], schedule=luo2025_schedule(name)
            )
        )
    return tuple(out)
