"""Shared type aliases."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NoReturn, TypeVar

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


K = TypeVar("K")
V = TypeVar("V")


class FrozenDict(Mapping[K, V]):
    """A read-only mapping held by a result: reads, compares and prints like a dict,
    refuses writes, and (unlike ``types.MappingProxyType``) pickles and deep-copies."""

    __slots__ = ("_data",)
    _data: dict[K, V]

    def __init__(self, data: Mapping[K, V] | None = None) -> None:
        object.__setattr__(self, "_data", dict(data or {}))

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return repr(self._data)

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __reduce__(self) -> tuple[type[FrozenDict[K, V]], tuple[dict[K, V]]]:
        return (type(self), (self._data,))


def freeze_arrays(obj: Any) -> None:
    """Make a result dataclass read-only below its frozen fields: every array it holds
    is marked read-only (its fields, and arrays in tuples, lists and mapping values
    among them) and every mapping field becomes a :class:`FrozenDict`. The one helper
    result classes call from ``__post_init__`` (so fresh results and those restored by
    ``from_dict`` are equally read-only) instead of listing their fields by hand."""
    for name in obj.__dataclass_fields__:
        value = getattr(obj, name)
        if isinstance(value, np.ndarray):
            readonly(value)
        elif isinstance(value, (tuple, list)):
            for item in value:
                if isinstance(item, np.ndarray):
                    readonly(item)
        elif isinstance(value, Mapping):
            for item in value.values():
                if isinstance(item, np.ndarray):
                    readonly(item)
            if not isinstance(value, FrozenDict):
                object.__setattr__(obj, name, FrozenDict(value))
