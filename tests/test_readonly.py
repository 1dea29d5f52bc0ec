"""Every ndarray a public result holds is read-only (issue 12).

The result types are found from ``chinchilla_laws.__all__``, so a new result class or a
new array field is covered without being listed here. Each instance is built with fresh,
writable arrays in every array-typed field and then run through its ``__post_init__``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

import chinchilla_laws as cl

# ``Any``-typed fields that hold laws, not arrays.
NOT_ARRAYS = {("JointLaw", "laws"), ("ParametricFit", "law")}


def _is_array_field(cls: type, f: dataclasses.Field[Any]) -> bool:
    if (cls.__name__, f.name) in NOT_ARRAYS:
        return False
    text = str(f.type)
    return any(k in text for k in ("Array", "ndarray", "Any"))


def _result_types() -> list[type]:
    out = []
    for name in sorted(cl.__all__):
        obj = getattr(cl, name)
        if (
            isinstance(obj, type)
            and dataclasses.is_dataclass(obj)
            and any(_is_array_field(obj, f) for f in dataclasses.fields(obj))
        ):
            out.append(obj)
    return out


RESULT_TYPES = _result_types()


def _dummy(tp: object) -> Any:
    text = str(tp)
    if text.startswith(("tuple", "list")):
        return (np.arange(3.0), np.arange(3.0))
    if text.startswith(("dict", "Mapping")):
        return {"x": np.arange(3.0)}
    return np.arange(3.0)


def _build(cls: type) -> Any:
    if cls is cl.LossCurve:  # validates its arrays: build a real one
        steps = np.arange(1, 6)
        return cl.LossCurve(
            name="c", steps=steps, loss=np.linspace(3.0, 2.0, 5), schedule=np.full(6, 1e-3)
        )
    obj = object.__new__(cls)
    for f in dataclasses.fields(cls):
        if _is_array_field(cls, f):
            value = _dummy(f.type)
        elif f.default is not dataclasses.MISSING:
            value = f.default
        elif f.default_factory is not dataclasses.MISSING:
            value = f.default_factory()
        else:
            value = None
        object.__setattr__(obj, f.name, value)
    post = getattr(cls, "__post_init__", None)
    if post is not None:
        post(obj)
    return obj


def _arrays(obj: Any) -> list[tuple[str, np.ndarray]]:
    out: list[tuple[str, np.ndarray]] = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, np.ndarray):
            items = [value]
        elif isinstance(value, Mapping):
            items = list(value.values())
        elif isinstance(value, (tuple, list)):
            items = list(value)
        else:
            items = []
        out.extend((f.name, v) for v in items if isinstance(v, np.ndarray))
    return out


def test_result_types_found() -> None:
    names = {c.__name__ for c in RESULT_TYPES}
    assert {"IsoFLOPResult", "EnvelopeResult", "Runs", "LossCurve", "Profile"} <= names


@pytest.mark.parametrize("cls", RESULT_TYPES, ids=lambda c: c.__name__)
def test_every_array_field_read_only(cls: type) -> None:
    arrays = _arrays(_build(cls))
    assert arrays, f"{cls.__name__} holds no array"
    writable = sorted({name for name, arr in arrays if arr.flags.writeable})
    assert not writable, f"{cls.__name__}: writable array fields {writable}"
    _, arr = arrays[0]
    with pytest.raises(ValueError, match="read-only"):
        arr[...] = 0
