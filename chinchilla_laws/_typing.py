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


def freeze_arrays(obj: Any) -> None:
    """Mark every array held by a result dataclass read-only (its fields, and arrays in
    tuples, lists and dict values among them): the one helper result classes call from
    ``__post_init__`` instead of listing their array fields by hand."""
    for name in obj.__dataclass_fields__:
        value = getattr(obj, name)
        if isinstance(value, np.ndarray):
            readonly(value)
        elif isinstance(value, (tuple, list)):
            for item in value:
                if isinstance(item, np.ndarray):
                    readonly(item)
        elif isinstance(value, dict):
            for item in value.values():
                if isinstance(item, np.ndarray):
                    readonly(item)
