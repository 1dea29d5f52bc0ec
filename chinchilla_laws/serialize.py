"""Plain-dict and JSON forms of laws and fits, readable without this library's internals.

A law is stored as::

    {"format": "chinchilla_laws.law", "version": 1, "family": "chinchilla",
     "name": "...", "params": {"E": 1.8, "A": 482.0, ...}, ...derived values...}

For Chinchilla laws the parameters (and the derived ``a``, ``b``, ``G``) are also
written at the top level, as version 0.1 wrote them, so that older readers keep
working; :func:`law_from_dict` reads both forms, and a dict without ``family`` or
``version`` is a version-0.1 Chinchilla law. Fits are stored with their law, status,
objective, tolerances, constraints and per-start arrays (lists; non-finite numbers
as ``null``), so that ``json.dumps`` of the dict is strict JSON. A parametric
bootstrap is stored with its fit and every resample's arrays. IsoFLOP and envelope
results are stored as reports (``format`` ``chinchilla_laws.isoflop`` /
``chinchilla_laws.envelope``) that are not read back. Every dict names its kind in
``format``; readers refuse a dict of another kind.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._validation import _describe
from .family import get_family

__all__ = [
    "bootstrap_from_dict",
    "bootstrap_to_dict",
    "envelope_to_dict",
    "fit_from_dict",
    "fit_to_dict",
    "from_json",
    "isoflop_to_dict",
    "law_from_dict",
    "law_to_dict",
    "to_json",
]

LAW_FORMAT = "chinchilla_laws.law"
FIT_FORMAT = "chinchilla_laws.fit"
BOOTSTRAP_FORMAT = "chinchilla_laws.bootstrap"
ISOFLOP_FORMAT = "chinchilla_laws.isoflop"
ENVELOPE_FORMAT = "chinchilla_laws.envelope"
VERSION = 1
"""Version of the dict layout written here (version-0.1 files had no version field)."""


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def law_to_dict(law: Any) -> dict[str, Any]:
    """A law as a plain dict of floats and strings (see the module docstring)."""
    fam = law.family
    params = {k: float(v) for k, v in law.params.items()}
    out: dict[str, Any] = {
        "format": LAW_FORMAT,
        "version": VERSION,
        "family": fam.name,
        "name": law.name,
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


def _array(a: np.ndarray) -> list[Any]:
    if a.dtype.kind == "f":
        return [None if not math.isfinite(v) else v for v in a.ravel().tolist()]
    return a.ravel().tolist()


_FIT_ARRAYS = (
    "theta",
    "grad",
    "start_thetas",
    "end_thetas",
    "start_objectives",
    "start_grad_norms",
    "start_nit",
    "start_nfev",
    "start_status",
)


def fit_to_dict(fit: Any) -> dict[str, Any]:
    """A :class:`~chinchilla_laws.ParametricFit` as a plain, JSON-ready dict."""
    out: dict[str, Any] = {
        "format": FIT_FORMAT,
        "version": VERSION,
        "family": fit.family,
        "law": law_to_dict(fit.law),
        "status": fit.status.name,
        "message": fit.message,
        "success": fit.success,
    }
    for key in ("objective", "grad_norm", "gtol", "delta"):
        out[key] = _num(getattr(fit, key))
    for key in (
        "on_grid_boundary",
        "best_start",
        "n_points",
        "n_starts",
        "n_converged",
        "n_abandoned",
        "nit",
        "nfev",
        "reduction",
        "backend",
        "weighted",
    ):
        out[key] = getattr(fit, key)
    out["free"] = list(fit.free)
    out["fixed"] = dict(fit.fixed)
    out["tied"] = [list(g) for g in fit.tied]
    out["notes"] = list(fit.notes)
    P = len(fit.theta)
    out["n_theta"] = P
    for key in _FIT_ARRAYS:
        out[key] = _array(np.asarray(getattr(fit, key)))
    return out


def _check_format(data: Any, fmt: str, what: str) -> None:
    if not isinstance(data, Mapping):
        raise TypeError(f"`data` must be a mapping; got {_describe(data)}.")
    if data.get("format") != fmt:
        raise ValueError(f"`data` does not hold {what} ({fmt!r}); it holds {data.get('format')!r}.")
    if data.get("version") != VERSION:
        raise ValueError(f"`data` has version {data.get('version')!r}; expected {VERSION}.")


def fit_from_dict(data: Mapping[str, Any]) -> Any:
    """The :class:`~chinchilla_laws.ParametricFit` stored by :func:`fit_to_dict`."""
    from .parametric import FitStatus, ParametricFit

    _check_format(data, FIT_FORMAT, "a fit")
    law = law_from_dict(data["law"])
    P = int(data["n_theta"])

    def arr(key: str, dtype: Any, shape: tuple[int, ...]) -> np.ndarray:
        values = [math.nan if v is None else v for v in data[key]]
        return np.asarray(values, dtype=dtype).reshape(shape)

    S = int(data["n_starts"])

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


def bootstrap_to_dict(boot: Any) -> dict[str, Any]:
    """A :class:`~chinchilla_laws.ParametricBootstrap` as a plain, JSON-ready dict.

    Holds the full-data fit (as :func:`fit_to_dict`) and every resample's ``theta``,
    objective, status and weights, so :func:`bootstrap_from_dict` restores it whole.
    """
    R = int(boot.thetas.shape[0])
    return {
        "format": BOOTSTRAP_FORMAT,
        "version": VERSION,
        "fit": fit_to_dict(boot.fit),
        "scheme": boot.scheme,
        "fraction": _num(boot.fraction),
        "n_resamples": int(boot.n_resamples),
        "n_failed": int(boot.n_failed),
        "success": bool(boot.success),
        "message": boot.message,
        "n_rows": R,
        "thetas": _array(np.asarray(boot.thetas)),
        "objectives": _array(np.asarray(boot.objectives)),
        "status": _array(np.asarray(boot.status)),
        "weights": _array(np.asarray(boot.weights)),
    }


def bootstrap_from_dict(data: Mapping[str, Any]) -> Any:
    """The :class:`~chinchilla_laws.ParametricBootstrap` stored by :func:`bootstrap_to_dict`."""
    from .bootstrap import ParametricBootstrap

    _check_format(data, BOOTSTRAP_FORMAT, "a parametric bootstrap")
    fit = fit_from_dict(data["fit"])
    R = int(data["n_rows"])

    def arr(key: str, dtype: Any) -> np.ndarray:
        values = [math.nan if v is None else v for v in data[key]]
        return np.asarray(values, dtype=dtype).reshape(R, -1) if R else np.empty((0, 0), dtype)

    fraction = data["fraction"]
    return ParametricBootstrap(
        fit=fit,
        thetas=arr("thetas", np.float64),
        objectives=arr("objectives", np.float64).reshape(R),
        status=arr("status", np.int64).reshape(R),
        weights=arr("weights", np.float64),
        n_resamples=int(data["n_resamples"]),
        n_failed=int(data["n_failed"]),
        scheme=str(data["scheme"]),
        fraction=math.nan if fraction is None else float(fraction),
    )


def isoflop_to_dict(res: Any) -> dict[str, Any]:
    """An :class:`~chinchilla_laws.IsoFLOPResult` as a plain, JSON-ready dict.

    A report of the result (per-budget minima, power laws, status), not its whole
    state: the runs and fitted curves are not stored, so there is no ``from_dict``.
    """
    from .report import isoflop_payload, jsonable

    payload: dict[str, Any] = jsonable(isoflop_payload(res))
    return {"format": ISOFLOP_FORMAT, "version": VERSION, "message": res.message, **payload}


def envelope_to_dict(res: Any) -> dict[str, Any]:
    """An :class:`~chinchilla_laws.EnvelopeResult` as a plain, JSON-ready dict.

    A report of the result (power laws, run counts, status), not the per-grid-point
    arrays, so there is no ``from_dict``.
    """
    from .report import envelope_payload, jsonable

    payload: dict[str, Any] = jsonable(envelope_payload(res))
    return {"format": ENVELOPE_FORMAT, "version": VERSION, **payload}


def to_json(obj: Any, **kwargs: Any) -> str:
    """Strict JSON of a law or a result (``json.dumps`` of its ``as_dict()``)."""
    return json.dumps(obj.as_dict(), allow_nan=False, **kwargs)


def from_json(text: str) -> Any:
    """The law, fit or bootstrap stored in ``text`` (by :func:`to_json`, or a 0.1 law file)."""
    data = json.loads(text)
    fmt = data.get("format") if isinstance(data, Mapping) else None
    if fmt == FIT_FORMAT:
        return fit_from_dict(data)
    if fmt == BOOTSTRAP_FORMAT:
        return bootstrap_from_dict(data)
    if fmt in (ISOFLOP_FORMAT, ENVELOPE_FORMAT):
        raise ValueError(f"`text` holds {fmt!r}, a report that cannot be loaded back.")
    return law_from_dict(data)
