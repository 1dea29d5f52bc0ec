"""Plain-dict and JSON forms of laws and results, readable without this library's internals.

Every law and result has ``as_dict()`` and a classmethod ``from_dict()``;
:func:`to_json` / :func:`from_json` are ``json.dumps`` / ``json.loads`` of them
(strict JSON: no ``NaN`` or ``Infinity`` literals). Every dict names its kind and
layout::

    {"format": "chinchilla_laws.<kind>", "version": <int>, ...}

and readers refuse a dict of another kind, another family or an unknown version
with a ``ValueError`` that says which.

Laws
    A law of a registered family is stored as::

        {"format": "chinchilla_laws.law", "version": 1, "family": "chinchilla",
         "name": "...", "params": {"E": 1.8, "A": 482.0, ...}}

    For Chinchilla laws the parameters (and the derived ``a``, ``b``, ``G``) are also
    written at the top level, as version 0.1 wrote them, so that older readers keep
    working; :func:`law_from_dict` reads both forms, and a dict without ``family`` or
    ``version`` is a version-0.1 Chinchilla law. A training framework needs only the
    family's equation and ``params`` to evaluate the law.

Results (and laws outside the family registry: power laws, joint laws, the downstream-error law)
    Every field of the frozen dataclass is stored under its own name, so the whole
    state comes back, per-start and per-resample arrays included:

    - arrays as ``{"__ndarray__": [flat values], "dtype": "<f8", "shape": [m, n]}``,
      non-finite floats in them as the strings ``"nan"``, ``"inf"``, ``"-inf"``;
    - a non-finite float field as ``{"__float__": "nan"}`` (or ``"inf"``, ``"-inf"``);
    - enums by name, ``{"__enum__": "FitStatus", "name": "SUCCESS"}``;
    - tuples as ``{"__tuple__": [...]}`` (lists stay lists);
    - nested laws and results as their own dicts (with their own ``format``).

    Results also carry ``success`` and ``message`` (and ``status`` where it is
    derived rather than stored) for a reader's eye; they are not read back.
    Fields that cannot be stored (a callable) make ``as_dict`` raise ``TypeError``
    naming the field; nothing is dropped silently.

Older layouts
    Version-0.1 law files (no ``version``) and the version-1 fit and parametric
    bootstrap dicts (arrays as plain lists, non-finite values as ``null``) stay
    readable. The version-1 IsoFLOP and envelope dicts were reports without the
    runs' arrays and cannot be loaded back.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._validation import _describe
from .family import get_family

__all__ = [
    "FORMATS",
    "from_dict",
    "from_json",
    "law_from_dict",
    "law_to_dict",
    "to_dict",
    "to_json",
]

PREFIX = "chinchilla_laws."
LAW_FORMAT = PREFIX + "law"
FIT_FORMAT = PREFIX + "fit"
BOOTSTRAP_FORMAT = PREFIX + "bootstrap"
ISOFLOP_FORMAT = PREFIX + "isoflop"
ENVELOPE_FORMAT = PREFIX + "envelope"
VERSION = 1
"""Version of the law layout (version-0.1 files had no version field)."""

FORMATS: dict[str, tuple[str, str, int]] = {
    # kind: (module, class, version of its layout)
    "fit": ("parametric", "ParametricFit", 2),
    "bootstrap": ("bootstrap", "ParametricBootstrap", 2),
    "isoflop": ("isoflop", "IsoFLOPResult", 2),
    "envelope": ("envelope", "EnvelopeResult", 2),
    "power_law_bootstrap": ("bootstrap", "PowerLawBootstrap", 1),
    "frontier_band": ("bootstrap", "FrontierBand", 1),
    "power_law": ("powerlaw", "PowerLaw", 1),
    "isoflop_bias": ("isoflop", "IsoFLOPBias", 1),
    "isoflop_budget": ("isoflop", "IsoFLOPBudget", 1),
    "vertex_estimates": ("isoflop", "VertexEstimates", 1),
    "frontier": ("laws", "Frontier", 1),
    "data_constrained_frontier": ("data_constrained", "DataConstrainedFrontier", 1),
    "multi_power_fit": ("multipower_fit", "MultiPowerFit", 1),
    "multi_power_bootstrap": ("multipower_fit", "MultiPowerBootstrap", 1),
    "loss_curve": ("multipower", "LossCurve", 1),
    "curve_errors": ("multipower", "CurveErrors", 1),
    "downstream_error_law": ("overtraining", "DownstreamErrorLaw", 1),
    "downstream_error_fit": ("overtraining", "DownstreamErrorFit", 1),
    "joint_law": ("joint", "JointLaw", 1),
    "joint_bootstrap": ("joint", "JointBootstrap", 1),
    "profile": ("profile", "Profile", 1),
    "optimized_schedule": ("optimal_schedule", "OptimizedSchedule", 1),
    "backtest": ("planning", "Backtest", 1),
    "rolling_backtest": ("planning", "RollingBacktest", 1),
    "compute_multiplier": ("planning", "ComputeMultiplier", 1),
    "estimator_forecast": ("planning", "EstimatorForecast", 1),
    "isoflop_design": ("planning", "IsoFLOPDesign", 1),
    "isoflop_plan": ("planning", "IsoFLOPPlan", 1),
    "inference_optimal": ("planning", "InferenceOptimal", 1),
    "transformer_shape": ("flops", "TransformerShape", 1),
}
"""The kinds stored by the generic codec: ``format`` is ``"chinchilla_laws." + kind``.

Laws of registered families (``format`` ``"chinchilla_laws.law"``) are not listed:
their layout is :func:`law_to_dict`'s.
"""

ENUMS: dict[str, str] = {
    "FitStatus": "parametric",
    "StartStatus": "parametric",
    "IsoFLOPStatus": "isoflop",
    "IsoFLOPResultStatus": "isoflop",
    "EnvelopeStatus": "envelope",
    "BatchStatus": "result",
    "MultiPowerStatus": "multipower_fit",
    "ScheduleStatus": "optimal_schedule",
    "DownstreamFitStatus": "overtraining",
    "ProfileStatus": "profile",
    "MultiplierStatus": "planning",
}
"""The enums a stored result may hold, by class name (the module that defines each)."""

_TAGS = ("__float__", "__ndarray__", "__tuple__", "__enum__")
_DERIVED = ("status", "success", "message")
"""Keys results write for readers and that are not read back (unless they are fields)."""


# ---------------------------------------------------------------------- laws
def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def law_to_dict(law: Any) -> dict[str, Any]:
    """A law of a registered family as a plain dict of floats and strings."""
    fam = law.family
    params = {k: float(v) for k, v in law.params.items()}
    out: dict[str, Any] = {
        "format": LAW_FORMAT,
        "version": VERSION,
        "family": fam.name,
        "name": getattr(law, "name", ""),
        "params": params,
    }
    if fam.name == "chinchilla":
        out.update(params)
        out.update(a=law.a, b=law.b, G=_num(law.G))
    return out


def law_from_dict(data: Mapping[str, Any], *, family: str | None = None) -> Any:
    """The law stored in ``data`` (either layout); ``family`` checks the family's name."""
    if not isinstance(data, Mapping):
        raise TypeError(f"`data` must be a mapping; got {_describe(data)}.")
    version = data.get("version")
    if version is not None and version != VERSION:
        raise ValueError(
            f"`data` has version {version!r}; this library reads version {VERSION} "
            "(and version-0.1 dicts without a version)."
        )
    fmt = data.get("format", LAW_FORMAT)
    if fmt != LAW_FORMAT:
        raise ValueError(f"`data` holds {fmt!r}, not a law ({LAW_FORMAT!r}).")
    fam_name = data.get("family", "chinchilla")
    if family is not None and fam_name != family:
        raise ValueError(f"`data` holds a law of the {fam_name!r} family, not {family!r}.")
    fam = get_family(fam_name)
    params = data.get("params", data)
    if not isinstance(params, Mapping):
        raise TypeError(f"`data['params']` must be a mapping; got {_describe(params)}.")
    missing = [k for k in fam.param_names if k not in params]
    if missing:
        raise ValueError(
            f"`data` lacks the parameters {missing} of the {fam.name!r} family "
            f"(it needs {list(fam.param_names)})."
        )
    values = {}
    for k in fam.param_names:
        v = params[k]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"`data` parameter `{k}` must be a number; got {_describe(v)}.")
        values[k] = float(v)
    name = data.get("name", "")
    return fam.make_law(values, name=name if isinstance(name, str) else "")


def _is_law(obj: Any) -> bool:
    from .family import LawFamily, family_names

    fam = getattr(obj, "family", None)
    return isinstance(fam, LawFamily) and fam.name in family_names()


# ---------------------------------------------------------------------- the registry
_CLASS_KIND: dict[type, str] = {}


def _class(kind: str) -> type:
    module, name, _ = FORMATS[kind]
    cls: type = getattr(importlib.import_module(f"chinchilla_laws.{module}"), name)
    return cls


def _kind(cls: type) -> str | None:
    if not _CLASS_KIND:
        _CLASS_KIND.update({_class(k): k for k in FORMATS})
    return _CLASS_KIND.get(cls)


def _enum_class(name: str) -> type[enum.Enum] | None:
    module = ENUMS.get(name)
    if module is None:
        return None
    cls: type[enum.Enum] | None = getattr(
        importlib.import_module(f"chinchilla_laws.{module}"), name, None
    )
    return cls


# ---------------------------------------------------------------------- encoding
def _nonfinite(x: float) -> str:
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def _encode_array(a: np.ndarray, where: str) -> dict[str, Any]:
    kind = a.dtype.kind
    flat = a.ravel().tolist()
    if kind == "f":
        data = [v if math.isfinite(v) else _nonfinite(v) for v in flat]
    elif kind in "biuU":
        data = flat
    elif kind == "O":
        data = [_encode(v, f"{where}[{i}]") for i, v in enumerate(flat)]
    else:
        raise TypeError(
            f"`{where}` is an array of dtype {a.dtype}, which cannot be stored in a dict "
            "(real, integer, boolean, string and object arrays can)."
        )
    return {"__ndarray__": data, "dtype": a.dtype.str, "shape": list(a.shape)}


def _encode(value: Any, where: str) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, enum.Enum):
        name = type(value).__name__
        if _enum_class(name) is not type(value):
            raise TypeError(f"`{where}` holds {value!r}, an enum this library does not store.")
        return {"__enum__": name, "name": value.name}
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        x = float(value)
        return x if math.isfinite(x) else {"__float__": _nonfinite(x)}
    if isinstance(value, np.ndarray):
        return _encode_array(value, where)
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str) or k in _TAGS or k == "format":
                raise TypeError(
                    f"`{where}` has the key {k!r}; stored mappings need string keys other "
                    f"than {['format', *_TAGS]}."
                )
            out[k] = _encode(v, f"{where}[{k!r}]")
        return out
    if _kind(type(value)) is not None or _is_law(value):
        return to_dict(value)
    raise TypeError(
        f"`{where}` holds {_describe(value)}, which cannot be stored in a dict; "
        "`as_dict` stores numbers, strings, arrays, enums, laws and results only."
    )


def to_dict(obj: Any) -> dict[str, Any]:
    """A law or result as a plain, strict-JSON-ready dict (see the module docstring).

    Raises ``TypeError`` for an object this library does not store, or one holding a
    value that cannot be stored (a callable, say), naming the field.
    """
    kind = _kind(type(obj))
    if kind is None:
        if _is_law(obj):
            return law_to_dict(obj)
        raise TypeError(f"`obj` must be a law or a result of this library; got {_describe(obj)}.")
    _, name, version = FORMATS[kind]
    out: dict[str, Any] = {"format": PREFIX + kind, "version": version}
    fields = [f.name for f in dataclasses.fields(obj)]
    for f in fields:
        out[f] = _encode(getattr(obj, f), f"{name}.{f}")
    from .result import Result

    for key in _DERIVED if isinstance(obj, Result) else ():
        if key not in fields:
            out[key] = _encode(getattr(obj, key), f"{name}.{key}")
    return out


# ---------------------------------------------------------------------- decoding
def _float(v: Any, where: str) -> float:
    if isinstance(v, str):
        if v not in ("nan", "inf", "-inf"):
            raise ValueError(f"`{where}` must be a number, 'nan', 'inf' or '-inf'; got {v!r}.")
        return float(v)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(f"`{where}` must be a number; got {_describe(v)}.")
    return float(v)


def _decode_array(value: Mapping[str, Any], where: str) -> np.ndarray:
    try:
        dtype = np.dtype(value["dtype"])
        shape = tuple(int(s) for s in value["shape"])
        data = value["__ndarray__"]
    except (KeyError, TypeError) as exc:
        raise ValueError(
            f"`{where}` must be an array record with '__ndarray__', 'dtype' and 'shape'; "
            f"got keys {sorted(value)}."
        ) from exc
    if dtype.kind not in "fbiuUO" or not isinstance(data, list):
        raise ValueError(f"`{where}` holds an array of dtype {dtype} or data that is not a list.")
    if dtype.kind == "f":
        arr = np.array([_float(v, where) for v in data], dtype=dtype)
    elif dtype.kind == "O":
        arr = np.empty(len(data), dtype=object)
        for i, v in enumerate(data):
            arr[i] = _decode(v, f"{where}[{i}]")
    else:
        arr = np.array(data, dtype=dtype)
    if arr.ndim != 1 or arr.size != math.prod(shape):
        raise ValueError(
            f"`{where}` holds {len(data)} values, which do not fill its shape {list(shape)}."
        )
    return arr.reshape(shape)


def _decode(value: Any, where: str) -> Any:
    if isinstance(value, list):
        return [_decode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, Mapping):
        return value
    if "__float__" in value:
        return _float(value["__float__"], where)
    if "__ndarray__" in value:
        return _decode_array(value, where)
    if "__tuple__" in value:
        items = value["__tuple__"]
        if not isinstance(items, list):
            raise ValueError(f"`{where}` must hold a list under '__tuple__'.")
        return tuple(_decode(v, f"{where}[{i}]") for i, v in enumerate(items))
    if "__enum__" in value:
        cls = _enum_class(str(value["__enum__"]))
        if cls is None:
            raise ValueError(f"`{where}` names the enum {value['__enum__']!r}, unknown here.")
        try:
            return cls[value["name"]]
        except KeyError:
            raise ValueError(
                f"`{where}` names {value['__enum__']}.{value.get('name')}, which does not exist."
            ) from None
    fmt = value.get("format")
    if isinstance(fmt, str) and fmt.startswith(PREFIX):
        return _from_dict(value, None, where)
    return {k: _decode(v, f"{where}[{k!r}]") for k, v in value.items()}


def _what(cls: type) -> str:
    kind = _kind(cls)
    return f"{cls.__name__} ({PREFIX + kind!r})" if kind else cls.__name__


def from_dict(data: Mapping[str, Any], cls: type | None = None) -> Any:
    """The law or result stored in ``data`` (by :func:`to_dict`, or an older layout).

    ``cls``, when given, is the class the caller expects; a dict of another kind (or,
    for a law, another family) raises ``ValueError``, as do an unknown ``version`` and
    missing or unknown keys. Errors in nested dicts name their place, e.g.
    ``data['fit']['law']``.
    """
    return _from_dict(data, cls, "data")


def _from_dict(data: Any, cls: type | None, where: str) -> Any:
    if not isinstance(data, Mapping):
        raise TypeError(f"`{where}` must be a mapping; got {_describe(data)}.")
    fmt = data.get("format")
    if fmt is None or fmt == LAW_FORMAT:
        if cls is not None and _kind(cls) is not None:
            raise ValueError(f"`{where}` does not hold a {_what(cls)}; it holds a law.")
        law = law_from_dict(data)
        if cls is not None and not isinstance(law, cls):
            raise ValueError(
                f"`{where}` holds a law of the {law.family.name!r} family, not a {cls.__name__}."
            )
        return law
    kind = fmt[len(PREFIX) :] if isinstance(fmt, str) and fmt.startswith(PREFIX) else None
    if kind is None or kind not in FORMATS:
        raise ValueError(f"`{where}['format']` is {fmt!r}, not a format this library writes.")
    target = _class(kind)
    if cls is not None and cls is not target:
        raise ValueError(f"`{where}` does not hold a {_what(cls)}; it holds {fmt!r}.")
    version = data.get("version")
    expected = FORMATS[kind][2]
    if version == 1 and kind in ("fit", "bootstrap"):
        try:
            return _fit_v1(data) if kind == "fit" else _bootstrap_v1(data)
        except KeyError as exc:
            raise ValueError(
                f"`{where}` lacks the key {exc.args[0]!r} of a version-1 {fmt!r} dict."
            ) from None
    if version == 1 and kind in ("isoflop", "envelope"):
        raise ValueError(
            f"`{where}` is a version-1 {fmt!r} report, which holds no runs or arrays and "
            "cannot be loaded back; store the result again with this version."
        )
    if version != expected:
        raise ValueError(
            f"`{where}` has version {version!r}; this library reads version {expected} of {fmt!r}."
        )
    fields = [f for f in dataclasses.fields(target) if f.init]
    names = {f.name for f in fields}
    missing = [
        f.name
        for f in fields
        if f.name not in data
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ValueError(f"`{where}` lacks the keys {missing} of a {_what(target)}.")
    unknown = sorted(set(data) - names - {"format", "version", *_DERIVED})
    if unknown:
        raise ValueError(f"`{where}` has keys {unknown} that a {_what(target)} does not have.")
    kwargs = {n: _decode(data[n], f"{where}[{n!r}]") for n in names if n in data}
    return target(**kwargs)


# ---------------------------------------------------------------------- version-1 layouts
def _fit_v1(data: Mapping[str, Any]) -> Any:
    """A :class:`~chinchilla_laws.ParametricFit` from the version-1 fit layout."""
    from .parametric import FitStatus, ParametricFit

    law = law_from_dict(data["law"])
    P = int(data["n_theta"])
    S = int(data["n_starts"])

    def arr(key: str, dtype: Any, shape: tuple[int, ...]) -> np.ndarray:
        values = [math.nan if v is None else v for v in data[key]]
        return np.asarray(values, dtype=dtype).reshape(shape)

    def num(key: str) -> float:
        v = data[key]
        return math.nan if v is None else float(v)

    try:
        status = FitStatus[data["status"]]
    except KeyError:
        raise ValueError(f"`data['status']` is not a fit status: {data['status']!r}.") from None
    return ParametricFit(
        law=law,
        theta=arr("theta", np.float64, (P,)),
        objective=num("objective"),
        grad=arr("grad", np.float64, (P,)),
        grad_norm=num("grad_norm"),
        gtol=num("gtol"),
        status=status,
        on_grid_boundary=bool(data["on_grid_boundary"]),
        best_start=int(data["best_start"]),
        n_points=int(data["n_points"]),
        n_starts=S,
        n_converged=int(data["n_converged"]),
        n_abandoned=int(data["n_abandoned"]),
        nit=int(data["nit"]),
        nfev=int(data["nfev"]),
        start_thetas=arr("start_thetas", np.float64, (S, P)),
        end_thetas=arr("end_thetas", np.float64, (S, P)),
        start_objectives=arr("start_objectives", np.float64, (S,)),
        start_grad_norms=arr("start_grad_norms", np.float64, (S,)),
        start_nit=arr("start_nit", np.int64, (S,)),
        start_nfev=arr("start_nfev", np.int64, (S,)),
        start_status=arr("start_status", np.int64, (S,)),
        delta=num("delta"),
        reduction=str(data["reduction"]),
        backend=str(data["backend"]),
        family=str(data["family"]),
        free=tuple(data["free"]),
        fixed={k: float(v) for k, v in data["fixed"].items()},
        tied=tuple(tuple(g) for g in data["tied"]),
        notes=tuple(data["notes"]),
        weighted=bool(data["weighted"]),
    )


def _bootstrap_v1(data: Mapping[str, Any]) -> Any:
    """A :class:`~chinchilla_laws.ParametricBootstrap` from the version-1 layout."""
    from .bootstrap import ParametricBootstrap

    fit = from_dict(data["fit"])
    R = int(data["n_rows"])

    def arr(key: str, dtype: Any) -> np.ndarray:
        values = [math.nan if v is None else v for v in data[key]]
        return np.asarray(values, dtype=dtype).reshape(R, -1) if R else np.empty((0, 0), dtype)

    fraction = data["fraction"]
    return ParametricBootstrap(
        fit=fit,
        thetas=arr("thetas", np.float64),
        objectives=arr("objectives", np.float64).reshape(R),
        resample_status=arr("status", np.int64).reshape(R),
        weights=arr("weights", np.float64),
        n_resamples=int(data["n_resamples"]),
        n_failed=int(data["n_failed"]),
        scheme=str(data["scheme"]),
        fraction=math.nan if fraction is None else float(fraction),
    )


# ---------------------------------------------------------------------- JSON
def to_json(obj: Any, **kwargs: Any) -> str:
    """Strict JSON of a law or a result (``json.dumps`` of :func:`to_dict`)."""
    return json.dumps(to_dict(obj), allow_nan=False, **kwargs)


def from_json(text: str | bytes) -> Any:
    """The law or result stored in ``text`` (by :func:`to_json`, an older layout, a 0.1 law)."""
    return from_dict(json.loads(text))
