"""Fixed and tied parameters: exact constraints in the solver's coordinates."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize

import chinchilla_laws as cl
from chinchilla_laws.parametric import objective

N_GRID, D_GRID = np.meshgrid(np.geomspace(1e8, 1e10, 6), np.geomspace(2e9, 2e11, 6))
N, D = N_GRID.ravel(), D_GRID.ravel()
STARTS = cl.paper_grid()[::50]


def _noisy(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return cl.HOFFMANN_2022_TEX.loss(N, D) * np.exp(0.01 * rng.standard_normal(N.size))


def _scipy_constrained(data, expand, free0_list) -> float:
    """Best objective of a tight scipy L-BFGS-B multi-start over the free parameters."""
    best = math.inf
    for v0 in free0_list:
        res = minimize(
            lambda v: _reduced(v, data, expand),
            v0,
            jac=True,
            method="L-BFGS-B",
            options={"ftol": 1e-15, "gtol": 1e-13, "maxiter": 5000, "maxcor": 20},
        )
        best = min(best, float(res.fun))
    return best


def _reduced(v, data, expand):
    theta, jac = expand(v)
    f, g = objective(theta, *data)
    return f, jac.T @ g


def _fixed_e(value: float):
    def expand(v):
        theta = np.array([v[0], v[1], math.log(value), v[2], v[3]])
        jac = np.zeros((5, 4))
        jac[[0, 1, 3, 4], [0, 1, 2, 3]] = 1.0
        return theta, jac

    return expand


def _tied_exponents(v):
    theta = np.array([v[0], v[1], v[2], v[3], v[3]])
    jac = np.zeros((5, 4))
    jac[0, 0] = jac[1, 1] = jac[2, 2] = jac[3, 3] = jac[4, 3] = 1.0
    return theta, jac


@pytest.mark.slow
def test_epoch_fixed_e_reaches_scipy_constrained_optimum(epoch240) -> None:
    fit = cl.fit_parametric(*epoch240, fixed={"E": 1.8})
    assert fit.success and fit.law.E == 1.8
    assert fit.fixed == {"E": 1.8} and fit.free == ("A", "B", "alpha", "beta")
    # the E axis of the grid collapses: 4500 starts -> 900 distinct ones
    assert fit.n_starts == 900
    t = fit.theta
    starts = [t[[0, 1, 3, 4]]] + [s[[0, 1, 3, 4]] for s in cl.paper_grid()[4::450]]
    best = _scipy_constrained(epoch240, _fixed_e(1.8), starts)
    # our optimum is at least as low as scipy's best, to rounding (gtol-limited: 1e-9)
    assert fit.objective <= best * (1 + 1e-9)
    # and it is a constrained optimum: the free gradient vanishes to the tolerance
    free = np.delete(fit.grad, 2)
    assert np.max(np.abs(free)) < 1e-5


@pytest.mark.slow
def test_epoch_tied_exponents_reach_scipy_constrained_optimum(epoch240) -> None:
    fit = cl.fit_parametric(*epoch240, tied=[("alpha", "beta")])
    assert fit.success and fit.law.alpha == fit.law.beta
    assert fit.tied == (("alpha", "beta"),)
    t = fit.theta
    starts = [t[:4]] + [np.r_[s[:3], s[3]] for s in cl.paper_grid()[7::450]]
    best = _scipy_constrained(epoch240, _tied_exponents, starts)
    assert fit.objective <= best * (1 + 1e-9)
    # the tied gradient is the sum of both exponents' gradients
    assert abs(fit.grad[3] + fit.grad[4]) < 1e-5


def test_fixed_and_tied_on_synthetic_match_scipy() -> None:
    loss = _noisy(1)
    data = (N, D, loss)
    for kwargs, expand, pick in (
        ({"fixed": {"E": 1.7}}, _fixed_e(1.7), [0, 1, 3, 4]),
        ({"tied": [("alpha", "beta")]}, _tied_exponents, [0, 1, 2, 3]),
    ):
        fit = cl.fit_parametric(*data, starts=STARTS, warn=False, **kwargs)
        assert fit.success
        best = _scipy_constrained(data, expand, [fit.theta[pick]])
        # scipy started at our optimum finds nothing lower beyond rounding
        assert fit.objective <= best * (1 + 1e-9)


def test_fixed_values_are_exact_and_reported() -> None:
    fit = cl.fit_parametric(
        N, D, _noisy(2), starts=STARTS, fixed={"E": 1.75, "alpha": 0.3}, warn=False
    )
    assert fit.law.E == 1.75 and fit.law.alpha == 0.3
    assert fit.free == ("A", "B", "beta")
    assert np.all(fit.end_thetas[:, 2] == pytest.approx(math.log(1.75), abs=1e-15))
    assert "(fixed)" in fit.summary()


def test_fixing_the_true_values_recovers_the_rest() -> None:
    law = cl.HOFFMANN_2022_TEX
    fit = cl.fit_parametric(N, D, law.loss(N, D), starts=STARTS, fixed={"A": law.A}, warn=False)
    # exact data and A at its true value: the others recovered to the gradient tolerance
    assert fit.law.beta == pytest.approx(law.beta, rel=1e-5)
    assert fit.law.alpha == pytest.approx(law.alpha, rel=1e-5)
    assert fit.law.A == law.A


def test_unconstrained_starts_are_not_deduplicated() -> None:
    fit = cl.fit_parametric(N, D, _noisy(3), starts=np.vstack([STARTS, STARTS]), warn=False)
    assert fit.n_starts == 2 * STARTS.shape[0]


def test_bootstrap_keeps_the_fits_constraints() -> None:
    loss = _noisy(4)
    fit = cl.fit_parametric(N, D, loss, starts=STARTS, fixed={"E": 1.7}, warn=False)
    boot = cl.bootstrap_parametric(N, D, loss, fit=fit, n_resamples=20, rng=0)
    assert np.all(boot.samples["E"] == pytest.approx(1.7, rel=1e-14))
    assert np.ptp(boot.samples["alpha"]) > 0
    with pytest.raises(ValueError, match="`fit` was made with fixed"):
        cl.bootstrap_parametric(N, D, loss, fit=fit, fixed={"E": 1.6}, n_resamples=5, rng=0)


BAD = [
    ({"fixed": {"F": 1.0}}, ValueError, "`fixed` names unknown parameter 'F'"),
    ({"fixed": {"A": -1.0}}, ValueError, r"`fixed\['A'\]` must be positive"),
    ({"fixed": {"alpha": 0.0}}, ValueError, r"`fixed\['alpha'\]` is an exponent"),
    ({"fixed": {"beta": -0.2}}, ValueError, r"`fixed\['beta'\]` is an exponent"),
    ({"fixed": {"E": math.nan}}, ValueError, r"`fixed\['E'\]` must be finite"),
    ({"fixed": {"E": "1.8"}}, TypeError, r"`fixed\['E'\]` must be a real number"),
    ({"fixed": [("E", 1.8)]}, TypeError, "`fixed` must be a mapping"),
    ({"tied": [("alpha", "gamma")]}, ValueError, "`tied` names unknown parameter 'gamma'"),
    ({"tied": [("alpha",)]}, ValueError, "two or more parameters"),
    ({"tied": "alpha"}, TypeError, "`tied` must be a sequence of groups"),
    ({"tied": [("alpha", "beta"), ("beta", "A")]}, ValueError, "more than one place"),
    ({"tied": [("alpha", "A")]}, ValueError, "mixes scale parameters"),
    (
        {"tied": [("alpha", "beta")], "fixed": {"alpha": 0.3}},
        ValueError,
        "`tied` and `fixed` both name 'alpha'",
    ),
    (
        {"fixed": {"E": 1.0, "A": 1.0, "B": 1.0, "alpha": 0.3, "beta": 0.3}},
        ValueError,
        "nothing is left to fit",
    ),
]


@pytest.mark.parametrize(("kwargs", "exc", "match"), BAD)
def test_bad_constraints_raise_naming_the_argument(kwargs, exc, match) -> None:
    with pytest.raises(exc, match=match):
        cl.fit_parametric(N, D, _noisy(0), starts=STARTS[:2], **kwargs)
