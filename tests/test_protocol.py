"""The one result protocol (issue 12), checked on every public law and result type.

The types are found from ``chinchilla_laws.__all__``: a public dataclass added without
a factory here, or without the protocol, fails ``test_every_public_type_is_covered``.
Each factory builds a real instance from a small real computation; each instance goes
through ``as_dict`` -> strict JSON -> ``from_dict`` and must come back equal in every
field (arrays bit for bit, NaN positions, dtypes and shapes included), and through
``to_json`` / ``from_json`` the same.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import functools
import json
import math
import pickle
import warnings
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

import numpy as np
import pytest

import chinchilla_laws as cl
from chinchilla_laws.result import Result
from chinchilla_laws.schedules import constant, cosine, two_stage
from chinchilla_laws.serialize import from_dict, from_json, to_dict, to_json

EXCLUDED = {
    # input data, not results: their ``as_dict()`` gives columns for a DataFrame
    "Runs": "input data",
    "Sweep": "input data",
    "Curves": "input data",
}
RESULTS = {
    "ParametricFit", "ParametricBootstrap", "IsoFLOPResult", "EnvelopeResult",
    "PowerLawBootstrap", "MultiPowerFit", "MultiPowerBootstrap", "DownstreamErrorFit",
    "Profile", "Backtest", "RollingBacktest", "ComputeMultiplier", "OptimizedSchedule",
    "IsoFLOPBias", "JointBootstrap",
}  # fmt: skip
"""Types that must have the full result protocol (status, success, message, summary)."""

N, D = (a.ravel() for a in np.meshgrid(np.geomspace(1e8, 1e10, 5), np.geomspace(2e9, 2e11, 5)))
STARTS = cl.paper_grid()[::300]


def _noisy(seed: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return cl.HOFFMANN_2022_TEX.loss(N, D) * np.exp(0.01 * rng.standard_normal(N.size))


def _sweep() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    budgets = np.geomspace(1e18, 1e21, 4)
    n = np.concatenate([np.geomspace(1e8, 1e11, 9) * (c / 1e20) ** 0.5 for c in budgets])
    c = np.repeat(budgets, 9)
    d = c / (6 * n)
    rng = np.random.default_rng(1)
    return n, d, cl.HOFFMANN_2022_TEX.loss(n, d) * np.exp(0.002 * rng.standard_normal(n.size))


def _curves() -> list[cl.LossCurve]:
    scheds = {
        "cos": cosine(4000, peak=3e-4, final=3e-5, warmup=300),
        "const": constant(4000, peak=3e-4, warmup=300),
        "two": two_stage(3000, peak=3e-4, switch_step=1500, second=3e-5, warmup=300),
    }
    rng = np.random.default_rng(3)
    out = []
    for name, eta in scheds.items():
        steps = np.arange(320, eta.size, 64)
        loss = cl.LUO_2025_100M.loss(eta, steps) * np.exp(2e-3 * rng.standard_normal(steps.size))
        out.append(cl.LossCurve(name=name, steps=steps, loss=loss, schedule=eta))
    return out


def _envelope() -> cl.EnvelopeResult:
    cur = cl.synthetic_curves(rng=0, points_per_run=20)
    return cl.envelope(cur.run_id, cur.n_params, cur.n_tokens, cur.loss, n_grid=60)


@functools.cache
def _fit() -> cl.ParametricFit:
    return cl.fit_parametric(N, D, _noisy(), starts=STARTS, fixed={"E": 1.7})


@functools.cache
def _isoflop() -> cl.IsoFLOPResult:
    return cl.isoflop_minima(*_sweep())


@functools.cache
def _multi_power_fit() -> cl.MultiPowerFit:
    return cl.fit_multi_power(_curves(), fixed={"gamma": 0.5, "C": 3.0})


@functools.cache
def _boot() -> cl.ParametricBootstrap:
    return cl.bootstrap_parametric(N, D, _noisy(), n_resamples=6, rng=0, starts=STARTS)


@functools.cache
def _design() -> cl.IsoFLOPDesign:
    return cl.design_isoflop([1e18, 1e19, 1e20], cl.HOFFMANN_2022_TEX, n_sims=8, rng=2)


def _backtest_runs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    n = np.exp(rng.uniform(np.log(1e8), np.log(1e10), 40))
    d = np.exp(rng.uniform(np.log(2e9), np.log(2e11), 40))
    return n, d, cl.HOFFMANN_2022_TEX.loss(n, d) * np.exp(0.005 * rng.standard_normal(40))


def _downstream() -> cl.DownstreamErrorFit:
    lo = np.linspace(2.2, 3.5, 12)
    return cl.fit_downstream_error(lo, cl.GADRE_2024_DOWNSTREAM.error(lo))


def _profile() -> cl.Profile:
    fit = cl.fit_parametric(N, D, _noisy(), starts=STARTS)
    return cl.profile_objective(N, D, _noisy(), param="E", values=[1.5, 1.69, 1.9], fit=fit)


def _compute_multiplier() -> cl.ComputeMultiplier:
    budgets = np.geomspace(1e18, 1e22, 6)
    base = cl.SaturatingPowerLaw(E=1.7, A=3e3, alpha=0.18)
    return cl.compute_multiplier(budgets, base.loss(budgets), budgets[1:4],
                                 base.loss(2.0 * budgets[1:4]))  # fmt: skip


def _joint_law() -> cl.JointLaw:
    slow = cl.ChinchillaLaw(E=1.8, A=400.0, B=410.0, alpha=0.34, beta=0.28)
    fast = cl.ChinchillaLaw(E=1.8, A=250.0, B=300.0, alpha=0.34, beta=0.28)
    groups = [{"n_params": N, "n_tokens": D, "loss": law.loss(N, D)} for law in (slow, fast)]
    fit = cl.fit_joint("chinchilla", groups, shared=("E", "alpha", "beta"),
                       starts=cl.paper_grid()[::100], warn=False)  # fmt: skip
    law: cl.JointLaw = fit.law
    return law


def _joint_boot() -> cl.JointBootstrap:
    c = np.geomspace(1e18, 1e21, 6)
    base = cl.SaturatingPowerLaw(E=1.8, A=2.0e3, alpha=0.16)
    groups = [{"compute": c, "loss": base.loss(m * c)} for m in (1.0, 2.5)]
    return cl.bootstrap_joint("saturating", groups, shared=("E", "alpha"), n_resamples=4, rng=0)


FACTORIES: dict[str, Callable[[], Any]] = {
    # laws
    "ChinchillaLaw": lambda: cl.BESIROGLU_2024,
    "KaplanLaw": lambda: cl.KAPLAN_2020,
    "DataConstrainedLaw": lambda: cl.MUENNIGHOFF_2023,
    "OverTrainingLaw": lambda: cl.GADRE_2024,
    "SaturatingPowerLaw": lambda: cl.SaturatingPowerLaw(E=1.7, A=3e3, alpha=0.18, name="s"),
    "MultiPowerLaw": lambda: cl.LUO_2025_400M,
    "DownstreamErrorLaw": lambda: cl.GADRE_2024_DOWNSTREAM,
    "JointLaw": _joint_law,
    "PowerLaw": lambda: _isoflop().n_params_law,
    # results
    "ParametricFit": _fit,
    "ParametricBootstrap": _boot,
    "JointBootstrap": _joint_boot,
    "IsoFLOPResult": _isoflop,
    "IsoFLOPBias": lambda: cl.isoflop_bias(
        cl.HOFFMANN_2022_TEX, _sweep()[0], _sweep()[0] * _sweep()[1] * 6
    ),
    "EnvelopeResult": _envelope,
    "PowerLawBootstrap": lambda: cl.bootstrap_isoflop(*_sweep(), n_resamples=5, rng=0),
    "MultiPowerFit": _multi_power_fit,
    "MultiPowerBootstrap": lambda: cl.bootstrap_multi_power(
        _curves(),
        n_resamples=3,
        block_length=5,
        rng=1,
        fit=_multi_power_fit(),
        fixed={"gamma": 0.5, "C": 3.0},
    ),
    "DownstreamErrorFit": _downstream,
    "Profile": _profile,
    "Backtest": lambda: cl.backtest(*_backtest_runs(), split=30, starts=STARTS),
    "RollingBacktest": lambda: cl.rolling_backtest(
        *_backtest_runs(), splits=2, min_train=25, min_test=5, starts=STARTS
    ),
    "ComputeMultiplier": _compute_multiplier,
    "OptimizedSchedule": lambda: cl.optimize_schedule(
        cl.LUO_2025_25M, 600, warmup=60, peak=3e-4, max_iter=50
    ),
    # records
    "Frontier": lambda: cl.HOFFMANN_2022_TEX.optimal([1e20, 1e22]),
    "DataConstrainedFrontier": lambda: cl.MUENNIGHOFF_2023.optimal(
        [1e20, 1e22], unique_tokens=25e9
    ),
    "FrontierBand": lambda: _boot().frontier([1e20, 1e22]),
    "IsoFLOPBudget": lambda: _isoflop().budgets[0],
    "VertexEstimates": lambda: cl.vertex_estimates(
        np.linspace(-1, 1, 7), np.array([(np.linspace(-1, 1, 7) - s) ** 2 for s in (0.1, 2.0)])
    ),
    "LossCurve": lambda: _curves()[0],
    "CurveErrors": lambda: cl.prediction_errors(cl.LUO_2025_100M, _curves()),
    "TransformerShape": lambda: cl.TABLE_A4_SHAPES[0],
    "InferenceOptimal": lambda: cl.inference_optimal(
        cl.HOFFMANN_2022_TEX, [2.05, 2.1], [1e11, 1e12]
    ),
    "IsoFLOPDesign": _design,
    "EstimatorForecast": lambda: _design().forecasts["parabola"],
    "IsoFLOPPlan": lambda: cl.design_isoflop_for_se(
        0.05,
        cl.HOFFMANN_2022_TEX,
        n_sims=8,
        rng=2,
        max_budgets=4,
        max_sizes=7,
        estimators="parabola",
    ),
}


def _public_dataclasses() -> list[type]:
    out = []
    for name in sorted(cl.__all__):
        obj = getattr(cl, name)
        if isinstance(obj, type) and dataclasses.is_dataclass(obj):
            out.append(obj)
    return out


PUBLIC = _public_dataclasses()
COVERED = [c for c in PUBLIC if c.__name__ not in EXCLUDED]


@functools.cache
def _instance(name: str) -> Any:
    # warnings from the small factories (few resamples, flagged budgets) are not the point
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.ChinchillaWarning)
        return FACTORIES[name]()


def assert_same(a: Any, b: Any, where: str = "obj") -> None:
    """``b`` equals ``a`` in every field, recursively; arrays bit for bit with dtype and shape."""
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray), f"{where}: {type(b).__name__}, not an array"
        assert b.dtype == a.dtype, f"{where}: dtype {b.dtype} != {a.dtype}"
        assert b.shape == a.shape, f"{where}: shape {b.shape} != {a.shape}"
        if a.dtype == object:
            for i, (x, y) in enumerate(zip(a.ravel(), b.ravel(), strict=True)):
                assert_same(x, y, f"{where}[{i}]")
        else:
            assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), f"{where}: values differ"
            if a.dtype.kind == "f":  # inf keeps its sign, NaN stays NaN (not inf)
                assert np.array_equal(np.isnan(a), np.isnan(b)), f"{where}: NaN positions"
                assert np.array_equal(np.signbit(a), np.signbit(b)), f"{where}: signs"
        assert not b.flags.writeable, f"{where}: restored array is writable"
        return
    if isinstance(a, enum.Enum):
        assert b is a, f"{where}: {b!r} is not {a!r}"
        return
    if dataclasses.is_dataclass(a):
        assert type(b) is type(a), f"{where}: {type(b).__name__} is not {type(a).__name__}"
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
        return
    if isinstance(a, (bool, np.bool_)):
        assert isinstance(b, (bool, np.bool_)) and bool(b) == bool(a), f"{where}: {b!r} != {a!r}"
        return
    if isinstance(a, (int, np.integer)):
        assert isinstance(b, (int, np.integer)) and not isinstance(b, bool), f"{where}: {b!r}"
        assert int(b) == int(a), f"{where}: {b!r} != {a!r}"
        return
    if isinstance(a, (float, np.floating)):
        assert isinstance(b, (float, np.floating)), f"{where}: {b!r} is not a float"
        fa, fb = float(a), float(b)
        assert fa == fb or (math.isnan(fa) and math.isnan(fb)), f"{where}: {fb!r} != {fa!r}"
        assert math.copysign(1, fa) == math.copysign(1, fb), f"{where}: sign of {fa!r}"
        return
    if isinstance(a, tuple):
        assert isinstance(b, tuple), f"{where}: {type(b).__name__}, not a tuple"
        assert len(b) == len(a), f"{where}: length"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
        return
    if isinstance(a, list):
        assert isinstance(b, list) and len(b) == len(a), f"{where}: {b!r}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
        return
    if isinstance(a, Mapping):
        assert isinstance(b, Mapping), f"{where}: {type(b).__name__}, not a mapping"
        # read-only, fresh as restored (results are frozen all the way down)
        assert not isinstance(a, MutableMapping), f"{where}: fresh mapping is writable"
        assert not isinstance(b, MutableMapping), f"{where}: restored mapping is writable"
        assert list(b) == list(a), f"{where}: keys {list(b)} != {list(a)}"
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
        return
    assert type(b) is type(a) and b == a, f"{where}: {b!r} != {a!r}"


# ---------------------------------------------------------------------- coverage
def test_every_public_type_is_covered() -> None:
    names = {c.__name__ for c in PUBLIC}
    assert set(EXCLUDED) <= names, "an excluded type is no longer public: drop it here"
    missing = sorted(c.__name__ for c in COVERED if c.__name__ not in FACTORIES)
    assert not missing, f"public types without a factory in this test: {missing}"
    assert names >= RESULTS
    without = sorted(
        c.__name__ for c in COVERED if not all(hasattr(c, m) for m in ("as_dict", "from_dict"))
    )
    assert not without, f"public types without as_dict/from_dict: {without}"
    display = sorted(c.__name__ for c in COVERED if not hasattr(c, "_repr_markdown_"))
    assert not display, f"public types without notebook display: {display}"
    not_results = sorted(n for n in RESULTS if not issubclass(getattr(cl, n), Result))
    assert not not_results, f"result types without the Result protocol: {not_results}"


# ---------------------------------------------------------------------- round trips
@pytest.mark.parametrize("cls", COVERED, ids=lambda c: c.__name__)
def test_round_trip_through_strict_json(cls: type) -> None:
    obj = _instance(cls.__name__)
    assert type(obj) is cls
    data = obj.as_dict()
    assert isinstance(data["format"], str) and data["format"].startswith("chinchilla_laws.")
    assert isinstance(data["version"], int)
    text = json.dumps(data, allow_nan=False)
    back = cls.from_dict(json.loads(text))
    assert_same(obj, back)
    assert_same(obj, from_json(to_json(obj)))
    assert_same(obj, from_dict(json.loads(text)))
    # and the restored object stores the same dict again
    assert json.dumps(back.as_dict(), allow_nan=False) == text


@pytest.mark.parametrize("cls", COVERED, ids=lambda c: c.__name__)
def test_pickled_and_copied_objects_stay_read_only(cls: type) -> None:
    obj = _instance(cls.__name__)
    for back in (pickle.loads(pickle.dumps(obj)), copy.deepcopy(obj), copy.copy(obj)):
        assert_same(obj, back)  # arrays and mappings read-only, as in the original


@pytest.mark.parametrize("cls", COVERED, ids=lambda c: c.__name__)
def test_display(cls: type) -> None:
    obj = _instance(cls.__name__)
    text = repr(obj)
    md = obj._repr_markdown_()
    assert isinstance(text, str) and isinstance(md, str) and md
    assert "\n" not in text or cls.__name__ in ("Frontier", "DataConstrainedFrontier")
    if cls.__name__ in RESULTS:
        assert isinstance(obj.status, enum.Enum)
        assert isinstance(obj.success, bool)
        assert isinstance(obj.message, str) and obj.message and "\n" not in obj.message
        summary = obj.summary()
        assert obj.status.name in summary, summary
        assert obj.status.name in text, text
        assert obj.status.name in md
        # rendered by chinchilla_laws.report, not by a method of the class
        assert cls.__repr__ is Result.__repr__, f"{cls.__name__} defines its own __repr__"
        data = obj.as_dict()
        assert data["success"] == obj.success and data["message"] == obj.message


# ---------------------------------------------------------------------- refusals
@pytest.mark.parametrize("cls", COVERED, ids=lambda c: c.__name__)
def test_from_dict_refuses_other_kinds_versions_and_missing_keys(cls: type) -> None:
    obj = _instance(cls.__name__)
    data = obj.as_dict()
    other = cl.GADRE_2024_DOWNSTREAM if cls is not cl.DownstreamErrorLaw else cl.KAPLAN_2020
    with pytest.raises(ValueError, match="`data`"):
        cls.from_dict(other.as_dict())
    with pytest.raises(ValueError, match="has version 99"):
        cls.from_dict({**data, "version": 99})
    with pytest.raises(TypeError, match="`data` must be a mapping"):
        cls.from_dict([data])
    if data["format"] != "chinchilla_laws.law":
        key = next(k for k in data if k not in ("format", "version"))
        broken = {k: v for k, v in data.items() if k != key}
        if any(
            f.name == key
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
            for f in dataclasses.fields(cls)
        ):
            with pytest.raises(ValueError, match=rf"lacks the keys \['{key}'\]"):
                cls.from_dict(broken)
        with pytest.raises(ValueError, match=r"has keys \['bogus'\]"):
            cls.from_dict({**data, "bogus": 1})


def test_law_of_another_family_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'kaplan' family, not 'chinchilla'"):
        cl.ChinchillaLaw.from_dict(cl.KAPLAN_2020.as_dict())
    with pytest.raises(ValueError, match="'chinchilla' family, not a MultiPowerLaw"):
        cl.MultiPowerLaw.from_dict(cl.BESIROGLU_2024.as_dict())


# ---------------------------------------------------------------------- the codec itself
def test_codec_keeps_nan_inf_signs_tuples_and_dtypes() -> None:
    fr = cl.Frontier(
        compute=np.array([1.0, 2.0, 3.0, 4.0, 5.0]),
        n_params=np.array([np.nan, np.inf, -np.inf, -0.0, 1e-300]),
        n_tokens=np.array([1.0, 2.0, 3.0, 4.0, 5.0], dtype=np.float32).astype(np.float64),
        loss=np.full(5, np.nan),
    )
    data = json.loads(json.dumps(fr.as_dict(), allow_nan=False))
    assert data["n_params"]["__ndarray__"][:3] == ["nan", "inf", "-inf"]
    assert_same(fr, cl.Frontier.from_dict(data))
    law = cl.PowerLaw(coefficient=2.0, exponent=0.5, log_coefficient_se=math.nan,
                      exponent_se=-math.inf, covariance=np.full((2, 2), np.nan),
                      n_points=2)  # fmt: skip
    data = json.loads(json.dumps(law.as_dict(), allow_nan=False))
    assert data["log_coefficient_se"] == {"__float__": "nan"}
    assert data["exponent_se"] == {"__float__": "-inf"}
    assert_same(law, cl.PowerLaw.from_dict(data))
    # tuples come back as tuples, enums as the same members, int arrays as int64
    budget = _instance("IsoFLOPBudget")
    data = json.loads(json.dumps(budget.as_dict()))
    assert data["coefficients"]["__tuple__"] and data["status"]["__enum__"] == "IsoFLOPStatus"
    back = cl.IsoFLOPBudget.from_dict(data)
    assert isinstance(back.knots, tuple) and isinstance(back.coefficients, tuple)
    assert back == budget
    iso = _instance("IsoFLOPResult")
    assert cl.IsoFLOPResult.from_dict(iso.as_dict()).run_budget.dtype == iso.run_budget.dtype


def test_object_arrays_keep_their_elements() -> None:
    # run ids of mixed Python types (an object column): inf stays a float, 1000 an int
    cur = cl.synthetic_curves(rng=0, points_per_run=20)
    first = list(dict.fromkeys(cur.run_id.tolist()))
    ids = {k: (i + 0.5 if i else math.inf) for i, k in enumerate(first)}
    ids[first[1]] = 1000
    run_id = np.empty(cur.run_id.size, dtype=object)
    run_id[:] = [ids[k] for k in cur.run_id.tolist()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.EnvelopeWarning)
        res = cl.envelope(run_id, cur.n_params, cur.n_tokens, cur.loss, n_grid=60)
    assert res.run_ids.dtype == object
    back = from_json(to_json(res))
    assert_same(res, back)
    assert back.run_ids[0] == math.inf and type(back.run_ids[1]) is int


def test_stored_mappings_refuse_reserved_keys_and_unstorable_values() -> None:
    bad = cl.PowerLawBootstrap(a=np.ones(2), b=np.ones(2), k_n=np.ones(2), k_d=np.ones(2),
                               estimate={"__tuple__": 1.0}, n_resamples=2, n_failed=0,
                               method="isoflop")  # fmt: skip
    with pytest.raises(TypeError, match=r"`PowerLawBootstrap.estimate` has the key '__tuple__'"):
        bad.as_dict()
    worse = cl.PowerLawBootstrap(a=np.ones(2), b=np.ones(2), k_n=np.ones(2), k_d=np.ones(2),
                                 estimate={"a": print}, n_resamples=2, n_failed=0,  # type: ignore[dict-item]
                                 method="isoflop")  # fmt: skip
    with pytest.raises(TypeError, match=r"`PowerLawBootstrap.estimate\['a'\]` holds"):
        worse.as_dict()
    with pytest.raises(TypeError, match="`obj` must be a law or a result"):
        to_dict(object())
    with pytest.raises(ValueError, match="not a format this library writes"):
        from_dict({"format": "chinchilla_laws.nothing", "version": 1})


def test_errors_in_nested_dicts_name_their_place() -> None:
    data = _instance("ParametricBootstrap").as_dict()
    del data["fit"]["objective"]
    with pytest.raises(ValueError, match=r"`data\['fit'\]` lacks the keys \['objective'\]"):
        cl.ParametricBootstrap.from_dict(data)
    data = _instance("IsoFLOPResult").as_dict()
    data["budgets"]["__tuple__"][1]["version"] = 5
    with pytest.raises(ValueError, match=r"`data\['budgets'\]\[1\]` has version 5"):
        cl.IsoFLOPResult.from_dict(data)
    data = _instance("IsoFLOPResult").as_dict()
    data["used"]["dtype"] = "<c16"
    with pytest.raises(ValueError, match=r"`data\['used'\]` holds an array of dtype complex"):
        cl.IsoFLOPResult.from_dict(data)
    data["used"] = {"__ndarray__": [True], "dtype": "|b1", "shape": [4]}
    with pytest.raises(ValueError, match=r"`data\['used'\]` holds 1 values"):
        cl.IsoFLOPResult.from_dict(data)


def test_version_1_dicts() -> None:
    # a version-1 IsoFLOP report (no runs) is refused with a clear message
    with pytest.raises(ValueError, match=r"version-1 'chinchilla_laws\.isoflop' report"):
        from_dict({"format": "chinchilla_laws.isoflop", "version": 1, "a": 0.5})


def test_optimal_returns_a_frontier() -> None:
    iso = _instance("IsoFLOPResult")
    fr = iso.optimal([1e20, 1e22])
    assert isinstance(fr, cl.Frontier)
    np.testing.assert_array_equal(fr.n_params, iso.n_params_law([1e20, 1e22]))
    np.testing.assert_array_equal(fr.n_tokens, iso.n_tokens_law([1e20, 1e22]))
    assert np.isnan(fr.loss).all()
    env = _instance("EnvelopeResult")
    fe = env.optimal(1e20)
    assert isinstance(fe, cl.Frontier) and fe.compute.tolist() == [1e20]
    np.testing.assert_array_equal(fe.n_params, env.n_params_law([1e20]))
    np.testing.assert_array_equal(fe.n_tokens, env.n_tokens_law([1e20]))


# ---------------------------------------------------------------------- success means one thing
@pytest.mark.parametrize("name", sorted(RESULTS))
def test_success_is_the_first_member_of_the_status_enum(name: str) -> None:
    cls = getattr(cl, name)
    # no result redefines ``success``: it is the protocol's, from ``status`` alone
    owner = next(c for c in cls.__mro__ if "success" in vars(c))
    assert owner is Result, f"{name} defines its own `success` ({owner.__name__})"
    obj = _instance(name)
    members = list(type(obj.status))
    assert obj.success is (obj.status is members[0])
    if "status" in {f.name for f in dataclasses.fields(cls)}:
        for member in members:
            other = dataclasses.replace(obj, status=member)
            assert other.success is (member is members[0]), (name, member)


def test_profile_success_is_its_status_and_refit_convergence_has_its_own_name() -> None:
    prof = _instance("Profile")
    n = prof.values.size
    determined = dataclasses.replace(prof, status=cl.ProfileStatus.DETERMINED)
    flat = dataclasses.replace(prof, status=cl.ProfileStatus.FLAT)
    assert determined.success and not flat.success
    failed = np.zeros(n, dtype=np.int64)
    failed[1] = 1
    with_failure = dataclasses.replace(determined, fit_status=failed)
    assert with_failure.success and not with_failure.refits_converged
    assert with_failure.message.endswith(f"1 of {n} refits did not converge")
    clean = dataclasses.replace(determined, fit_status=np.zeros(n, dtype=np.int64))
    assert clean.refits_converged and clean.message == cl.ProfileStatus.DETERMINED.value


# ---------------------------------------------------------------------- read-only mappings
@pytest.mark.parametrize(
    ("name", "field", "key"),
    [("ParametricFit", "fixed", "E"), ("MultiPowerFit", "fixed", "gamma"),
     ("OptimizedSchedule", "baselines", "cosine"), ("IsoFLOPDesign", "forecasts", "parabola"),
     ("PowerLawBootstrap", "estimate", "a")],
)  # fmt: skip
def test_mapping_fields_are_read_only_fresh_restored_and_copied(
    name: str, field: str, key: str
) -> None:
    fresh = _instance(name)
    restored = type(fresh).from_dict(json.loads(json.dumps(fresh.as_dict())))
    pickled = pickle.loads(pickle.dumps(restored))
    for obj in (fresh, restored, pickled, copy.deepcopy(fresh)):
        mapping = getattr(obj, field)
        assert key in mapping and list(mapping) == list(getattr(fresh, field))
        with pytest.raises(TypeError):
            mapping[key] = 0.0  # type: ignore[index]
        with pytest.raises(AttributeError):
            mapping.clear()  # type: ignore[attr-defined]
        assert_same(fresh, obj)
    # a plain dict handed to the constructor is copied, not held: the caller's later
    # edits do not reach the result
    given = dict(getattr(fresh, field))
    made = dataclasses.replace(fresh, **{field: given})
    given["bogus"] = given[key]
    assert "bogus" not in getattr(made, field)
    assert repr(getattr(made, field)) == repr(dict(getattr(fresh, field)))
