"""as_dict / from_dict / JSON for laws and fits, and the notebook display."""

from __future__ import annotations

import json

import numpy as np
import pytest

import chinchilla_laws as cl
from chinchilla_laws.serialize import from_json, to_json

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
