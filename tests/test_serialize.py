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
    assert data["format"] == "chinchilla_laws.bootstrap" and data["version"] == 1
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
    expected = np.flatnonzero(boot.status == cl.StartStatus.CONVERGED)
    np.testing.assert_array_equal(boot.ok_indices, expected)
    assert not hasattr(boot, "ok")  # `ok` is a boolean elsewhere (IsoFLOPBudget.ok)


def test_result_dicts_refuse_other_kinds() -> None:
    boot = _boot()
    with pytest.raises(ValueError, match="does not hold a parametric bootstrap"):
        cl.ParametricBootstrap.from_dict(boot.fit.as_dict())
    with pytest.raises(ValueError, match="does not hold a fit"):
        cl.ParametricFit.from_dict(boot.as_dict())
    bad = boot.as_dict()
    bad["version"] = 9
    with pytest.raises(ValueError, match="has version 9"):
        cl.ParametricBootstrap.from_dict(bad)
    with pytest.raises(TypeError, match="`data` must be a mapping"):
        cl.ParametricBootstrap.from_dict([1])


def test_isoflop_and_envelope_dicts_and_markdown() -> None:
    law = cl.HOFFMANN_2022_TEX
    budgets = np.geomspace(1e18, 1e21, 4)
    n = np.concatenate([np.geomspace(1e8, 1e11, 9) * (c / 1e20) ** 0.5 for c in budgets])
    c = np.repeat(budgets, 9)
    d = c / (6 * n)
    res = cl.isoflop_minima(n, d, law.loss(n, d))
    data = json.loads(to_json(res))
    assert data["format"] == "chinchilla_laws.isoflop" and data["version"] == 1
    assert data["a"] == res.a and data["b"] == res.b and data["success"] == res.success
    assert len(data["budgets"]) == len(res.budgets)
    assert [b["n_params"] for b in data["budgets"]] == [b.n_params for b in res.budgets]
    assert "IsoFLOP minima" in res._repr_markdown_()
    with pytest.raises(ValueError, match="cannot be loaded back"):
        from_json(json.dumps(data))
