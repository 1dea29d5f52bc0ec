"""Shared type aliases."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
AnyArray = npt.NDArray[Any]


def readonly(arr: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Return ``arr`` (a fresh array owned by a result) marked read-only."""
    arr.flags.writeable = False
    return arr
