"""as_dict / from_dict / JSON for laws and fits, and the notebook display."""

from __future__ import annotations

import dataclasses
import enum
import json
import math

import numpy as np
import pytest

import chinchilla_laws as cl
from chinchilla_laws import serialize
from chinchilla_laws.serialize import from_dict, from_json, law_from_dict, to_dict, to_json

LAWS = [cl.BESIROGLU_2024, cl.KAPLAN_2020, cl.SaturatingPowerLaw(E=1.7, A=3e3, alpha=0.18)]


@pytest.mark.parametrize("law", LAWS, ids=lambda law: law.family.name)
def test_law_round_trip_is_exact(law) -> None:
    data = law.as_dict()
    assert data["family"] == law.family.name and data["version"] == 1
    back = type(law).from_dict(json.loads(json.dumps(data)))
    assert back == law and back.name == law.name
    # every parameter bit for bit (JSON keeps float64 exactly through repr)
    assert back.params == law.params
    assert from_json(to_json(law)) == law


def test_version_01_law_files_stay_readable() -> None:
    # what version 0.1 wrote: parameters and derived values at the top level, no version
    old = {"name": "x", "E": 1.8, "A": 400.0, "B": 410.0, "alpha": 0.34, "beta": 0.28,
           "a": 0.45, "b": 0.55, "G": 0.3}  # fmt: skip
    law = cl.ChinchillaLaw.from_dict(old)
    assert law == cl.ChinchillaLaw(E=1.8, A=400.0, B=410.0, alpha=0.34, beta=0.28)
    assert law.name == "x"
    # and the new layout still carries the old keys for old readers
    new = law.as_dict()
    assert all(new[k] == old[k] for k in ("E", "A", "B", "alpha", "beta"))


def test_from_dict_refuses_other_families_and_versions() -> None:
    with pytest.raises(ValueError, match="law of the 'kaplan' family, not 'chinchilla'"):
        cl.ChinchillaLaw.from_dict(cl.KAPLAN_2020.as_dict())
    bad = cl.BESIROGLU_2024.as_dict()
    bad["version"] = 7
    with pytest.raises(ValueError, match="has version 7"):
        cl.ChinchillaLaw.from_dict(bad)
    with pytest.raises(ValueError, match="lacks the parameters"):
        cl.KaplanLaw.from_dict({"family": "kaplan", "params": {"alpha_N": 0.1}})
    with pytest.raises(TypeError, match="`data` must be a mapping"):
        cl.ChinchillaLaw.from_dict([1.0, 2.0])


def test_fit_round_trip_through_strict_json() -> None:
    n, d = (a.ravel() for a in np.meshgrid(np.geomspace(1e8, 1e10, 5), np.geomspace(2e9, 2e11, 5)))
    loss = cl.HOFFMANN_2022_TEX.loss(n, d) * 1.01
    fit = cl.fit_parametric(n, d, loss, starts=cl.paper_grid()[::50], fixed={"E": 1.7})
    text = to_json(fit)  # allow_nan=False: strict JSON
    back = from_json(text)
    assert isinstance(back, cl.ParametricFit)
    assert back.law == fit.law and back.status is fit.status
    assert back.objective == fit.objective and back.fixed == {"E": 1.7}
    np.testing.assert_array_equal(back.start_thetas, fit.start_thetas)
    np.testing.assert_array_equal(back.start_status, fit.start_status)
    assert back.summary() == fit.summary()


def test_markdown_display() -> None:
    md = cl.KAPLAN_2020._repr_markdown_()
    assert "| alpha_N | 0.076 |" in md and "N_c" in md
    n, d = (a.ravel() for a in np.meshgrid(np.geomspace(1e8, 1e10, 5), np.geomspace(2e9, 2e11, 5)))
    fit = cl.fit_parametric(n, d, cl.HOFFMANN_2022_TEX.loss(n, d), starts=cl.paper_grid()[::50],
                            tied=[("alpha", "beta")], warn=False)  # fmt: skip
    md = fit._repr_markdown_()
    assert "tied: alpha = beta" in md and fit.status.name in md


def test_bootstraps_speak_the_result_protocol() -> None:
    n, d = (a.ravel() for a in np.meshgrid(np.geomspace(1e8, 1e10, 5), np.geomspace(2e9, 2e11, 5)))
    rng = np.random.default_rng(5)
    loss = cl.HOFFMANN_2022_TEX.loss(n, d) * np.exp(0.01 * rng.standard_normal(n.size))
    boot = cl.bootstrap_parametric(n, d, loss, n_resamples=10, rng=0,
                                   starts=cl.paper_grid()[::300])  # fmt: skip
    assert boot.success == (boot.n_failed == 0)
    assert boot.message.startswith(f"{10 - boot.n_failed} of 10 resamples converged")


def _boot() -> cl.ParametricBootstrap:
    n, d = (a.ravel() for a in np.meshgrid(np.geomspace(1e8, 1e10, 5), np.geomspace(2e9, 2e11, 5)))
    rng = np.random.default_rng(5)
    loss = cl.HOFFMANN_2022_TEX.loss(n, d) * np.exp(0.01 * rng.standard_normal(n.size))
    return cl.bootstrap_parametric(n, d, loss, n_resamples=10, rng=0,
                                   starts=cl.paper_grid()[::300])  # fmt: skip


def test_bootstrap_round_trip_keeps_every_field() -> None:
    import dataclasses

    boot = _boot()
    data = json.loads(to_json(boot))
    assert data["format"] == "chinchilla_laws.bootstrap" and data["version"] == 2
    back = from_json(json.dumps(data))
    assert isinstance(back, cl.ParametricBootstrap)
    for f in dataclasses.fields(cl.ParametricBootstrap):
        a, b = getattr(boot, f.name), getattr(back, f.name)
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(b, a, err_msg=f.name)
            assert b.dtype == a.dtype and b.shape == a.shape, f.name
        elif f.name == "fit":
            assert b.law == a.law and b.summary() == a.summary()
            np.testing.assert_array_equal(b.end_thetas, a.end_thetas)
        else:
            assert b == a or (b != b and a != a), f.name
    assert back.summary() == boot.summary()
    np.testing.assert_array_equal(back.ok_indices, boot.ok_indices)
    assert "```text" in boot._repr_markdown_() and "resamples" in boot._repr_markdown_()


def test_bootstrap_ok_indices_are_the_converged_resamples() -> None:
    boot = _boot()
    expected = np.flatnonzero(boot.resample_status == cl.StartStatus.CONVERGED)
    np.testing.assert_array_equal(boot.ok_indices, expected)
    assert not hasattr(boot, "ok")  # `ok` is a boolean elsewhere (IsoFLOPBudget.ok)


def test_result_dicts_refuse_other_kinds() -> None:
    boot = _boot()
    with pytest.raises(ValueError, match="does not hold a ParametricBootstrap"):
        cl.ParametricBootstrap.from_dict(boot.fit.as_dict())
    with pytest.raises(ValueError, match="does not hold a ParametricFit"):
        cl.ParametricFit.from_dict(boot.as_dict())
    bad = boot.as_dict()
    bad["version"] = 9
    with pytest.raises(ValueError, match="has version 9"):
        cl.ParametricBootstrap.from_dict(bad)
    with pytest.raises(TypeError, match="`data` must be a mapping"):
        cl.ParametricBootstrap.from_dict([1])


def test_isoflop_dicts_hold_the_whole_result() -> None:
    law = cl.HOFFMANN_2022_TEX
    budgets = np.geomspace(1e18, 1e21, 4)
    n = np.concatenate([np.geomspace(1e8, 1e11, 9) * (c / 1e20) ** 0.5 for c in budgets])
    c = np.repeat(budgets, 9)
    d = c / (6 * n)
    res = cl.isoflop_minima(n, d, law.loss(n, d))
    data = json.loads(to_json(res))
    assert data["format"] == "chinchilla_laws.isoflop" and data["version"] == 2
    assert data["success"] == res.success and data["message"] == res.message
    assert len(data["budgets"]["__tuple__"]) == len(res.budgets)
    back = from_json(json.dumps(data))
    assert [b.n_params for b in back.budgets] == [b.n_params for b in res.budgets]
    np.testing.assert_array_equal(back.run_budget, res.run_budget)
    assert back.summary() == res.summary() and back.a == res.a
    assert "IsoFLOP minima" in res._repr_markdown_()


V1_FIT = {
    "format": "chinchilla_laws.fit", "version": 1, "family": "chinchilla",
    "law": {"format": "chinchilla_laws.law", "version": 1, "family": "chinchilla", "name": "",
            "params": {"E": 1.7, "A": 400.0, "B": 410.0, "alpha": 0.34, "beta": 0.28}},
    "status": "SUCCESS", "message": "", "success": True, "objective": 1e-3,
    "grad_norm": 1e-9, "gtol": 1e-7, "delta": 1e-3, "on_grid_boundary": False,
    "best_start": 1, "n_points": 25, "n_starts": 2, "n_converged": 1, "n_abandoned": 0,
    "nit": 30, "nfev": 40, "reduction": "sum", "backend": "numba", "weighted": False,
    "free": ["A", "B", "alpha", "beta"], "fixed": {"E": 1.7}, "tied": [], "notes": [],
    "n_theta": 5, "theta": [6.0, 6.0, 0.5, 0.34, 0.28], "grad": [0.0, 0.0, 0.0, 0.0, 0.0],
    "start_thetas": [0.0] * 10, "end_thetas": [None] * 5 + [1.0] * 5,
    "start_objectives": [None, 1e-3], "start_grad_norms": [None, 1e-9],
    "start_nit": [3, 30], "start_nfev": [4, 40], "start_status": [3, 0],
}  # fmt: skip
"""A fit dict in the version-1 layout (plain lists, non-finite values as null)."""


def test_version_1_fit_and_bootstrap_dicts_stay_readable() -> None:
    fit = cl.ParametricFit.from_dict(json.loads(json.dumps(V1_FIT)))
    assert fit.law == cl.ChinchillaLaw(E=1.7, A=400.0, B=410.0, alpha=0.34, beta=0.28)
    assert fit.status is cl.FitStatus.SUCCESS and fit.fixed == {"E": 1.7}
    assert fit.end_thetas.shape == (2, 5) and np.isnan(fit.end_thetas[0]).all()
    assert fit.start_status.dtype == np.int64 and fit.start_status.tolist() == [3, 0]
    v1_boot = {
        "format": "chinchilla_laws.bootstrap", "version": 1, "fit": V1_FIT,
        "scheme": "resample", "fraction": 1.0, "n_resamples": 2, "n_failed": 1,
        "n_rows": 2, "thetas": [0.0] * 10, "objectives": [1.0, None], "status": [0, 3],
        "weights": [1.0, 1.0, 0.0, 2.0],
    }  # fmt: skip
    broken = {k: v for k, v in V1_FIT.items() if k != "nfev"}
    with pytest.raises(ValueError, match="`data` lacks the key 'nfev' of a version-1"):
        cl.ParametricFit.from_dict(broken)
    boot = from_json(json.dumps(v1_boot))
    assert isinstance(boot, cl.ParametricBootstrap)
    assert boot.resample_status.tolist() == [0, 3] and np.isnan(boot.objectives[1])
    assert boot.weights.shape == (2, 2) and boot.status is cl.BatchStatus.TOO_FEW


# ---------------------------------------------------------------------- the codec's edges
def _container(**estimate: object) -> cl.PowerLawBootstrap:
    """A result whose mapping field holds whatever a test needs stored."""
    return cl.PowerLawBootstrap(a=np.ones(2), b=np.ones(2), k_n=np.ones(2), k_d=np.ones(2),
                                estimate=estimate, n_resamples=2, n_failed=0,  # type: ignore[arg-type]
                                method="isoflop")  # fmt: skip


def test_lists_and_tuples_keep_their_tagged_values() -> None:
    res = _container(values=[1.0, math.inf, -math.inf, np.float64(2.5)], pair=(math.nan, 3))
    data = json.loads(json.dumps(res.as_dict(), allow_nan=False))
    assert data["estimate"]["values"] == [1.0, {"__float__": "inf"}, {"__float__": "-inf"}, 2.5]
    back = from_dict(data)
    assert back.estimate["values"] == [1.0, math.inf, -math.inf, 2.5]
    assert isinstance(back.estimate["pair"], tuple) and math.isnan(back.estimate["pair"][0])
    assert back.estimate["pair"][1] == 3 and type(back.estimate["pair"][1]) is int


def test_encoding_errors_name_the_place_and_the_value() -> None:
    cases = [
        (_container(items=[1.0, print]), r"`PowerLawBootstrap.estimate\['items'\]\[1\]` holds <"),
        (_container(pair=(1.0, print)), r"`PowerLawBootstrap.estimate\['pair'\]\[1\]` holds <"),
        (_container(format=1.0), r"has the key 'format'; stored mappings need string keys other "
                                 r"than \['format', '__float__'"),
        (_container(kind=TypeError), r"estimate\['kind'\]` holds <class 'TypeError'> \(type\), "
                                     r"which cannot be stored"),
        (_container(color=enum.Enum("Color", "RED").RED),
         r"`PowerLawBootstrap.estimate\['color'\]` holds <Color.RED: 1>, an enum this library"),
    ]  # fmt: skip
    for res, match in cases:
        with pytest.raises(TypeError, match=match):
            res.as_dict()
    odd = np.empty(2, dtype=object)
    odd[:] = [1.0, print]
    with pytest.raises(TypeError, match=r"`PowerLawBootstrap.a\[1\]` holds <built-in function"):
        dataclasses.replace(_container(), a=odd).as_dict()
    with pytest.raises(TypeError, match=r"`PowerLawBootstrap.a` is an array of dtype complex128"):
        dataclasses.replace(_container(), a=np.ones(2, dtype=complex)).as_dict()
    with pytest.raises(TypeError, match=r"got 1.5 \(float\)"):
        to_dict(1.5)


def test_decoding_errors_name_the_place_and_the_value() -> None:
    good = _container(v=[1.0, 2.0]).as_dict()

    def broken(**estimate: object) -> dict[str, object]:
        return {**good, "estimate": estimate}

    cases = [
        (broken(v=[1.0, {"__float__": "big"}]), ValueError,
         r"`data\['estimate'\]\['v'\]\[1\]` must be a number, 'nan', 'inf' or '-inf'; got 'big'"),
        (broken(v={"__float__": True}), TypeError,
         r"`data\['estimate'\]\['v'\]` must be a number; got True \(bool\)"),
        (broken(v={"__tuple__": 3}), ValueError,
         r"`data\['estimate'\]\['v'\]` must hold a list under '__tuple__'"),
        (broken(v={"__enum__": "Color", "name": "RED"}), ValueError,
         r"`data\['estimate'\]\['v'\]` names the enum 'Color', unknown here"),
        (broken(v={"__enum__": "FitStatus", "name": "GREAT"}), ValueError,
         r"`data\['estimate'\]\['v'\]` names FitStatus.GREAT, which does not exist"),
        (broken(v={"__ndarray__": [1.0], "shape": [1]}), ValueError,
         r"`data\['estimate'\]\['v'\]` must be an array record with '__ndarray__', 'dtype' and "
         r"'shape'; got keys \['__ndarray__', 'shape'\]"),
        (broken(v={"__ndarray__": ["nan", "big"], "dtype": "<f8", "shape": [2]}), ValueError,
         r"`data\['estimate'\]\['v'\]` must be a number, 'nan', 'inf' or '-inf'; got 'big'"),
        (broken(v={"__ndarray__": [1.0, True], "dtype": "<f8", "shape": [2]}), TypeError,
         r"`data\['estimate'\]\['v'\]` must be a number; got True"),
        (broken(v={"__ndarray__": [1.0, {"__enum__": "X", "name": "Y"}], "dtype": "|O",
                   "shape": [2]}), ValueError, r"`data\['estimate'\]\['v'\]\[1\]` names the enum"),
        (broken(v={"x": {"__float__": "big"}}), ValueError,
         r"`data\['estimate'\]\['v'\]\['x'\]` must be a number"),
        ({**good, "format": "chinchilla_laws:power_law_bootstrap"}, ValueError,
         r"`data\['format'\]` is 'chinchilla_laws:power_law_bootstrap', not a format"),
        ({"format": "chinchilla_laws.envelope", "version": 1}, ValueError,
         r"version-1 'chinchilla_laws\.envelope' report"),
        (3.0, TypeError, r"`data` must be a mapping; got 3.0 \(float\)"),
    ]  # fmt: skip
    for data, error, match in cases:
        with pytest.raises(error, match=match):
            from_dict(json.loads(json.dumps(data)))
    # the dtype a float array was stored with comes back (float32 stays float32)
    fr = cl.Frontier(compute=np.ones(2), n_params=np.array([1.5, np.nan], dtype=np.float32),
                     n_tokens=np.ones(2), loss=np.ones(2))  # fmt: skip
    assert from_json(to_json(fr)).n_params.dtype == np.float32
    # the class a caller expects is named with its format
    with pytest.raises(ValueError, match=r"does not hold a ParametricFit \('chinchilla_laws.fit'\)"
                                         r"; it holds a law"):  # fmt: skip
        cl.ParametricFit.from_dict(cl.HOFFMANN_2022_TEX.as_dict())


def test_law_dicts_edges() -> None:
    # a law of a family without names stores an empty name; Chinchilla laws carry a, b, G
    # at the top level for version-0.1 readers (G null when it overflows)
    assert cl.LUO_2025_100M.as_dict()["name"] == ""
    law = cl.HOFFMANN_2022_TEX
    data = law.as_dict()
    assert (data["a"], data["b"], data["G"]) == (law.a, law.b, law.G)
    huge = cl.ChinchillaLaw(E=1.0, A=1e300, B=1e-300, alpha=1.0, beta=1e-3)
    assert math.isinf(huge.G) and huge.as_dict()["G"] is None
    json.dumps(huge.as_dict(), allow_nan=False)
    # a law dict without a name, or with a name that is not a string, gives the name ""
    bare = {"family": "kaplan", "params": cl.KAPLAN_2020.params}
    assert law_from_dict(bare).name == "" and law_from_dict({**bare, "name": 5}).name == ""
    cases = [
        ({**bare, "format": "chinchilla_laws.fit"}, ValueError,
         r"`data` holds 'chinchilla_laws.fit', not a law"),
        ({**bare, "params": [1.0]}, TypeError,
         r"`data\['params'\]` must be a mapping; got \[1.0\] \(list\)"),
        ({**bare, "params": {**cl.KAPLAN_2020.params, "D_c": "1e13"}}, TypeError,
         r"`data` parameter `D_c` must be a number; got '1e13' \(str\)"),
        ({**bare, "params": {**cl.KAPLAN_2020.params, "D_c": True}}, TypeError,
         r"parameter `D_c` must be a number; got True"),
        ([1.0], TypeError, r"`data` must be a mapping; got \[1.0\] \(list\)"),
    ]  # fmt: skip
    for data, error, match in cases:
        with pytest.raises(error, match=match):
            law_from_dict(data)  # type: ignore[arg-type]


def test_to_json_passes_json_options() -> None:
    text = to_json(cl.KAPLAN_2020, indent=2, sort_keys=True)
    assert text == json.dumps(cl.KAPLAN_2020.as_dict(), indent=2, sort_keys=True)


def test_the_class_registry_is_built_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    # as in a fresh process, where no dict has been written yet
    monkeypatch.setattr(serialize, "_CLASS_KIND", {})
    assert to_dict(cl.HOFFMANN_2022_TEX.optimal([1e20]))["format"] == "chinchilla_laws.frontier"
    assert serialize._CLASS_KIND[cl.Frontier] == "frontier"
    assert len(serialize._CLASS_KIND) == len(serialize.FORMATS)


def test_batch_status_counts() -> None:
    # TOO_FEW exactly when fewer than two refits succeeded
    assert cl.BatchStatus.of(10, 0) is cl.BatchStatus.SUCCESS
    assert cl.BatchStatus.of(10, 1) is cl.BatchStatus.SOME_FAILED
    assert cl.BatchStatus.of(10, 8) is cl.BatchStatus.SOME_FAILED
    assert cl.BatchStatus.of(10, 9) is cl.BatchStatus.TOO_FEW
    assert cl.BatchStatus.of(1, 0) is cl.BatchStatus.SUCCESS


# ---------------------------------------------------------------------- version-1 layouts
def _v1_list(a: np.ndarray, ints: bool = False) -> list[object]:
    """An array as version 1 wrote it: flat, non-finite values as null (and, with ``ints``,
    whole floats as integers, as JSON writers other than Python's do: 2.0 as 2)."""
    out: list[object] = []
    for v in a.ravel().tolist():
        if isinstance(v, float) and not math.isfinite(v):
            out.append(None)
        else:
            out.append(int(v) if ints and isinstance(v, float) and v.is_integer() else v)
    return out


def _v1_fit(fit: cl.ParametricFit, ints: bool = False) -> dict[str, object]:
    """What version 1 wrote for ``fit`` (the layout of ``V1_FIT``)."""
    scalars = ["objective", "grad_norm", "gtol", "delta", "on_grid_boundary", "best_start",
               "n_points", "n_starts", "n_converged", "n_abandoned", "nit", "nfev",
               "reduction", "backend", "weighted", "family"]  # fmt: skip
    arrays = ["theta", "grad", "start_thetas", "end_thetas", "start_objectives",
              "start_grad_norms", "start_nit", "start_nfev", "start_status"]  # fmt: skip
    out: dict[str, object] = {"format": "chinchilla_laws.fit", "version": 1,
                              "law": fit.law.as_dict(), "status": fit.status.name,
                              "message": fit.message, "success": fit.success,
                              "n_theta": fit.theta.size}  # fmt: skip
    for k in scalars:
        v = getattr(fit, k)
        out[k] = None if isinstance(v, float) and not math.isfinite(v) else v
    out.update({k: _v1_list(getattr(fit, k), ints) for k in arrays})
    out.update(free=list(fit.free), fixed=dict(fit.fixed), tied=[list(g) for g in fit.tied],
               notes=list(fit.notes))  # fmt: skip
    return out


def _odd_fit() -> cl.ParametricFit:
    """A real fit with NaN (what version 1 read null as) in float fields and arrays."""
    fit = _boot().fit
    s_obj = fit.start_objectives.copy()
    s_obj[0] = np.nan
    ends = fit.end_thetas.copy()
    ends[1] = np.nan
    grad = np.zeros_like(fit.grad)  # whole numbers, which some writers store as integers
    return dataclasses.replace(
        fit, start_objectives=s_obj, end_thetas=ends, grad=grad, grad_norm=math.nan, gtol=math.nan,
        objective=math.nan, notes=("a note",), on_grid_boundary=True, weighted=True,
        tied=(("alpha", "beta"),), free=("A", "B", "alpha"), fixed={"E": 1.7},
    )  # fmt: skip


def test_version_1_fit_dicts_come_back_field_for_field() -> None:
    from test_protocol import assert_same

    n, d = (a.ravel() for a in np.meshgrid(np.geomspace(1e8, 1e10, 5), np.geomspace(2e9, 2e11, 5)))
    kaplan = cl.fit_parametric(n, d, cl.KAPLAN_2020.loss(n, d) * 1.001, family="kaplan",
                               warn=False)  # fmt: skip
    for fit in (_boot().fit, _odd_fit(), kaplan):
        for ints in (False, True):
            back = cl.ParametricFit.from_dict(json.loads(json.dumps(_v1_fit(fit, ints))))
            assert_same(fit, back)
    with pytest.raises(ValueError, match=r"`data\['status'\]` is not a fit status: 'FINE'"):
        cl.ParametricFit.from_dict({**_v1_fit(_boot().fit), "status": "FINE"})
    # an array one value short does not fill its field
    for key in ("theta", "grad", "start_objectives", "start_grad_norms", "start_nit",
                "start_nfev", "start_status", "start_thetas", "end_thetas"):  # fmt: skip
        v1 = _v1_fit(_boot().fit)
        v1[key] = v1[key][:-1]  # type: ignore[index]
        with pytest.raises(ValueError, match="cannot reshape"):
            cl.ParametricFit.from_dict(v1)


def test_version_1_bootstrap_dicts_come_back_field_for_field() -> None:
    from test_protocol import assert_same

    boot = _boot()
    objectives = boot.objectives.copy()
    objectives[1] = np.nan
    odd = dataclasses.replace(boot, objectives=objectives, fraction=math.nan, fit=_odd_fit())
    empty = dataclasses.replace(
        boot, thetas=np.empty((0, 0)), objectives=np.empty(0), resample_status=np.empty(0, int),
        weights=np.empty((0, 0)), n_resamples=0, n_failed=0,
    )  # fmt: skip
    for b, ints in ((boot, False), (odd, False), (odd, True), (empty, False)):
        v1 = {
            "format": "chinchilla_laws.bootstrap", "version": 1, "fit": _v1_fit(b.fit, ints),
            "scheme": b.scheme, "fraction": None if math.isnan(b.fraction) else b.fraction,
            "n_resamples": b.n_resamples, "n_failed": b.n_failed, "n_rows": b.thetas.shape[0],
            "thetas": _v1_list(b.thetas, ints), "objectives": _v1_list(b.objectives, ints),
            "status": _v1_list(b.resample_status), "weights": _v1_list(b.weights, ints),
        }  # fmt: skip
        assert_same(b, cl.ParametricBootstrap.from_dict(json.loads(json.dumps(v1))))
